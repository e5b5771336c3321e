"""`ticketing prescale`: a merge patch of the HPA's minReplicas, as the ServiceAccount."""

import shutil

import certifi
import httpx
import orjson
import pytest

from ticketing.prescale import PrescaleError, hpa_path, in_cluster_client, patch_min_replicas


def test_the_floor_is_set_with_a_merge_patch_of_that_hpa_only() -> None:
    seen: list[httpx.Request] = []

    def api_server(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"spec": {"minReplicas": 197}})

    client = httpx.Client(base_url="https://api", transport=httpx.MockTransport(api_server))
    patch_min_replicas(client, "ticketing", "ticketing", 197)
    (request,) = seen
    assert request.method == "PATCH"
    assert request.url.path == hpa_path("ticketing", "ticketing")
    assert request.url.path == (
        "/apis/autoscaling/v2/namespaces/ticketing/horizontalpodautoscalers/ticketing"
    )
    assert request.headers["Content-Type"] == "application/merge-patch+json"
    assert orjson.loads(request.content) == {"spec": {"minReplicas": 197}}


def test_a_refusal_is_reported_with_its_status() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="forbidden: cannot patch")

    client = httpx.Client(base_url="https://api", transport=httpx.MockTransport(forbidden))
    with pytest.raises(PrescaleError, match="answered 403: forbidden"):
        patch_min_replicas(client, "ticketing", "other", 5)


def test_the_client_uses_the_mounted_token_namespace_and_ca(tmp_path) -> None:
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "namespace").write_text("ticketing\n")
    shutil.copy(
        certifi.where(), tmp_path / "ca.crt"
    )  # any valid bundle stands in for the cluster CA
    client, namespace = in_cluster_client(tmp_path)
    with client:
        assert namespace == "ticketing"
        assert client.headers["Authorization"] == "Bearer sa-token"
        assert str(client.base_url) == "https://kubernetes.default.svc"
