"""The pack against real checkov on rendered manifests (policies/coverage/checkov_agreement.py).
The comparison is tested without checkov; the scan itself runs when `make coverage-checkov` has
installed checkov into build/checkov-venv."""

from pathlib import Path

import pytest

from policies.coverage.checkov_agreement import (
    checkov_failures,
    disagreements,
    manifest_key,
    pack_failures,
    stricter,
)
from policies.gate.chart_render import RenderedRelease, render_chart
from policies.gate.rendered_resources import manifest_resources
from policies.program_runner import RegisteredResource

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV = REPO_ROOT / "build" / "checkov-venv" / "bin" / "checkov"
CHART = Path(__file__).parent / "charts" / "web"
DEPLOYMENT_KEY = "Deployment.shop.web"


def test_manifest_key_is_checkovs_resource_name():
    manifest = {"kind": "CronJob", "metadata": {"name": "raise", "namespace": "ticketing"}}
    assert manifest_key(manifest) == "CronJob.ticketing.raise"


def test_a_checkov_failure_neither_found_nor_rejected_is_a_disagreement():
    checkov_failed = {("CKV_K8S_16", DEPLOYMENT_KEY), ("CKV_K8S_43", DEPLOYMENT_KEY)}
    assert disagreements(checkov_failed, {("CKV_K8S_16", DEPLOYMENT_KEY)}, {"CKV_K8S_43"}) == []
    assert disagreements(checkov_failed, set(), {"CKV_K8S_43"}) == [
        f"CKV_K8S_16 on {DEPLOYMENT_KEY}: checkov fails it, no rule finds it"
    ]
    assert stricter(checkov_failed, {("CKV_K8S_28", DEPLOYMENT_KEY)}) == [
        f"CKV_K8S_28 on {DEPLOYMENT_KEY}"
    ]


def _rendered(values: dict) -> list[RegisteredResource]:
    release = RegisteredResource(
        urn="urn:pulumi:test::shop::kubernetes:helm.sh/v3:Release::web",
        type="kubernetes:helm.sh/v3:Release",
        name="web",
        custom=True,
        parent_urn="",
        inputs={"namespace": "shop"},
        provider="",
        protect=False,
        ignore_changes=(),
        dependencies=(),
    )
    manifests = render_chart(CHART, values, "web", "shop")
    return manifest_resources(RenderedRelease(release, manifests))


@pytest.mark.skipif(not CHECKOV.is_file(), reason="checkov: run `make coverage-checkov` first")
@pytest.mark.parametrize("values", [{"debugMode": True}, {}])
def test_real_checkov_and_the_pack_agree_on_a_render(values):
    rendered = _rendered(values)
    checkov_failed = checkov_failures(CHECKOV, [resource.inputs for resource in rendered])
    if values:
        assert {("CKV_K8S_16", DEPLOYMENT_KEY), ("CKV_K8S_20", DEPLOYMENT_KEY)} <= checkov_failed
    # The chart pins a tag, not a digest: the one check the table rejects for it.
    assert disagreements(checkov_failed, pack_failures([], rendered), {"CKV_K8S_43"}) == []
