"""The pack's identity, shared by `policies/__main__.py` (run by the Pulumi CLI) and the offline
gate.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pulumi_policy import EnforcementLevel

PACK_NAME = "ticketing-guardrails"
PACK_DIR = Path(__file__).resolve().parent.parent
PACK_ENFORCEMENT = EnforcementLevel.MANDATORY
"""Only for a rule that sets no level of its own: an unclassified rule blocks rather than warns."""


def pack_version() -> str:
    """The version the CLI reports, which it takes from PulumiPolicy.yaml."""
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text()) or {}
    return str(project.get("version") or "0.0.1")
