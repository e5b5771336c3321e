"""`ticketing prescale --hpa NAME --min-replicas N`: sets the floor of the release's own HPA.

The chart's pre-scaling CronJobs run it (app/chart/templates/prescale.yaml) under a ServiceAccount
that may get and patch only that HPA; it talks to the API server with the pod's mounted token.
"""

from pathlib import Path

import httpx
import orjson

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
API_SERVER = "https://kubernetes.default.svc"
TIMEOUT_SECONDS = 30.0


class PrescaleError(Exception):
    """The API server refused or could not be reached; the message says which."""


def hpa_path(namespace: str, hpa: str) -> str:
    return f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{hpa}"


def patch_min_replicas(client: httpx.Client, namespace: str, hpa: str, min_replicas: int) -> None:
    try:
        response = client.patch(
            hpa_path(namespace, hpa),
            content=orjson.dumps({"spec": {"minReplicas": min_replicas}}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
    except httpx.HTTPError as error:
        raise PrescaleError(f"the API server could not be reached: {error}") from error
    if response.status_code != 200:
        raise PrescaleError(
            f"patching {namespace}/{hpa} answered {response.status_code}: {response.text[:300]}"
        )


def in_cluster_client(service_account_dir: Path = SERVICE_ACCOUNT_DIR) -> tuple[httpx.Client, str]:
    """A client authenticated as the pod's ServiceAccount, and the pod's namespace."""
    token = (service_account_dir / "token").read_text().strip()
    namespace = (service_account_dir / "namespace").read_text().strip()
    client = httpx.Client(
        base_url=API_SERVER,
        verify=str(service_account_dir / "ca.crt"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_SECONDS,
    )
    return client, namespace


def prescale(hpa: str, min_replicas: int) -> int:
    client, namespace = in_cluster_client()
    with client:
        try:
            patch_min_replicas(client, namespace, hpa, min_replicas)
        except PrescaleError as error:
            print(f"error: {error}")
            return 1
    print(f"{namespace}/{hpa}: minReplicas {min_replicas}")
    return 0
