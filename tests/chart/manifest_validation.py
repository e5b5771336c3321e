"""Validates rendered manifests: built-in kinds against the Kubernetes OpenAPI schemas
(kubernetes-validate, strict: unknown fields fail), custom resources against the JSON schemas
in crd_schemas/, written from the CRDs' documented specs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate

from tests.chart.chart_render import Manifest

CRD_SCHEMA_DIR = Path(__file__).resolve().parent / "crd_schemas"
CUSTOM_RESOURCE_SCHEMAS = {
    (
        "elbv2.k8s.aws/v1beta1",
        "TargetGroupBinding",
    ): "targetgroupbinding.elbv2.k8s.aws-v1beta1.json",
}


def validate_manifest(manifest: Manifest, kubernetes_version: str) -> None:
    """Raises a jsonschema.ValidationError (or kubernetes-validate's subclass) on an invalid
    manifest.
    """
    schema_file = CUSTOM_RESOURCE_SCHEMAS.get((manifest["apiVersion"], manifest["kind"]))
    if schema_file is None:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
        return
    schema = json.loads((CRD_SCHEMA_DIR / schema_file).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(manifest)
