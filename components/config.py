"""The stack's typed config: every `ticketing:*` key parsed into frozen dataclasses.

This is the only module that reads `pulumi.Config`. A wrong, missing or unknown key fails the
preview with a `ConfigError` that names the key, the bad value and what is allowed. Defaults
are the secure choice; turning one off has to be written in the stack file.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components import sizing
from components.errors import ConfigError, unknown_key_error
from components.routing import RoutingConfig

NAMESPACE = "ticketing"
ENVIRONMENTS = ("dev", "prod", "dr")
DR_MODES = ("standby", "active")
# The environments whose public name the routing owner's weighted records serve.
ROUTED_ENVIRONMENTS = ("prod", "dr")
NAT_LAYOUTS = ("single", "per-az")
CAPACITY_TYPES = ("ON_DEMAND", "SPOT")
GLOBAL_ROLES = ("standalone", "primary", "secondary")
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
SECRET_KEYS = ("redisAuthToken", "databasePassword", "adminToken", "tokenSigningSecret")
# What the pods read from the app's Secret (app/chart `ticketing.secretEnvNames`); a plain `env`
# entry of the same name would come later in the pod spec and replace it.
APP_SECRET_ENV_NAMES = (
    "TICKETING_REDIS_URL",
    "TICKETING_DATABASE_URL",
    "TICKETING_ADMIN_TOKEN",
    "TICKETING_SECRET",
)
# Set by the chart from its TLS Secret (app/chart `tls`); its schema refuses them in `env`.
CHART_TLS_ENV_NAMES = ("TICKETING_TLS_CERT_FILE", "TICKETING_TLS_KEY_FILE")
TOP_LEVEL_KEYS = (
    "environment",
    "owner",
    "network",
    "cluster",
    "cache",
    "database",
    "services",
    "edge",
    "alerting",
    "dr",
    "routing",
    *SECRET_KEYS,
)

_MISSING: Any = object()
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_CIDR16_TO_20 = re.compile(r"^10\.(\d{1,3})\.0\.0/(1[6-9]|20)$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_CACHE_NODE_TYPE = re.compile(r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
_DB_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_KUBERNETES_MINOR = re.compile(r"^1\.\d{2}$")
OLDEST_CHART_KUBERNETES_MINOR = 30
"""The app chart's kubeVersion floor (app/chart/Chart.yaml, `>=1.30.0-0`: its preStop hook uses
the native sleep action); Helm refuses the release on an older cluster."""
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_IPV4_CIDR = re.compile(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")
_STACK_REF = re.compile(r"^[\w.-]+/[\w.-]+/[\w.-]+$")
# ASCII classes throughout: the chart's values.schema.json refuses what Python's \d and \w admit.
_CPU = re.compile(r"^[0-9]+(\.[0-9]+)?$|^[0-9]+m$")
_MEMORY = re.compile(r"^[0-9]+(Ki|Mi|Gi)$")
_IMAGE_REPOSITORY = re.compile(
    r"^[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+$"
)
_IMAGE_TAG = re.compile(r"^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ECR_REPOSITORY = re.compile(r"^\d{12}\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/")


class Section:
    """One config object; every read is checked, and `finish` rejects keys nobody read (typos)."""

    def __init__(self, raw: object, key: str):
        if not isinstance(raw, Mapping):
            raise ConfigError(key, raw, "an object")
        self.key = key
        self._raw = dict(raw)
        self._known: list[str] = []

    def _take(self, name: str, default: Any) -> tuple[str, Any]:
        self._known.append(name)
        key = f"{self.key}.{name}" if self.key else name
        value = self._raw.get(name, default)
        if value is _MISSING:
            misspelt = difflib.get_close_matches(
                name, [other for other in self._raw if other != name], n=1, cutoff=0.6
            )
            if misspelt:
                raise unknown_key_error(
                    f"{self.key}.{misspelt[0]}" if self.key else misspelt[0], misspelt[0], [name]
                )
            raise ConfigError(key, None, "a value (the key is required)")
        return key, value

    def integer(self, name: str, minimum: int, maximum: int, default: Any = _MISSING) -> int:
        key, value = self._take(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ConfigError(key, value, f"an integer from {minimum} to {maximum}")
        return value

    def number(self, name: str, minimum: float, maximum: float, default: Any = _MISSING) -> float:
        key, value = self._take(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not minimum <= value <= maximum
        ):
            raise ConfigError(key, value, f"a number from {minimum} to {maximum}")
        return float(value)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        key, value = self._take(name, default)
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false")
        return value

    def choice(self, name: str, allowed: tuple[Any, ...], default: Any = _MISSING) -> Any:
        key, value = self._take(name, default)
        if value not in allowed or isinstance(value, bool):
            raise ConfigError(key, value, f"one of {', '.join(map(str, allowed))}")
        return value

    def text(
        self, name: str, pattern: re.Pattern[str], describe: str, default: Any = _MISSING
    ) -> str:
        key, value = self._take(name, default)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ConfigError(key, value, describe)
        return value

    def optional_text(self, name: str, pattern: re.Pattern[str], describe: str) -> str | None:
        key, value = self._take(name, None)
        if value is None:
            return None
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ConfigError(key, value, describe)
        return value

    def texts(
        self,
        name: str,
        pattern: re.Pattern[str],
        describe: str,
        min_items: int = 1,
        default: Any = _MISSING,
    ) -> tuple[str, ...]:
        key, value = self._take(name, default)
        if not isinstance(value, (list, tuple)) or len(value) < min_items:
            raise ConfigError(
                key, value, f"a list of at least {min_items} item(s), each {describe}"
            )
        for index, item in enumerate(value):
            if not isinstance(item, str) or not pattern.fullmatch(item):
                raise ConfigError(f"{key}[{index}]", item, describe)
        return tuple(value)

    def text_map(
        self, name: str, key_pattern: re.Pattern[str], describe_key: str
    ) -> dict[str, str]:
        key, value = self._take(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(key, value, "an object of names to strings")
        for item_key, item in value.items():
            if not key_pattern.fullmatch(str(item_key)):
                raise ConfigError(f"{key}.{item_key}", item_key, describe_key)
            if not isinstance(item, str):
                raise ConfigError(
                    f"{key}.{item_key}", item, "a string (quote numbers and booleans)"
                )
        return dict(value)

    def timestamp(self, name: str) -> datetime:
        key, value = self._take(name, _MISSING)
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ConfigError(
                key,
                value,
                "a quoted ISO 8601 time with its zone, such as '2027-01-15T10:00:00+09:00'",
            )
        return parsed

    def section(self, name: str, required: bool = True) -> Section:
        key, value = self._take(name, _MISSING if required else {})
        return Section(value, key)

    def raw(self, name: str) -> Any:
        return self._take(name, None)[1]

    def finish(self) -> None:
        for name in self._raw:
            if name not in self._known:
                raise unknown_key_error(
                    f"{self.key}.{name}" if self.key else name, name, self._known
                )


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str
    availability_zones: int
    nat_gateways: str
    flow_log_retention_days: int


@dataclass(frozen=True)
class NodeGroupConfig:
    instance_types: tuple[str, ...]
    min_size: int
    desired_size: int
    max_size: int
    disk_size_gb: int
    capacity_type: str


@dataclass(frozen=True)
class DeployAccess:
    """How the machine running `pulumi up` reaches the cluster API (`cluster.deployAccess`).

    The Namespace, the Secret and the Helm releases are applied through that API while the
    program runs, and a first deploy creates the VPC, so a runner inside it cannot be the only way.
    """

    cidrs: tuple[str, ...]
    """Turn on the public endpoint, limited to these ranges (a laptop, an office, CI egress)."""
    security_group_ids: tuple[str, ...]
    """Groups of in-VPC (or peered) runners, let in on 443 to the cluster security group."""
    role_arn: str | None
    """The IAM role `pulumi up` runs as: EKS makes it cluster admin as the creator."""

    @property
    def public_endpoint(self) -> bool:
        return bool(self.cidrs)


@dataclass(frozen=True)
class ClusterConfig:
    version: str
    system_nodes: NodeGroupConfig
    app_nodes: NodeGroupConfig
    admin_role_arns: tuple[str, ...]
    log_retention_days: int
    deploy_access: DeployAccess


@dataclass(frozen=True)
class CacheConfig:
    node_type: str
    shards: int
    replicas_per_shard: int
    engine_version: str
    snapshot_retention_days: int


@dataclass(frozen=True)
class DatabaseConfig:
    engine_version: str
    instance_class: str
    instances: int
    backup_retention_days: int
    deletion_protection: bool
    global_role: str


@dataclass(frozen=True)
class ContainerResources:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class Opening:
    """A scheduled opening: the pod floor is raised ahead of `starts_at` for its duration."""

    starts_at: datetime
    expected_peak_rps: int
    duration_minutes: int


@dataclass(frozen=True)
class ServicesConfig:
    namespace: str
    image_repository: str
    image_tag: str
    replicas: int
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int
    pdb_min_available: int
    resources: ContainerResources
    env: Mapping[str, str]
    peak_rps: int
    openings: tuple[Opening, ...] = ()


@dataclass(frozen=True)
class EdgeConfig:
    zone_name: str
    public_hostname: str
    regional_hostname: str
    rate_limit_per_ip_5min: int
    deletion_protection: bool
    access_log_retention_days: int
    public_record: bool


@dataclass(frozen=True)
class AlertingConfig:
    emails: tuple[str, ...]
    alb_5xx_per_minute: int
    alb_p99_latency_seconds: float
    node_cpu_percent: int
    redis_cpu_percent: int
    redis_memory_percent: int
    aurora_cpu_percent: int
    aurora_replica_lag_ms: int


@dataclass(frozen=True)
class StandbySizes:
    app_nodes_min: int
    app_nodes_desired: int
    replicas: int
    database_instances: int


@dataclass(frozen=True)
class DrConfig:
    mode: str
    primary_stack: str
    standby: StandbySizes


@dataclass(frozen=True)
class Secrets:
    redis_auth_token: pulumi.Output[str]
    database_password: pulumi.Output[str] | None
    """None in dr: a global secondary has no credentials of its own (it uses prod's)."""
    admin_token: pulumi.Output[str]
    token_signing_secret: pulumi.Output[str]


@dataclass(frozen=True)
class StackConfig:
    environment: str
    owner: str
    region: str
    network: NetworkConfig
    cluster: ClusterConfig
    cache: CacheConfig
    database: DatabaseConfig
    services: ServicesConfig
    edge: EdgeConfig
    alerting: AlertingConfig
    dr: DrConfig | None
    routing: RoutingConfig | None
    secrets: Secrets

    def tags(self, role: str) -> dict[str, str]:
        """The tags every resource carries; `role` names the component that owns it."""
        return {
            "environment": self.environment,
            "system": NAMESPACE,
            "role": role,
            "owner": self.owner,
            "managed-by": "pulumi",
        }

    @property
    def is_standby(self) -> bool:
        return self.dr is not None and self.dr.mode == "standby"


def _node_group(section: Section) -> NodeGroupConfig:
    instance_types = section.texts(
        "instanceTypes", _INSTANCE_TYPE, "an EC2 instance type such as m7i.xlarge"
    )
    min_size = section.integer("minSize", 1, 100)
    desired_size = section.integer("desiredSize", 1, 100)
    max_size = section.integer("maxSize", 1, 100)
    if not min_size <= desired_size <= max_size:
        raise ConfigError(
            f"{section.key}.desiredSize",
            desired_size,
            f"minSize ({min_size}) <= desiredSize <= maxSize ({max_size})",
        )
    node_group = NodeGroupConfig(
        instance_types=instance_types,
        min_size=min_size,
        desired_size=desired_size,
        max_size=max_size,
        disk_size_gb=section.integer("diskSizeGb", 20, 1000, default=50),
        capacity_type=section.choice("capacityType", CAPACITY_TYPES, default="ON_DEMAND"),
    )
    section.finish()
    return node_group


def _network(section: Section) -> NetworkConfig:
    network = NetworkConfig(
        cidr=section.text(
            "cidr", _CIDR16_TO_20, "a private 10.x.0.0/16 to /20 block, e.g. 10.20.0.0/16"
        ),
        availability_zones=section.integer("availabilityZones", 2, 3, default=3),
        nat_gateways=section.choice("natGateways", NAT_LAYOUTS, default="per-az"),
        flow_log_retention_days=section.choice(
            "flowLogRetentionDays", LOG_RETENTION_DAYS, default=365
        ),
    )
    section.finish()
    return network


def _cidrs(section: Section, name: str) -> tuple[str, ...]:
    cidrs = section.texts(
        name, _IPV4_CIDR, "an IPv4 CIDR such as 203.0.113.0/24", min_items=0, default=[]
    )
    for index, cidr in enumerate(cidrs):
        try:
            ipaddress.IPv4Network(cidr)
        except ValueError as error:
            raise ConfigError(
                f"{section.key}.{name}[{index}]", cidr, f"an IPv4 network address ({error})"
            ) from error
    return cidrs


def _deploy_access(section: Section) -> DeployAccess:
    access = DeployAccess(
        cidrs=_cidrs(section, "cidrs"),
        security_group_ids=section.texts(
            "securityGroupIds",
            _SECURITY_GROUP_ID,
            "a security group id such as sg-0123456789abcdef0",
            min_items=0,
            default=[],
        ),
        role_arn=section.optional_text("roleArn", _ROLE_ARN, "an IAM role ARN"),
    )
    section.finish()
    if not access.cidrs and not access.security_group_ids:
        raise ConfigError(
            section.key,
            None,
            "cidrs (public endpoint limited to those ranges) and/or securityGroupIds (443 from an"
            " in-VPC runner): pulumi up applies the Namespace, the Secret and the Helm releases"
            " through the cluster API, whose endpoint is otherwise private, and a first deploy"
            " creates the VPC, so it cannot run from inside it",
        )
    return access


def _check_admins_exclude_the_deployer(section: Section, cluster: ClusterConfig) -> None:
    deployer = cluster.deploy_access.role_arn
    if deployer in cluster.admin_role_arns:
        raise ConfigError(
            f"{section.key}.adminRoleArns[{cluster.admin_role_arns.index(deployer)}]",
            deployer,
            "not the deploying role (deployAccess.roleArn): EKS already gives the cluster creator"
            " admin access, and a second access entry for it fails with 409"
            " ResourceInUseException",
        )


def _cluster(section: Section) -> ClusterConfig:
    node_groups = section.section("nodeGroups")
    cluster = ClusterConfig(
        version=section.text(
            "version", _KUBERNETES_MINOR, "a Kubernetes minor version such as 1.33"
        ),
        system_nodes=_node_group(node_groups.section("system")),
        app_nodes=_node_group(node_groups.section("app")),
        admin_role_arns=section.texts(
            "adminRoleArns", _ROLE_ARN, "an IAM role ARN", min_items=0, default=[]
        ),
        log_retention_days=section.choice("logRetentionDays", LOG_RETENTION_DAYS, default=365),
        deploy_access=_deploy_access(section.section("deployAccess", required=False)),
    )
    node_groups.finish()
    section.finish()
    if not _runs_the_chart(cluster.version):
        raise ConfigError(
            f"{section.key}.version",
            cluster.version,
            f"1.{OLDEST_CHART_KUBERNETES_MINOR} or later: the app chart's kubeVersion"
            " (app/chart/Chart.yaml) refuses an older cluster, so Helm would refuse the release",
        )
    _check_admins_exclude_the_deployer(section, cluster)
    return cluster


def _runs_the_chart(version: str) -> bool:
    """Whether a cluster of this `1.<minor>` version meets the app chart's kubeVersion."""
    return int(version.split(".")[1]) >= OLDEST_CHART_KUBERNETES_MINOR


def _cache(section: Section) -> CacheConfig:
    cache = CacheConfig(
        node_type=section.text(
            "nodeType", _CACHE_NODE_TYPE, "an ElastiCache node type such as cache.r7g.large"
        ),
        shards=section.integer("shards", 1, 30, default=1),
        replicas_per_shard=section.integer("replicasPerShard", 1, 5, default=1),
        engine_version=section.text(
            "engineVersion", _VERSION, "a Redis OSS engine version such as 7.1", default="7.1"
        ),
        snapshot_retention_days=section.integer("snapshotRetentionDays", 1, 35, default=7),
    )
    section.finish()
    return cache


def _database(section: Section, environment: str) -> DatabaseConfig:
    database = DatabaseConfig(
        engine_version=section.text(
            "engineVersion", _VERSION, "an Aurora PostgreSQL version such as 16.6"
        ),
        instance_class=section.text(
            "instanceClass", _DB_INSTANCE_CLASS, "a DB instance class such as db.r7g.xlarge"
        ),
        instances=section.integer("instances", 1, 15, default=2),
        backup_retention_days=section.integer("backupRetentionDays", 1, 35, default=7),
        deletion_protection=section.boolean("deletionProtection", default=True),
        global_role=section.choice("globalRole", GLOBAL_ROLES, default="standalone"),
    )
    section.finish()
    expected_role = {
        "dr": ("secondary",),
        "prod": ("primary", "standalone"),
        "dev": ("standalone",),
    }[environment]
    if database.global_role not in expected_role:
        raise ConfigError(
            f"{section.key}.globalRole",
            database.global_role,
            f"one of {', '.join(expected_role)} in a {environment} stack",
        )
    return database


def _resources(section: Section) -> ContainerResources:
    requests, limits = section.section("requests"), section.section("limits")
    resources = ContainerResources(
        cpu_request=requests.text("cpu", _CPU, "a Kubernetes CPU quantity such as 500m"),
        memory_request=requests.text(
            "memory", _MEMORY, "a Kubernetes memory quantity such as 512Mi"
        ),
        cpu_limit=limits.text("cpu", _CPU, "a Kubernetes CPU quantity such as 1"),
        memory_limit=limits.text("memory", _MEMORY, "a Kubernetes memory quantity such as 1Gi"),
    )
    for part in (requests, limits, section):
        part.finish()
    return resources


def _openings(raw: object, key: str, peak_rps: int) -> tuple[Opening, ...]:
    if not isinstance(raw, list):
        raise ConfigError(key, raw, "a list of openings, each {at, expectedPeakRps}")
    openings = []
    for index, item in enumerate(raw):
        section = Section(item, f"{key}[{index}]")
        openings.append(
            Opening(
                starts_at=section.timestamp("at"),
                expected_peak_rps=section.integer("expectedPeakRps", 1, peak_rps),
                duration_minutes=section.integer("durationMinutes", 10, 24 * 60, default=60),
            )
        )
        section.finish()
    return tuple(openings)


def _drainable(min_replicas: int, pdb_min_available: int) -> bool:
    """A node drain evicts a pod only while more than the budget's minimum are running: the
    chart's own rule (app/chart/templates/pdb.yaml), which refuses to render otherwise."""
    return pdb_min_available < min_replicas


def _services(section: Section) -> ServicesConfig:
    image, autoscaling = section.section("image"), section.section("autoscaling")
    min_replicas = autoscaling.integer("minReplicas", 1, 500)
    max_replicas = autoscaling.integer("maxReplicas", 1, 500)
    if max_replicas < min_replicas:
        raise ConfigError(
            f"{autoscaling.key}.maxReplicas", max_replicas, f"at least minReplicas ({min_replicas})"
        )
    services = ServicesConfig(
        namespace=section.text(
            "namespace", _NAME, "a lowercase Kubernetes namespace name", default="ticketing"
        ),
        image_repository=image.text(
            "repository",
            _IMAGE_REPOSITORY,
            "an image repository such as"
            " 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/ticketing",
        ),
        image_tag=image.text("tag", _IMAGE_TAG, "a pinned image tag (not 'latest')"),
        replicas=section.integer("replicas", 1, 500),
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        target_cpu_percent=autoscaling.integer("targetCpuPercent", 10, 95, default=60),
        pdb_min_available=section.integer("podDisruptionMinAvailable", 1, 500, default=1),
        resources=_resources(section.section("resources")),
        env=section.text_map("env", _ENV_NAME, "an UPPER_SNAKE_CASE environment variable name"),
        peak_rps=(peak_rps := section.integer("peakRps", 1, 1_000_000)),
        openings=_openings(section.raw("openings") or [], f"{section.key}.openings", peak_rps),
    )
    shadowing = sorted(set(services.env) & set(APP_SECRET_ENV_NAMES))
    if shadowing:
        raise ConfigError(
            f"{section.key}.env.{shadowing[0]}",
            "<not shown>",
            f"no {shadowing[0]} here: the pods get it from the app's Secret, built from the"
            " ticketing config secrets",
        )
    chart_owned = sorted(set(services.env) & set(CHART_TLS_ENV_NAMES))
    if chart_owned:
        raise ConfigError(
            f"{section.key}.env.{chart_owned[0]}",
            services.env[chart_owned[0]],
            f"no {chart_owned[0]} here: the chart sets it from its TLS Secret",
        )
    if not _drainable(services.min_replicas, services.pdb_min_available):
        raise ConfigError(
            f"{section.key}.podDisruptionMinAvailable",
            services.pdb_min_available,
            f"fewer than autoscaling.minReplicas ({min_replicas}) so nodes can drain",
        )
    for part in (image, autoscaling, section):
        part.finish()
    return services


def _edge(section: Section) -> EdgeConfig:
    hostname = "a lowercase DNS name such as tickets.example.com"
    edge = EdgeConfig(
        zone_name=section.text("zoneName", _HOSTNAME, hostname),
        public_hostname=section.text("publicHostname", _HOSTNAME, hostname),
        regional_hostname=section.text("regionalHostname", _HOSTNAME, hostname),
        rate_limit_per_ip_5min=section.integer("rateLimitPerIp5Min", 100, 2_000_000, default=3000),
        deletion_protection=section.boolean("deletionProtection", default=True),
        access_log_retention_days=section.integer("accessLogRetentionDays", 1, 3650, default=90),
        public_record=section.boolean("publicRecord", default=False),
    )
    for name, value in (
        ("publicHostname", edge.public_hostname),
        ("regionalHostname", edge.regional_hostname),
    ):
        if value != edge.zone_name and not value.endswith(f".{edge.zone_name}"):
            raise ConfigError(
                f"{section.key}.{name}", value, f"a name inside zoneName ({edge.zone_name})"
            )
    section.finish()
    return edge


def _alerting(section: Section) -> AlertingConfig:
    alerting = AlertingConfig(
        emails=section.texts("emails", _EMAIL, "an email address"),
        alb_5xx_per_minute=section.integer("alb5xxPerMinute", 1, 100_000, default=50),
        alb_p99_latency_seconds=section.number("albP99LatencySeconds", 0.05, 30, default=1.0),
        node_cpu_percent=section.integer("nodeCpuPercent", 50, 100, default=80),
        redis_cpu_percent=section.integer("redisCpuPercent", 30, 100, default=75),
        redis_memory_percent=section.integer("redisMemoryPercent", 30, 100, default=80),
        aurora_cpu_percent=section.integer("auroraCpuPercent", 30, 100, default=80),
        aurora_replica_lag_ms=section.integer("auroraReplicaLagMs", 100, 600_000, default=2000),
    )
    section.finish()
    return alerting


def _dr(section: Section) -> DrConfig:
    standby = section.section("standby", required=False)
    dr = DrConfig(
        mode=section.choice("mode", DR_MODES, default="standby"),
        primary_stack=section.text(
            "primaryStack",
            _STACK_REF,
            "a fully qualified stack name such as organization/ticketing/prod",
        ),
        standby=StandbySizes(
            app_nodes_min=standby.integer("appNodesMin", 1, 100, default=2),
            app_nodes_desired=standby.integer("appNodesDesired", 1, 100, default=2),
            replicas=standby.integer("replicas", 1, 500, default=2),
            database_instances=standby.integer("databaseInstances", 1, 15, default=1),
        ),
    )
    for part in (standby, section):
        part.finish()
    if dr.standby.app_nodes_desired < dr.standby.app_nodes_min:
        raise ConfigError(
            f"{standby.key}.appNodesDesired",
            dr.standby.app_nodes_desired,
            f"at least appNodesMin ({dr.standby.app_nodes_min})",
        )
    return dr


def _decode(value: str) -> Any:
    """Pulumi hands every value over as a string; objects, lists, numbers and booleans are JSON."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _secret(name: str, present: bool) -> pulumi.Output[str]:
    if not present:
        raise ConfigError(
            name, None, f"a secret (pulumi config set --secret {NAMESPACE}:{name} ...)"
        )
    if not runtime_config.is_config_secret(f"{NAMESPACE}:{name}"):
        raise ConfigError(
            name,
            "<plain text, not shown>",
            "a secret: remove it from the stack file and run pulumi config set --secret"
            f" {NAMESPACE}:{name}",
        )
    return pulumi.Config(NAMESPACE).require_secret(name)


def _secrets(top: Section, environment: str) -> Secrets:
    present = {name: top.raw(name) is not None for name in SECRET_KEYS}
    if environment == "dr" and present["databasePassword"]:
        raise ConfigError(
            "databasePassword",
            "<not shown>",
            "no database password in a dr stack: a global secondary has no credentials of its"
            " own, and the pods use the primary stack's secret databaseUrl output"
            f" (pulumi config rm {NAMESPACE}:databasePassword)",
        )
    return Secrets(
        redis_auth_token=_secret("redisAuthToken", present["redisAuthToken"]),
        database_password=(
            None
            if environment == "dr"
            else _secret("databasePassword", present["databasePassword"])
        ),
        admin_token=_secret("adminToken", present["adminToken"]),
        token_signing_secret=_secret("tokenSigningSecret", present["tokenSigningSecret"]),
    )


def _namespace_values() -> dict[str, Any]:
    prefix = f"{NAMESPACE}:"
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    config = pulumi.Config(NAMESPACE)
    return {
        key[len(prefix) :]: _decode(config.get(key[len(prefix) :]) or "")
        for key in keys
        if key.startswith(prefix)
    }


def parse(raw: Mapping[str, Any], region: str) -> StackConfig:
    """The stack config from the `ticketing` namespace's decoded values."""
    top = Section(raw, "")
    for name in raw:
        if name not in TOP_LEVEL_KEYS:
            raise unknown_key_error(name, name, list(TOP_LEVEL_KEYS))
    environment = top.choice("environment", ENVIRONMENTS)
    dr_raw = top.raw("dr")
    routing_raw = top.raw("routing")
    if environment == "dr" and dr_raw is None:
        raise ConfigError(
            "dr", None, "an object with mode and primaryStack (required in a dr stack)"
        )
    if environment != "dr" and dr_raw is not None:
        raise ConfigError(
            "dr", dr_raw, f"no dr key in a {environment} stack (only environment dr has one)"
        )
    if routing_raw is not None and dr_raw is None:
        raise ConfigError(
            "routing",
            routing_raw,
            "routing only in the stack with a dr key (it needs the primary stack's endpoint)",
        )
    config = StackConfig(
        environment=environment,
        owner=top.text("owner", _NAME, "a lowercase team name such as platform-team"),
        region=region,
        network=_network(top.section("network")),
        cluster=_cluster(top.section("cluster")),
        cache=_cache(top.section("cache")),
        database=_database(top.section("database"), environment),
        services=_services(top.section("services")),
        edge=_edge(top.section("edge")),
        alerting=_alerting(top.section("alerting")),
        dr=_dr(Section(dr_raw, "dr")) if dr_raw is not None else None,
        routing=(
            RoutingConfig.from_config(routing_raw, "routing") if routing_raw is not None else None
        ),
        secrets=_secrets(top, environment),
    )
    _check_images_are_regional(config)
    _check_public_name_owner(config)
    _check_sizes(config)
    return config


def _check_sizes(config: StackConfig) -> None:
    """The stack meets the need of its peak, and exceeds it at most 2x (components/sizing.py)."""
    sizing.check(
        sizing.Sizes(
            peak_rps=config.services.peak_rps,
            pod_vcpu=sizing.kubernetes_cpu(config.services.resources.cpu_request),
            target_cpu=config.services.target_cpu_percent,
            max_replicas=config.services.max_replicas,
            app_instance_type=config.cluster.app_nodes.instance_types[0],
            app_nodes_max=config.cluster.app_nodes.max_size,
            cache_node_type=config.cache.node_type,
            cache_shards=config.cache.shards,
            database_instance_class=config.database.instance_class,
        )
    )


def _check_images_are_regional(config: StackConfig) -> None:
    """A failover relies on the region pulling its own images while another region is down."""
    ecr = _ECR_REPOSITORY.match(config.services.image_repository)
    if ecr and ecr.group("region") != config.region:
        raise ConfigError(
            "services.image.repository",
            config.services.image_repository,
            f"an ECR repository in this stack's region {config.region} (replicate the image), so"
            " pods start while another region is down",
        )


def _check_public_name_owner(config: StackConfig) -> None:
    """One owner answers for the public name: the routing owner's weighted records, or, in a stack
    nobody routes, its own record; the name served is the one on the certificates."""
    if config.edge.public_record and config.environment in ROUTED_ENVIRONMENTS:
        raise ConfigError(
            "edge.publicRecord",
            True,
            f"false in {' and '.join(ROUTED_ENVIRONMENTS)}: the routing owner's weighted records"
            " answer for the public name",
        )
    if config.routing is not None and config.routing.record_name != config.edge.public_hostname:
        raise ConfigError(
            "routing.recordName",
            config.routing.record_name,
            f"edge.publicHostname ({config.edge.public_hostname}), the name on the regional"
            " certificates",
        )


def apply_dr_mode(config: StackConfig) -> StackConfig:
    """A dr stack in standby runs the same components at its standby sizes; active means
    prod-sized.
    """
    if not config.is_standby or config.dr is None:
        return config
    standby = config.dr.standby
    app_nodes = dataclasses.replace(
        config.cluster.app_nodes,
        min_size=min(standby.app_nodes_min, config.cluster.app_nodes.min_size),
        desired_size=min(standby.app_nodes_desired, config.cluster.app_nodes.desired_size),
    )
    replicas = min(standby.replicas, config.services.replicas)
    if not _drainable(
        min(replicas, config.services.min_replicas), config.services.pdb_min_available
    ):
        raise ConfigError(
            "dr.standby.replicas",
            standby.replicas,
            f"more than services.podDisruptionMinAvailable ({config.services.pdb_min_available}) so"
            " standby nodes can drain",
        )
    return dataclasses.replace(
        config,
        cluster=dataclasses.replace(config.cluster, app_nodes=app_nodes),
        services=dataclasses.replace(
            config.services,
            replicas=replicas,
            min_replicas=min(replicas, config.services.min_replicas),
        ),
        database=dataclasses.replace(
            config.database, instances=min(standby.database_instances, config.database.instances)
        ),
    )


def load() -> StackConfig:
    """The running stack's config, dr mode applied."""
    raw = _namespace_values()
    region = pulumi.Config("aws").get("region")
    if not region or not re.match(r"^[a-z]{2}-[a-z]+-\d$", region):
        raise ConfigError("aws:region", region, "an AWS region such as ap-northeast-2")
    return apply_dr_mode(parse(raw, region))
