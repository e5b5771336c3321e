"""Scheduled pre-scaling: CronJobs that set the HPA's floor, under a Role limited to that HPA."""

from __future__ import annotations

from policies.gate.manifests import validate_manifest
from tests.chart.chart_render import KUBERNETES_VERSION, kinds, only, render, render_error
from tests.chart.scenarios import MINIMAL_VALUES, with_override

SCHEDULES = [
    {"name": "opening-0-raise", "schedule": "30 0 15 1 *", "minReplicas": 197},
    {"name": "opening-0-restore", "schedule": "0 2 15 1 *", "minReplicas": 3},
]
WITH_SCHEDULES = with_override(MINIMAL_VALUES, "prescale.schedules", SCHEDULES)


def test_no_openings_render_nothing_extra() -> None:
    assert "CronJob" not in kinds(render(MINIMAL_VALUES))


def test_each_schedule_is_a_cronjob_setting_the_hpa_floor() -> None:
    manifests = render(WITH_SCHEDULES)
    hpa = only(manifests, "HorizontalPodAutoscaler")["metadata"]["name"]
    jobs = {job["metadata"]["name"]: job for job in manifests if job["kind"] == "CronJob"}
    assert set(jobs) == {f"{hpa}-opening-0-raise", f"{hpa}-opening-0-restore"}
    raise_job = jobs[f"{hpa}-opening-0-raise"]["spec"]
    assert (raise_job["schedule"], raise_job["timeZone"]) == ("30 0 15 1 *", "Etc/UTC")
    (container,) = raise_job["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["ticketing", "prescale", "--hpa", hpa, "--min-replicas", "197"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    for manifest in manifests:
        validate_manifest(manifest, KUBERNETES_VERSION)


def test_the_jobs_may_patch_only_their_own_hpa() -> None:
    manifests = render(WITH_SCHEDULES)
    hpa = only(manifests, "HorizontalPodAutoscaler")["metadata"]["name"]
    (rule,) = only(manifests, "Role")["rules"]
    assert rule == {
        "apiGroups": ["autoscaling"],
        "resources": ["horizontalpodautoscalers"],
        "resourceNames": [hpa],
        "verbs": ["get", "patch"],
    }
    binding = only(manifests, "RoleBinding")
    (account,) = [
        manifest
        for manifest in manifests
        if manifest["kind"] == "ServiceAccount"
        and manifest["metadata"]["name"].endswith("-prescale")
    ]
    assert binding["subjects"][0]["name"] == account["metadata"]["name"]
    job = next(manifest for manifest in manifests if manifest["kind"] == "CronJob")
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    deployment = only(manifests, "Deployment")["spec"]["template"]["spec"]
    assert deployment["serviceAccountName"] != account["metadata"]["name"]


def test_a_malformed_schedule_is_refused() -> None:
    bad = [{"name": "x", "schedule": "every day", "minReplicas": 3}]
    assert "schedule" in render_error(with_override(MINIMAL_VALUES, "prescale.schedules", bad))
