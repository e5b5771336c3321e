"""The pack run the way the Pulumi CLI runs it, in-process.

pulumi-policy's analyzer servicer (the object `PolicyPack` serves over gRPC) gets the same
calls the engine makes, with the same protobuf requests: GetAnalyzerInfo, Configure with the
reconciled policy config, Analyze for each resource, AnalyzeStack once. Its diagnostics are the
findings; nothing here re-implements enforcement levels, config or unknown-value handling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.gate.inputs import wire_inputs
from policies.gate.pack import PACK_ENFORCEMENT, PACK_NAME, pack_version
from policies.gate.policy_config import RuleDefaults, RuleSettings, reconcile
from policies.gate.providers import provider_of
from policies.program_runner import RegisteredResource
from policies.rule import CHECKOV_TAG_PREFIX, TRIVY_TAG_PREFIX

TYPE_TAG_PREFIX = "type:"
SEVERITIES = ("critical", "high", "medium", "low", "unspecified")


class PackError(Exception):
    """A rule raised instead of reporting: under the CLI the preview fails the same way."""


@dataclass(frozen=True)
class RuleInfo:
    """A rule as the pack describes it to the engine (GetAnalyzerInfo)."""

    name: str
    description: str
    kind: str
    """"resource" or "stack"."""
    enforcement: str
    severity: str
    remediation: str
    resource_types: tuple[str, ...]
    trivy_ids: tuple[str, ...]
    config_schema: dict[str, Any]
    checkov_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    severity: str
    resource_type: str
    resource_name: str
    resource_urn: str
    message: str


@dataclass(frozen=True)
class Undecided:
    """A rule that read a value known only at deploy: not a violation, decided at deploy."""

    policy: str
    resource_urn: str
    reason: str


@dataclass
class Analysis:
    rules: list[RuleInfo]
    settings: dict[str, RuleSettings]
    violations: list[Violation] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    checks: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float:
        return round(self.passed / self.checks, 4) if self.checks else 1.0

    @property
    def mandatory(self) -> list[Violation]:
        return [violation for violation in self.violations if violation.enforcement == "mandatory"]

    def rule(self, name: str) -> RuleInfo | None:
        return next((rule for rule in self.rules if rule.name == name), None)


def _tagged(tags: Iterable[str], prefix: str) -> tuple[str, ...]:
    return tuple(tag[len(prefix) :] for tag in tags if tag.startswith(prefix))


def _level_name(level: analyzer_pb2.EnforcementLevel.ValueType) -> str:
    return analyzer_pb2.EnforcementLevel.Name(level).lower()


def _severity_name(severity: analyzer_pb2.PolicySeverity.ValueType) -> str:
    return analyzer_pb2.PolicySeverity.Name(severity).removeprefix("POLICY_SEVERITY_").lower()


def _rule_info(info: analyzer_pb2.PolicyInfo) -> RuleInfo:
    return RuleInfo(
        name=info.name,
        description=info.description,
        kind="stack" if info.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
        enforcement=_level_name(info.enforcementLevel),
        severity=_severity_name(info.severity),
        remediation=info.remediation_steps,
        resource_types=_tagged(info.tags, TYPE_TAG_PREFIX),
        trivy_ids=_tagged(info.tags, TRIVY_TAG_PREFIX),
        config_schema=json_format.MessageToDict(info.configSchema.properties),
        checkov_ids=_tagged(info.tags, CHECKOV_TAG_PREFIX),
    )


def _servicer(policies: Sequence[Policy]) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK_NAME, pack_version(), list(policies), PACK_ENFORCEMENT)


def _configure_request(
    settings: Mapping[str, RuleSettings],
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, rule_settings in settings.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = analyzer_pb2.EnforcementLevel.Value(
            rule_settings.enforcement.upper()
        )
        entry.properties.update(rule_settings.properties)
    return request


def _properties(resource: RegisteredResource) -> struct_pb2.Struct:
    properties = struct_pb2.Struct()
    properties.update(wire_inputs(resource.inputs))
    return properties


def _options(resource: RegisteredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=list(resource.ignore_changes),
        parent=resource.parent_urn,
    )


def _analyze_request(
    resource: RegisteredResource, provider: analyzer_pb2.AnalyzerProviderResource | None
) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        name=resource.name,
        urn=resource.urn,
        properties=_properties(resource),
        options=_options(resource),
        provider=provider,
    )


def _stack_request(
    resources: Sequence[RegisteredResource],
    providers: Mapping[str, analyzer_pb2.AnalyzerProviderResource | None],
) -> analyzer_pb2.AnalyzeStackRequest:
    return analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=resource.type,
                name=resource.name,
                urn=resource.urn,
                properties=_properties(resource),
                options=_options(resource),
                parent=resource.parent_urn,
                dependencies=list(resource.dependencies),
                propertyDependencies={
                    key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
                    for key, urns in resource.property_dependencies.items()
                },
                provider=providers[resource.urn],
            )
            for resource in resources
        ]
    )


def _unknown_value_reason(diagnostic: analyzer_pb2.AnalyzeDiagnostic) -> str | None:
    """The servicer's report of a rule stopped by an unknown value (advisory, no severity)."""
    prefix = f"can't run policy '{diagnostic.policyName}'"
    if (
        diagnostic.severity == analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED
        and diagnostic.message.startswith(prefix)
    ):
        return diagnostic.message.rsplit(": ", 1)[-1]
    return None


