"""Smoke test of the built image: its own entry point serves the waiting room and a booking
against real Redis and PostgreSQL, as uid 10001 on a read-only root, over TLS with a mounted
certificate; the image carries no build tools, caches, source tree or index settings, and stays
under its size budget."""

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from cryptography import x509

from tests.app.conftest import (
    ADMIN,
    Stores,
    bearer,
    client_headers,
    event_body,
    join,
    wait_for_access,
)
from tests.app.test_tls import self_signed_files
from tests.image.container import BuiltImage, ImageProcess
from ticketing.embedded import free_port

# python:3.11-slim-bookworm is about 125 MB unpacked and the Debian stand-in 150 MB; the app's
# venv adds about 90 MB. 300 MB leaves room for either base, and catches a compiler, a pip cache
# or a second copy of the dependencies.
SIZE_BUDGET_BYTES = 300 * 1000 * 1000
APP_UID = 10001
TLS_MOUNT = "/etc/ticketing/tls"  # the chart's mount path (ticketing.tlsMountPath)


@asynccontextmanager
async def serving(
    image: BuiltImage,
    stores: Stores,
    log_folder: Path,
    env: dict[str, str] | None = None,
    mounts: dict[str, Path] | None = None,
) -> AsyncIterator[tuple[ImageProcess, str]]:
    port = free_port()
    app_env = {name: value for name, value in stores.env().items() if name.startswith("TICKETING_")}
    app = ImageProcess(image, port, {**app_env, **(env or {})}, log_folder / "image.log", mounts)
    scheme = "https" if mounts else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(verify=False) as probe:
            while True:
                assert app.process.poll() is None, app.log_path.read_text()
                try:
                    if (await probe.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, app.log_path.read_text()
                await asyncio.sleep(0.2)
        yield app, url
    finally:
        app.stop()


async def test_the_image_serves_a_join_admission_hold_and_confirm(
    built_image: BuiltImage, stores: Stores, tmp_path: Path
) -> None:
    async with (
        serving(built_image, stores, tmp_path) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        event_id = f"ev-image-{free_port()}"
        created = await http.put(f"/api/v1/events/{event_id}", json=event_body(), headers=ADMIN)
        assert created.status_code == 201, created.text
        joined = await join(http, event_id, client_headers())
        token = (await wait_for_access(http, event_id, joined["ticket"]))["access_token"]
        hold = await http.post(
            f"/api/v1/events/{event_id}/holds",
            json={"slot_id": "a", "quantity": 2},
            headers=bearer(token),
        )
        assert hold.status_code == 201, hold.text
        confirm = await http.post(
            f"/api/v1/holds/{hold.json()['hold_id']}/confirm",
            headers={**bearer(token), "Idempotency-Key": "image-smoke"},
        )
        assert confirm.status_code == 201, confirm.text


def proc_status_ids(pid: int, field: str) -> set[int]:
    (line,) = [
        line
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith(f"{field}:")
    ]
    return {int(value) for value in line.split()[1:]}


def root_mount_options(pid: int) -> list[str]:
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == "/":
            return fields[5].split(",")
    raise AssertionError(f"no root mount for process {pid}")


async def test_the_process_runs_as_uid_10001_on_a_read_only_root(
    built_image: BuiltImage, stores: Stores, tmp_path: Path
) -> None:
    assert built_image.user == f"{APP_UID}:{APP_UID}"
    async with serving(built_image, stores, tmp_path) as (app, _):
        pid = app.app_pid()
        assert proc_status_ids(pid, "Uid") == {APP_UID}
        assert proc_status_ids(pid, "Gid") == {APP_UID}
        assert "ro" in root_mount_options(pid)


async def test_tls_mode_starts_with_a_mounted_certificate_and_key(
    built_image: BuiltImage, stores: Stores, tmp_path: Path
) -> None:
    secret = tmp_path / "tls"
    secret.mkdir(mode=0o755)
    cert_file, key_file = self_signed_files(secret)
    for path in (cert_file, key_file):
        path.chmod(0o644)  # the chart's Secret volume is readable by the pod's user
    tls_env = {
        "TICKETING_TLS_CERT_FILE": f"{TLS_MOUNT}/{cert_file.name}",
        "TICKETING_TLS_KEY_FILE": f"{TLS_MOUNT}/{key_file.name}",
    }
    async with serving(built_image, stores, tmp_path, tls_env, {TLS_MOUNT: secret}) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        served = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port))
    assert url.startswith("https://")  # serving() waited for /readyz over HTTPS
    assert x509.load_pem_x509_certificate(served.encode()) == x509.load_pem_x509_certificate(
        cert_file.read_bytes()
    )


COMPILERS = ("gcc", "cc", "g++", "c++", "clang", "make", "ld", "as")
# the builder's source tree and wheels, pip's cache, and the index settings lent to the build
LEFTOVERS = ("src", "wheels", "root/.cache/pip", "etc/pip.conf", "etc/xdg/pip/pip.conf")


def test_the_image_holds_no_compiler_pip_cache_source_tree_or_index_settings(
    built_image: BuiltImage,
) -> None:
    root = built_image.root
    binaries = {
        path.name
        for folder in ("usr/bin", "usr/local/bin", "bin")
        if (root / folder).is_dir()
        for path in (root / folder).iterdir()
    }
    assert {
        name for name in binaries if name in COMPILERS or name.endswith(("-gcc", "-cc"))
    } == set()
    assert [leftover for leftover in LEFTOVERS if (root / leftover).exists()] == []
    assert list((root / "etc/xdg/pip").glob("*")) == []  # nor the CA bundle lent with them
    assert (
        sorted(
            str(path.relative_to(root))
            for path in root.rglob("pip")
            if path.is_dir() and path.parent.name == ".cache"
        )
        == []
    )
    assert [str(path) for path in root.glob("*/pyproject.toml")] == []
    assert (root / "opt/venv/bin/ticketing").is_file()


def test_the_image_stays_under_its_size_budget(built_image: BuiltImage) -> None:
    print(f"image {built_image.reference}: {built_image.size_bytes / 1e6:.0f} MB")
    assert built_image.size_bytes < SIZE_BUDGET_BYTES


def test_the_local_base_has_the_python_minor_of_the_pinned_base(built_image: BuiltImage) -> None:
    dockerfile = (Path(__file__).resolve().parents[2] / "app" / "Dockerfile").read_text()
    pinned_minor = dockerfile.split("python:", 1)[1].split(".")[:2]
    (python,) = (built_image.root / "usr/lib").glob("python3.*")
    assert python.name == "python" + ".".join(pinned_minor)
