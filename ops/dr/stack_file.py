"""The routing owner's stack file (`Pulumi.<stack>.yaml`), read the way the program reads it.

`pulumi config set` writes this file, so it is where the current phase and weights are, even
before `pulumi up` has applied them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError
from components.routing import RoutingConfig
from ops.dr.errors import OpsError

ROUTING_KEY = "ticketing:routing"
DR_KEY = "ticketing:dr"
REGION_KEY = "aws:region"


@dataclass(frozen=True)
class StackFile:
    stack: str
    region: str
    routing: RoutingConfig
    dr_mode: str
    primary_stack: str | None


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise OpsError(
            f"stack file {path} does not exist (run from the repository root, or pass"
            " --project-dir)"
        )
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise OpsError(f"{path} is not valid YAML: {error}") from error
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise OpsError(f"{path} has no config mapping")
    return config


def region_of(project_dir: Path, stack: str) -> str | None:
    path = project_dir / f"Pulumi.{stack}.yaml"
    return _load(path).get(REGION_KEY) if path.is_file() else None


def read_stack_file(project_dir: Path, stack: str) -> StackFile:
    path = project_dir / f"Pulumi.{stack}.yaml"
    config = _load(path)
    if ROUTING_KEY not in config:
        raise OpsError(
            f"{path} has no {ROUTING_KEY}: routing is owned by the stack that has it (dr)"
        )
    try:
        routing = RoutingConfig.from_config(config[ROUTING_KEY])
    except ConfigError as error:
        raise OpsError(f"{path}: {error}") from error
    region = config.get(REGION_KEY)
    if not isinstance(region, str) or not region:
        raise OpsError(f"{path} has no {REGION_KEY}")
    dr_value = config.get(DR_KEY)
    dr = dr_value if isinstance(dr_value, dict) else {}
    return StackFile(
        stack=stack,
        region=region,
        routing=routing,
        dr_mode=dr.get("mode", "standby"),
        primary_stack=dr.get("primaryStack"),
    )
