"""Pulumi mocks that stand in for the engine and providers when a program runs offline.

Every resource gets a fake id and ARN, echoes its inputs as outputs, and, for types whose
outputs downstream code reads (pulumi-eks, ACM, ALB, Aurora...), the fields a real deploy
would return. Without those, inputs that depend on them silently vanish.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "ap-northeast-2"


def stack_region() -> str:
    """The region the stack's config asks for, as the default AWS provider would use."""
    return pulumi.Config("aws").get("region") or DEFAULT_REGION


def fake_arn(service: str, resource: str, region: str | None = None) -> str:
    return f"arn:aws:{service}:{region or stack_region()}:{ACCOUNT_ID}:{resource}"


@dataclass(frozen=True)
class NestedResource:
    """A resource a remote component creates inside itself and returns as a resource reference
    (pulumi-eks `eksCluster`, `core.cluster`, `nodeGroup`): the SDK accepts only a reference there.
    """

    type: str
    suffix: str
    state: dict[str, Any] = field(default_factory=dict)


def _fake_kubeconfig(cluster_name: str) -> dict[str, Any]:
    server = f"https://{cluster_name}.gr7.{stack_region()}.eks.amazonaws.com"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"server": server, "certificate-authority-data": "Q0E="},
            }
        ],
        "contexts": [{"name": "aws", "context": {"cluster": cluster_name, "user": "aws"}}],
        "current-context": "aws",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster_name],
                    }
                },
            }
        ],
    }


def _eks_cluster_outputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    cluster_name = f"{args.name}-eks"
    issuer = f"oidc.eks.{stack_region()}.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
    oidc_provider_arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}"
    kubeconfig = _fake_kubeconfig(cluster_name)
    endpoint = kubeconfig["clusters"][0]["cluster"]["server"]
    eks_cluster = NestedResource(
        "aws:eks/cluster:Cluster",
        "eksCluster",
        {
            "name": cluster_name,
            "arn": fake_arn("eks", f"cluster/{cluster_name}"),
            "id": cluster_name,
            "endpoint": endpoint,
            "version": args.inputs.get("version", "1.33"),
            "vpcConfig": {"clusterSecurityGroupId": f"sg-{args.name}-eks"},
            "identities": [{"oidcs": [{"issuer": f"https://{issuer}"}]}],
        },
    )
    cluster_role = NestedResource(
        "aws:iam/role:Role",
        "eksRole",
        {
            "name": f"{args.name}-eksRole",
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{args.name}-eksRole",
        },
    )
    oidc_provider = NestedResource(
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "oidcProvider",
        {"arn": oidc_provider_arn, "url": issuer},
    )
    return {
        "kubeconfig": kubeconfig,
        "kubeconfigJson": json.dumps(kubeconfig),
        "oidcProviderArn": oidc_provider_arn,
        "oidcProviderUrl": f"https://{issuer}",
        "oidcIssuer": issuer,
        "clusterSecurityGroupId": f"sg-{args.name}-cluster",
        "nodeSecurityGroupId": f"sg-{args.name}-node",
        "clusterIngressRuleId": f"sgr-{args.name}-ingress",
        "eksCluster": eks_cluster,
        "core": {
            "cluster": eks_cluster,
            "clusterIamRole": cluster_role,
            "instanceRoles": [],
            "oidcProvider": oidc_provider,
            "vpcId": args.inputs.get("vpcId", "vpc-mock"),
            "subnetIds": args.inputs.get("privateSubnetIds", []),
            "endpoint": endpoint,
            "nodeGroupOptions": {},
        },
    }


def _managed_node_group_outputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {
        "nodeGroup": NestedResource(
            "aws:eks/nodeGroup:NodeGroup",
            "nodeGroup",
            {
                "nodeGroupName": args.name,
                "arn": fake_arn("eks", f"nodegroup/{args.name}"),
                "resources": [{"autoscalingGroups": [{"name": f"{args.name}-asg"}]}],
            },
        )
    }


