"""The provider the engine hands the analyzer with each resource, so rules can read its settings
(the AWS provider's `defaultTags` above all).

A resource names its explicit provider by reference (`<provider urn>::<provider id>`); the
provider is itself a registered `pulumi:providers:<package>` resource. A custom resource without
one gets the package's default provider, which the engine configures from the stack's
`<package>:<key>` config (`aws:region`, `aws:defaultTags`...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from policies.gate.inputs import wire_inputs
from policies.program_runner import RegisteredResource

ENGINE_TYPE_PREFIX = "pulumi:"
DEFAULT_PROVIDER_NAME = "default"


def _package(resource_type: str) -> str:
    return resource_type.split(":", 1)[0]


def _message(
    provider_type: str, urn: str, name: str, properties: Mapping[str, Any]
) -> analyzer_pb2.AnalyzerProviderResource:
    struct = struct_pb2.Struct()
    struct.update(dict(properties))
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider_type, urn=urn, name=name, properties=struct
    )


def _default_provider(
    resource: RegisteredResource, stack_config: Mapping[str, str]
) -> analyzer_pb2.AnalyzerProviderResource:
    package = _package(resource.type)
    prefix = f"{package}:"
    properties = {
        key[len(prefix) :]: value for key, value in stack_config.items() if key.startswith(prefix)
    }
    stack_and_project = resource.urn.split("::")[:2]
    provider_type = f"pulumi:providers:{package}"
    return _message(
        provider_type,
        "::".join([*stack_and_project, provider_type, DEFAULT_PROVIDER_NAME]),
        DEFAULT_PROVIDER_NAME,
        properties,
    )


def provider_of(
    resource: RegisteredResource,
    by_urn: Mapping[str, RegisteredResource],
    stack_config: Mapping[str, str],
) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The resource's provider as an Analyze request carries it; None for components and engine
    resources.
    """
    if not resource.custom or resource.type.startswith(ENGINE_TYPE_PREFIX):
        return None
    if not resource.provider:
        return _default_provider(resource, stack_config)
    provider = by_urn.get(resource.provider.rsplit("::", 1)[0])
    if provider is None:
        return None
    return _message(provider.type, provider.urn, provider.name, wire_inputs(provider.inputs))
