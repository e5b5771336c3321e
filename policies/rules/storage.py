"""Placeholder until its rules land."""

POLICIES: list = []
