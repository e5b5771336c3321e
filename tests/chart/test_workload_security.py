"""The pod meets the restricted Pod Security Standard and drains its connections on shutdown."""

from __future__ import annotations

from tests.chart.chart_render import app_container, only, pod_spec, render, render_error
from tests.chart.scenarios import MINIMAL_VALUES, PULUMI_SERVICES_VALUES, with_override

APP_UID = 10001


def test_pod_security_context_is_restricted() -> None:
    security = pod_spec(render(PULUMI_SERVICES_VALUES))["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == APP_UID
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}


def test_container_security_context_is_restricted() -> None:
    security = app_container(render(PULUMI_SERVICES_VALUES))["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == APP_UID
    assert security["allowPrivilegeEscalation"] is False
    assert security["privileged"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}


def test_tmp_is_the_only_writable_path_and_is_an_empty_dir() -> None:
    manifests = render(MINIMAL_VALUES)
    (mount,) = app_container(manifests)["volumeMounts"]
    (volume,) = pod_spec(manifests)["volumes"]
    assert mount == {"name": volume["name"], "mountPath": "/tmp"}
    assert "emptyDir" in volume


def test_no_kubernetes_api_token_is_mounted() -> None:
    manifests = render(PULUMI_SERVICES_VALUES)
    assert pod_spec(manifests)["automountServiceAccountToken"] is False
    assert only(manifests, "ServiceAccount")["automountServiceAccountToken"] is False


def test_pod_runs_as_the_irsa_service_account() -> None:
    manifests = render(PULUMI_SERVICES_VALUES)
    account = only(manifests, "ServiceAccount")
    assert account["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": PULUMI_SERVICES_VALUES["serviceAccount"]["annotations"][
            "eks.amazonaws.com/role-arn"
        ]
    }
    assert pod_spec(manifests)["serviceAccountName"] == account["metadata"]["name"] == "ticketing"


def test_an_existing_service_account_is_used_without_creating_one() -> None:
    values = with_override(
        MINIMAL_VALUES, "serviceAccount", {"create": False, "name": "shared-runtime"}
    )
    manifests = render(values)
    assert "ServiceAccount" not in [manifest["kind"] for manifest in manifests]
    assert pod_spec(manifests)["serviceAccountName"] == "shared-runtime"


def test_probes_use_health_for_liveness_and_readiness_for_traffic() -> None:
    container = app_container(render(MINIMAL_VALUES))
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {
        "path": "/healthz",
        "port": "http",
        "scheme": "HTTP",
    }
    assert container["startupProbe"]["httpGet"] == {
        "path": "/healthz",
        "port": "http",
        "scheme": "HTTP",
    }
    assert container["readinessProbe"]["httpGet"] == {
        "path": "/readyz",
        "port": "http",
        "scheme": "HTTP",
    }


def test_image_is_the_pinned_tag_and_the_serve_command() -> None:
    container = app_container(render(PULUMI_SERVICES_VALUES))
    image = PULUMI_SERVICES_VALUES["image"]
    assert container["image"] == f"{image['repository']}:{image['tag']}"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["args"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]  # noqa: S104 -- inside the pod


def test_resources_come_from_values() -> None:
    container = app_container(render(PULUMI_SERVICES_VALUES))
    assert container["resources"] == PULUMI_SERVICES_VALUES["resources"]


def test_pre_stop_sleep_drains_connections_within_the_grace_period() -> None:
    manifests = render(with_override(MINIMAL_VALUES, "preStopSleepSeconds", 25))
    assert app_container(manifests)["lifecycle"]["preStop"] == {"sleep": {"seconds": 25}}
    assert pod_spec(manifests)["terminationGracePeriodSeconds"] == 60


def test_a_pre_stop_sleep_as_long_as_the_grace_period_is_refused() -> None:
    values = with_override(MINIMAL_VALUES, "preStopSleepSeconds", 60)
    assert (
        "preStopSleepSeconds (60) must be below terminationGracePeriodSeconds (60)"
        in render_error(values)
    )


def test_pods_spread_across_zones_and_nodes() -> None:
    manifests = render(MINIMAL_VALUES)
    pod_labels = only(manifests, "Deployment")["spec"]["template"]["metadata"]["labels"]
    constraints = pod_spec(manifests)["topologySpreadConstraints"]
    assert [constraint["topologyKey"] for constraint in constraints] == [
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    ]
    for constraint in constraints:
        assert constraint["maxSkew"] == 1
        assert constraint["labelSelector"]["matchLabels"].items() <= pod_labels.items()


def test_prometheus_scrapes_the_metrics_endpoint() -> None:
    annotations = only(render(MINIMAL_VALUES), "Deployment")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8000",
        "prometheus.io/path": "/metrics",
    }
