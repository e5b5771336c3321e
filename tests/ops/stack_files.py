"""A routing owner's stack files on disk, as `pulumi config set` leaves them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

DR_REGION = "ap-northeast-1"
PROD_REGION = "ap-northeast-2"
ROUTING = {"phase": "normal", "zone": "example.com", "recordName": "tickets.example.com"}

WriteStack = Callable[..., Path]


def stack_writer(project: Path) -> WriteStack:
    """Writes Pulumi.dr.yaml (routing as given) and Pulumi.prod.yaml into `project`; returns it."""

    def write(routing: dict[str, Any] | None = None, dr_mode: str = "standby") -> Path:
        dr_config = {
            "aws:region": DR_REGION,
            "ticketing:dr": {"mode": dr_mode, "primaryStack": "acme/ticketing/prod"},
            "ticketing:routing": {**ROUTING, **(routing or {})},
        }
        (project / "Pulumi.dr.yaml").write_text(yaml.safe_dump({"config": dr_config}))
        (project / "Pulumi.prod.yaml").write_text(
            yaml.safe_dump({"config": {"aws:region": PROD_REGION}})
        )
        return project

    return write
