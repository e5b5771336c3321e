"""ticketing: the flash-sale platform of the selected stack, composed from its typed config."""

import pulumi

from components import config as stack_config
from components.alerting import Alerting, Watched
from components.cache import Cache
from components.cluster import Cluster
from components.database import Database
from components.edge import HEALTH_CHECK_PATH, Edge
from components.network import Network
from components.routing import Routing
from components.services import AppSecrets, Services

config = stack_config.load()
prefix = f"ticketing-{config.environment}"
primary = pulumi.StackReference(config.dr.primary_stack) if config.dr else None

network = Network(f"{prefix}-network", config.network, config.region, config.tags("network"))
edge = Edge(
    f"{prefix}-edge",
    config.edge,
    config.region,
    network.vpc_id,
    network.cidr,
    network.public_subnet_ids,
    config.tags("edge"),
    # prod, deployed first, writes the public name's validation record; dr's certificate uses it
    owns_public_validation=config.dr is None,
)
cluster = Cluster(
    f"{prefix}-eks",
    config.cluster,
    config.region,
    network.vpc_id,
    network.private_subnet_ids,
    [edge.target_group.arn],
    edge.security_group.id,
    config.tags("cluster"),
)
cache = Cache(
    f"{prefix}-redis",
    config.cache,
    config.region,
    network.vpc_id,
    network.private_subnet_ids,
    cluster.security_group_id,
    config.secrets.redis_auth_token,
    config.tags("cache"),
)
database = Database(
    f"{prefix}-aurora",
    config.database,
    config.region,
    network.vpc_id,
    network.private_subnet_ids,
    cluster.security_group_id,
    config.secrets.database_password,
    config.tags("database"),
    primary_global_cluster_identifier=(
        primary.require_output("auroraGlobalClusterIdentifier") if primary else None
    ),
)
# dr's secondary has no credentials of its own: its pods use prod's URL, whose host is the global
# writer endpoint, so both regions reach the writer wherever a switchover has moved it.
database_url: pulumi.Output[str] | None = (
    pulumi.Output.secret(primary.require_output("databaseUrl").apply(str))
    if primary
    else database.url
)
if database_url is None:
    raise ValueError("the database has no URL: only a global secondary reads its primary's")
services = Services(
    f"{prefix}-services",
    config.services,
    AppSecrets(
        cache.url, database_url, config.secrets.admin_token, config.secrets.token_signing_secret
    ),
    {
        **cache.client_env,
        # X-Forwarded-For is believed only from the ALB (per-IP limits, app/ticketing/limits.py)
        "TICKETING_TRUSTED_PROXIES": ",".join(network.public_cidrs),
        # this region's Redis copies of events: dr shares prod's database (ticketing.config)
        "TICKETING_DEPLOYMENT": config.region,
    },
    cluster.provider,
    cluster.oidc_provider_arn,
    cluster.oidc_provider_url,
    edge.target_group.arn,
    config.edge.public_hostname,
    edge.certificate_arn,
    edge.web_acl.arn,
    network.cidr,
    config.tags("services"),
    prerequisites=[cluster.load_balancer_controller, *database.instances],
)
alerting = Alerting(
    f"{prefix}-alerting",
    config.alerting,
    config.region,
    Watched(
        alb_arn_suffix=edge.alb.arn_suffix,
        target_group_arn_suffix=edge.target_group.arn_suffix,
        node_group_asg_names=cluster.asg_names,
        redis_members_by_shard=cache.members_by_shard,
        aurora_cluster_identifier=database.cluster_identifier,
        aurora_is_global_secondary=config.database.global_role == "secondary",
    ),
    config.tags("alerting"),
)

if config.routing is not None and config.dr is not None and primary is not None:
    primary_stack = config.dr.primary_stack.rsplit("/", 1)[-1]
    routing = Routing(
        f"{prefix}-routing",
        config.routing,
        endpoints={
            primary_stack: primary.require_output("ingressHostname"),
            pulumi.get_stack(): edge.dns_name,
        },
        # health-check alarms live in us-east-1; routing makes its own topic there
        alarm_topic_arn=None,
        tags=config.tags("routing"),
        alarm_subscriptions=[("email", email) for email in config.alerting.emails],
        endpoint_zone_ids={
            primary_stack: primary.require_output("albZoneId"),
            pulumi.get_stack(): edge.zone_id,
        },
    )
    pulumi.export(
        "routing",
        {
            "weights": routing.weights,
            "healthChecks": routing.health_check_ids,
            "recordName": routing.record_fqdn,
            "alarmTopicArn": routing.alarm_topic_arn,
            "routingControls": routing.routing_control_arns,
        },
    )

pulumi.export("region", config.region)
pulumi.export("environment", config.environment)
pulumi.export("ingressHostname", edge.dns_name)
pulumi.export("albZoneId", edge.zone_id)
pulumi.export("publicHostname", config.edge.public_hostname)
pulumi.export("regionalHostname", config.edge.regional_hostname)
pulumi.export("healthCheckPath", HEALTH_CHECK_PATH)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("kubeconfig", pulumi.Output.secret(cluster.eks.kubeconfig_json))
pulumi.export("redisEndpoint", cache.endpoint)
pulumi.export("auroraClusterIdentifier", database.cluster_identifier)
pulumi.export("auroraClusterArn", database.arn)
pulumi.export("auroraGlobalClusterIdentifier", database.global_cluster_identifier)
pulumi.export("auroraEndpoint", database.endpoint)
pulumi.export("alarmTopicArn", alerting.topic_arn)
pulumi.export("appSecretArn", services.secret_arn)
pulumi.export("auroraEngineVersion", config.database.engine_version)
if database.url is not None:
    pulumi.export("databaseUrl", database.url)
if database.writer_endpoint is not None:
    pulumi.export("auroraWriterEndpoint", database.writer_endpoint)