def _rule_message(diagnostic: analyzer_pb2.AnalyzeDiagnostic) -> str:
    """The servicer prefixes the rule's own message with the rule's description."""
    return diagnostic.message.removeprefix(f"{diagnostic.description}\n")


def _record(
    analysis: Analysis,
    response: analyzer_pb2.AnalyzeResponse,
    subject: RegisteredResource | None,
    by_urn: Mapping[str, RegisteredResource],
) -> set[str]:
    """Adds the response's findings; returns the names of the rules that reported a violation."""
    failed: set[str] = set()
    for diagnostic in response.diagnostics:
        resource = by_urn.get(diagnostic.urn) or subject
        urn = resource.urn if resource else diagnostic.urn
        reason = _unknown_value_reason(diagnostic)
        if reason is not None:
            analysis.undecided.append(Undecided(diagnostic.policyName, urn, reason))
            continue
        failed.add(diagnostic.policyName)
        analysis.violations.append(
            Violation(
                policy=diagnostic.policyName,
                enforcement=_level_name(diagnostic.enforcementLevel),
                severity=_severity_name(diagnostic.severity),
                resource_type=resource.type if resource else "",
                resource_name=resource.name if resource else "",
                resource_urn=urn,
                message=_rule_message(diagnostic),
            )
        )
    return failed


def _applies(rule: RuleInfo, resource_type: str) -> bool:
    return not rule.resource_types or resource_type in rule.resource_types


class PackAnalyzer:
    """The pack's analyzer servicer, configured as the engine would configure it."""

    def __init__(self, policies: Sequence[Policy], policy_config: Mapping[str, Any]):
        """Raises PolicyConfigError for a config naming an unknown rule, a bad level or bad
        properties.
        """
        self.servicer = _servicer(policies)
        self.rules = [
            _rule_info(info) for info in self.servicer.GetAnalyzerInfo(None, None).policies
        ]
        self.settings = reconcile(
            {rule.name: RuleDefaults(rule.enforcement, rule.config_schema) for rule in self.rules},
            policy_config,
        )
        self.servicer.Configure(_configure_request(self.settings), None)

    def analyze(
        self, resources: Sequence[RegisteredResource], stack_config: Mapping[str, str] | None = None
    ) -> Analysis:
        """Every resource through every enabled rule: Analyze per resource, then AnalyzeStack.

        Each request carries the resource's provider; `stack_config` configures default providers.
        """
        analysis = Analysis(rules=self.rules, settings=self.settings)
        enabled = [
            rule for rule in self.rules if self.settings[rule.name].enforcement != "disabled"
        ]
        by_urn = {resource.urn: resource for resource in resources}
        providers = {
            resource.urn: provider_of(resource, by_urn, stack_config or {})
            for resource in resources
        }
        for resource in resources:
            response = _call(
                self.servicer.Analyze,
                _analyze_request(resource, providers[resource.urn]),
                f"{resource.type} {resource.name}",
            )
            applicable = {
                rule.name
                for rule in enabled
                if rule.kind == "resource" and _applies(rule, resource.type)
            }
            _count(analysis, applicable, response, _record(analysis, response, resource, by_urn))
        response = _call(
            self.servicer.AnalyzeStack, _stack_request(resources, providers), "the stack"
        )
        _count(
            analysis,
            {rule.name for rule in enabled if rule.kind == "stack"},
            response,
            _record(analysis, response, None, by_urn),
        )
        return analysis


def _call(method: Any, request: Any, subject: str) -> analyzer_pb2.AnalyzeResponse:
    try:
        response: analyzer_pb2.AnalyzeResponse = method(request, None)
        return response
    except Exception as error:  # a rule's bug: name where it happened rather than print a traceback
        raise PackError(
            f"the policy pack failed on {subject}: {type(error).__name__}: {error}"
        ) from error


def _count(
    analysis: Analysis,
    applicable: set[str],
    response: analyzer_pb2.AnalyzeResponse,
    failed: set[str],
) -> None:
    applied = applicable - {entry.policy_name for entry in response.not_applicable}
    analysis.checks += len(applied)
    analysis.passed += len(applied - failed)