def _typed_outputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Outputs a real provider computes that programs commonly read."""
    name = args.name
    token = args.typ
    if token == "eks:index:Cluster":
        return _eks_cluster_outputs(args)
    if token == "eks:index:ManagedNodeGroup":
        return _managed_node_group_outputs(args)
    if token == "aws:acm/certificate:Certificate":
        domains = [
            args.inputs.get("domainName", "example.com"),
            *(args.inputs.get("subjectAlternativeNames") or []),
        ]
        return {
            "domainValidationOptions": [
                {
                    "domainName": domain,
                    "resourceRecordName": f"_x1.{domain}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_x2.acm-validations.aws.",
                }
                for domain in domains
            ]
        }
    if token == "aws:lb/loadBalancer:LoadBalancer":
        return {
            "dnsName": f"{name}-1234567890.{stack_region()}.elb.amazonaws.com",
            "zoneId": "ZWKZPGTI48KDX",
            "arnSuffix": f"app/{name}/50dc6c495c0c9188",
        }
    if token == "aws:lb/targetGroup:TargetGroup":
        suffix = f"targetgroup/{name[:32]}/73e2d6bc24d8a067"
        return {
            "arnSuffix": suffix,
            "arn": f"arn:aws:elasticloadbalancing:{stack_region()}:{ACCOUNT_ID}:{suffix}",
        }
    if token == "aws:iam/role:Role":
        # IAM is global: its ARNs carry no region (charts and schemas check that shape).
        return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}
    if token == "aws:rds/cluster:Cluster":
        return {
            "endpoint": f"{name}.cluster-abc.{stack_region()}.rds.amazonaws.com",
            "readerEndpoint": f"{name}.cluster-ro-abc.{stack_region()}.rds.amazonaws.com",
            "clusterIdentifier": args.inputs.get("clusterIdentifier", name),
            "port": 5432,
        }
    if token == "aws:rds/globalCluster:GlobalCluster":
        identifier = args.inputs.get("globalClusterIdentifier", name)
        return {"endpoint": f"{identifier}.global-abc123.global.rds.amazonaws.com"}
    if token == "aws:elasticache/replicationGroup:ReplicationGroup":
        return {
            "primaryEndpointAddress": f"master.{name}.abc.apn2.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{name}.abc.apn2.cache.amazonaws.com",
            "configurationEndpointAddress": f"clustercfg.{name}.abc.apn2.cache.amazonaws.com",
            "port": 6379,
        }
    if token == "aws:route53/zone:Zone":
        return {"zoneId": f"Z{name.upper()[:10]}", "nameServers": ["ns-1.awsdns-01.org"]}
    if token == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        return {"url": args.inputs.get("url", "oidc.example.com")}
    if token == "aws:ec2/vpc:Vpc":
        return {
            "defaultSecurityGroupId": f"sg-{name}-default",
            "mainRouteTableId": f"rtb-{name}-main",
        }
    return {}


def _service_of(token: str) -> str:
    parts = token.split(":")
    return parts[1].split("/")[0] if len(parts) > 1 else "mock"


class ProgramMocks(pulumi.runtime.Mocks):
    """Echoes inputs, adds id/arn and the typed outputs above.

    A StackReference resolves to `stack_outputs[<referenced stack's last path segment>]`;
    the stacks asked for are kept in `referenced_stacks` so a runner can supply them.
    Each `NestedResource` output becomes a resource reference; its state is kept in
    `nested_resources` (urn -> (id, state)) for the monitor to answer the SDK's lookup of it.
    """

    def __init__(self, stack_outputs: dict[str, dict[str, Any]] | None = None):
        self.stack_outputs = stack_outputs or {}
        self.referenced_stacks: set[str] = set()
        self.nested_resources: dict[str, tuple[str, dict[str, Any]]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        resource_id = args.resource_id or f"{args.name}-id"
        outputs: dict[str, Any] = dict(args.inputs)
        outputs.setdefault(
            "arn", fake_arn(_service_of(args.typ), f"{args.typ.split(':')[-1].lower()}/{args.name}")
        )
        outputs.setdefault("name", args.inputs.get("name", args.name))
        outputs.setdefault("id", resource_id)
        outputs.update(
            {key: value for key, value in _typed_outputs(args).items() if key not in args.inputs}
        )
        return resource_id, self._with_references(outputs, args)

    def _with_references(self, value: Any, args: pulumi.runtime.MockResourceArgs) -> Any:
        if isinstance(value, NestedResource):
            return self._reference(value, args)
        if isinstance(value, dict):
            return {key: self._with_references(item, args) for key, item in value.items()}
        if isinstance(value, list):
            return [self._with_references(item, args) for item in value]
        return value

    def _reference(
        self, nested: NestedResource, args: pulumi.runtime.MockResourceArgs
    ) -> dict[str, Any]:
        name = f"{args.name}-{nested.suffix}"
        stack_and_project = f"{pulumi.get_stack()}::{pulumi.get_project()}"
        urn = f"urn:pulumi:{stack_and_project}::{args.typ}${nested.type}::{name}"
        resource_id = str(nested.state.get("id", name))
        self.nested_resources[urn] = (resource_id, {"id": resource_id, **nested.state})
        return {
            rpc._special_sig_key: rpc._special_resource_sig,
            "urn": urn,
            "id": resource_id,
            "type": nested.type,
            "name": name,
            "packageVersion": "",
        }

    def _stack_reference(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        full_name = str(args.inputs.get("name") or args.resource_id or args.name)
        stack = full_name.rsplit("/", 1)[-1]
        self.referenced_stacks.add(stack)
        outputs = self.stack_outputs.get(stack, {})
        return full_name, {"name": full_name, "outputs": outputs, "secretOutputNames": []}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        handler = CALL_RESULTS.get(args.token)
        return (handler(args.args) if handler else {}), []


def _policy_document(call_args: dict[str, Any]) -> dict[str, Any]:
    statements = []
    for statement in call_args.get("statements", []) or []:
        entry: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
        for source, target in (
            ("actions", "Action"),
            ("resources", "Resource"),
            ("notActions", "NotAction"),
        ):
            if statement.get(source):
                entry[target] = statement[source]
        for principal in statement.get("principals", []) or []:
            entry.setdefault("Principal", {})[principal["type"]] = principal["identifiers"]
        for condition in statement.get("conditions", []) or []:
            entry.setdefault("Condition", {}).setdefault(condition["test"], {})[
                condition["variable"]
            ] = condition["values"]
        statements.append(entry)
    return {"json": json.dumps({"Version": "2012-10-17", "Statement": statements})}


CALL_RESULTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda _: {
        "names": [f"{stack_region()}{suffix}" for suffix in "abcd"],
        "zoneIds": [f"apne2-az{n}" for n in range(1, 5)],
    },
    "aws:index/getCallerIdentity:getCallerIdentity": lambda _: {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
        "userId": "AIDAEXAMPLE",
    },
    "aws:index/getRegion:getRegion": lambda call_args: {
        "name": call_args.get("region") or stack_region(),
        "region": call_args.get("region") or stack_region(),
    },
    "aws:index/getPartition:getPartition": lambda _: {
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
    },
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:elb/getServiceAccount:getServiceAccount": lambda call_args: {
        "arn": "arn:aws:iam::600734575887:root",
        "id": "600734575887",
    },
    "aws:route53/getZone:getZone": lambda call_args: {
        "zoneId": "ZMOCKZONE",
        "id": "ZMOCKZONE",
        "name": call_args.get("name", "example.com"),
    },
}
