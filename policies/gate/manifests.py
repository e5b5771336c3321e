"""Kubernetes manifests checked as an API server would take them: built-in kinds against the
Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields fail), custom resources
against the JSON schemas in crd_schemas/, written from the CRDs' documented specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

Manifest = dict[str, Any]

KUBERNETES_VERSION = "1.33.0"
"""The version manifests are checked against when the program names no EKS version."""
CRD_SCHEMA_DIR = Path(__file__).resolve().parent / "crd_schemas"
CUSTOM_RESOURCE_SCHEMAS = {
    (
        "elbv2.k8s.aws/v1beta1",
        "TargetGroupBinding",
    ): "targetgroupbinding.elbv2.k8s.aws-v1beta1.json",
}


def kind_of(manifest: Manifest) -> str:
    """`<group>/<version> <Kind>` as the API server serves it."""
    return f"{manifest.get('apiVersion')} {manifest.get('kind')}"


def is_built_in(api_version: str, kind: str, kubernetes_version: str) -> bool:
    """Whether the API server serves this kind without a CustomResourceDefinition."""
    try:
        kubernetes_validate.validate(
            {"apiVersion": api_version, "kind": kind}, kubernetes_version, strict=True
        )
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except jsonschema.ValidationError:
        return True
    return True


def validate_manifest(manifest: Manifest, kubernetes_version: str) -> None:
    """Raises a jsonschema.ValidationError (kubernetes-validate's subclass for built-in kinds) on an
    invalid manifest, kubernetes_validate.SchemaNotFoundError on a kind with no known schema.
    """
    schema_file = CUSTOM_RESOURCE_SCHEMAS.get((manifest["apiVersion"], manifest["kind"]))
    if schema_file is None:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        return
    schema = json.loads((CRD_SCHEMA_DIR / schema_file).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(manifest)
