"""The offline plan: what a stack would create, grouped by component, with the few settings a
reviewer checks first (sizes, counts, encryption, versions, exposure, TTLs, weights).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.gate.inputs import display_inputs
from policies.program_runner import SECRET_PLACEHOLDER, ProgramRun, RegisteredResource

KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock", "enableDnsHostnames"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
    "aws:ec2/natGateway:NatGateway": ("connectivityType",),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType"),
    "aws:ec2/securityGroup:SecurityGroup": ("ingress",),
    "aws:ec2/securityGroupRule:SecurityGroupRule": (
        "type",
        "protocol",
        "fromPort",
        "toPort",
        "cidrBlocks",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ipProtocol",
        "fromPort",
        "toPort",
        "cidrIpv4",
        "referencedSecurityGroupId",
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        "instanceType",
        "metadataOptions.httpTokens",
        "metadataOptions.httpPutResponseHopLimit",
    ),
    "eks:index:Cluster": (
        "version",
        "endpointPublicAccess",
        "endpointPrivateAccess",
        "encryptionConfigKeyArn",
        "enabledClusterLogTypes",
        "authenticationMode",
    ),
    "eks:index:ManagedNodeGroup": (
        "instanceTypes",
        "capacityType",
        "scalingConfig.minSize",
        "scalingConfig.desiredSize",
        "scalingConfig.maxSize",
        "diskSize",
    ),
    "aws:eks/addon:Addon": ("addonName", "addonVersion"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "engine",
        "engineVersion",
        "nodeType",
        "numCacheClusters",
        "numNodeGroups",
        "replicasPerNodeGroup",
        "multiAzEnabled",
        "automaticFailoverEnabled",
        "atRestEncryptionEnabled",
        "transitEncryptionEnabled",
        "kmsKeyId",
    ),
    "aws:rds/cluster:Cluster": (
        "engine",
        "engineVersion",
        "storageEncrypted",
        "kmsKeyId",
        "backupRetentionPeriod",
        "deletionProtection",
        "globalClusterIdentifier",
        "iamDatabaseAuthenticationEnabled",
    ),
    "aws:rds/clusterInstance:ClusterInstance": (
        "instanceClass",
        "publiclyAccessible",
        "performanceInsightsEnabled",
    ),
    "aws:rds/globalCluster:GlobalCluster": (
        "engine",
        "engineVersion",
        "storageEncrypted",
        "deletionProtection",
    ),
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays", "keyUsage"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "loadBalancerType",
        "internal",
        "dropInvalidHeaderFields",
        "accessLogs.enabled",
    ),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lb/targetGroup:TargetGroup": ("port", "protocol", "targetType"),
    "aws:wafv2/webAcl:WebAcl": ("scope", "defaultAction"),
    "aws:route53/record:Record": (
        "name",
        "type",
        "ttl",
        "setIdentifier",
        "weightedRoutingPolicies",
    ),
    "aws:route53/healthCheck:HealthCheck": (
        "type",
        "fqdn",
        "port",
        "resourcePath",
        "requestInterval",
        "failureThreshold",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "rules",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ("versioningConfiguration.status",),
    "aws:sns/topic:Topic": ("kmsMasterKeyId",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "metricName",
        "comparisonOperator",
        "threshold",
        "evaluationPeriods",
    ),
    "aws:cloudwatch/logGroup:LogGroup": ("retentionInDays", "kmsKeyId"),
    "aws:secretsmanager/secret:Secret": ("kmsKeyId", "recoveryWindowInDays"),
    "aws:acm/certificate:Certificate": ("domainName", "validationMethod"),
    "kubernetes:helm.sh/v3:Release": ("chart", "version", "namespace"),
}
"""Per resource type, the input paths (engine camelCase, dotted into objects) worth a glance."""

GENERIC_SETTING = re.compile(
    r"encrypt|kms|version|instance|nodeType|size|count|public|private|ttl|weight|port|protocol|engine|deletion|"
    r"backup|retention|multiAz|cidr|acl|policyArn|internal|enabled",
    re.IGNORECASE,
)
GENERIC_LIMIT = 6
VALUE_WIDTH = 72


@dataclass
class PlannedResource:
    resource: RegisteredResource
    settings: list[tuple[str, str]]


@dataclass
class ComponentGroup:
    component: PlannedResource | None
    """None: resources outside any component."""
    resources: list[PlannedResource] = field(default_factory=list)


def _at(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, Mapping) or key not in document:
            return None
        document = document[key]
    return document


def compact(value: Any, width: int = VALUE_WIDTH) -> str:
    """One line: strings as they are, anything else as compact JSON, cut at `width`."""
    text = (
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
    )
    return text if len(text) <= width else f"{text[: width - 1]}…"


def _generic_paths(inputs: Mapping[str, Any]) -> list[str]:
    return [
        key
        for key, value in inputs.items()
        if GENERIC_SETTING.search(key) and not isinstance(value, (dict, list))
    ][:GENERIC_LIMIT]


def key_settings(resource: RegisteredResource) -> list[tuple[str, str]]:
    """(path, compact value) of the resource's key settings; secrets masked, unset ones left out."""
    inputs = display_inputs(resource.inputs, resource.secret_paths)
    paths = KEY_SETTINGS.get(resource.type) or _generic_paths(inputs)
    return [(path, compact(_at(inputs, path))) for path in paths if _at(inputs, path) is not None]


def _component_of(
    resource: RegisteredResource, by_urn: Mapping[str, RegisteredResource], project: str
) -> RegisteredResource | None:
    """The nearest ancestor that is one of the program's own components
    (`<project>:<module>:<Name>`),
    else the outermost ancestor component; None for a resource directly under the stack."""
    outermost = None
    parent = by_urn.get(resource.parent_urn)
    while parent is not None:
        if parent.type.startswith(f"{project}:"):
            return parent
        outermost = parent if not parent.custom else outermost
        parent = by_urn.get(parent.parent_urn)
    return outermost


def plan(run: ProgramRun) -> list[ComponentGroup]:
    """Resources in registration order, each under its component; components in first-seen order."""
    by_urn = {resource.urn: resource for resource in run.resources}
    groups: dict[str, ComponentGroup] = {}
    for resource in run.resources:
        planned = PlannedResource(resource, key_settings(resource))
        component = _component_of(resource, by_urn, run.project)
        if component is None and not resource.custom:
            groups.setdefault(resource.urn, ComponentGroup(planned))
            continue
        if component is None:
            groups.setdefault("", ComponentGroup(None)).resources.append(planned)
            continue
        group = groups.setdefault(
            component.urn, ComponentGroup(PlannedResource(component, key_settings(component)))
        )
        group.resources.append(planned)
    return list(groups.values())


def stack_outputs(run: ProgramRun) -> dict[str, Any]:
    """The stack's outputs for display: secret outputs masked whole, unknowns marked."""
    return {
        key: SECRET_PLACEHOLDER if key in run.secret_outputs else display_inputs(value)
        for key, value in run.outputs.items()
    }


def routing_weights(outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The effective weight table from the `routing` export: its `weights` mapping, or its numeric
    entries.
    """
    routing = outputs.get("routing")
    if not isinstance(routing, Mapping):
        return None
    weights = routing.get("weights", routing)
    if not isinstance(weights, Mapping):
        return None
    table = {
        str(target): weight
        for target, weight in weights.items()
        if isinstance(weight, (int, float)) and not isinstance(weight, bool)
    }
    return table or None
