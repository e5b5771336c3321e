"""`ticketing serve` over HTTPS, as the pods serve the ALB: a self-signed certificate from two
files.
"""

import datetime
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.app.conftest import Stores, running_apps
from ticketing.config import TLS_VARIABLES

TICKETING_SERVE = [sys.executable, "-m", "ticketing.cli", "serve"]


def self_signed_files(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, PEM files in folder: what the chart generates, in
    small.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ticketing")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "tls.crt", folder / "tls.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


async def test_serve_answers_https_with_the_given_certificate(
    stores: Stores, tmp_path: Path
) -> None:
    async with running_apps(stores, tmp_path, tls=self_signed_files(tmp_path)) as (app,):
        assert app.url.startswith("https://")
        async with httpx.AsyncClient(verify=False) as client:
            response = await client.get(f"{app.url}/healthz")
        assert response.status_code == 200
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.HTTPError):
                await client.get(f"{app.url.replace('https://', 'http://')}/healthz")


def test_serve_refuses_half_a_tls_configuration(stores: Stores, tmp_path: Path) -> None:
    cert_file, _ = self_signed_files(tmp_path)
    env = {**stores.env(), "TICKETING_TLS_CERT_FILE": str(cert_file), "TICKETING_TLS_KEY_FILE": ""}
    half = subprocess.run(TICKETING_SERVE, env=env, capture_output=True, text=True, timeout=30)
    assert half.returncode == 2, half.stderr
    assert all(name in half.stderr for name in TLS_VARIABLES), half.stderr


def test_serve_refuses_a_tls_file_that_does_not_exist(stores: Stores, tmp_path: Path) -> None:
    cert_file, _ = self_signed_files(tmp_path)
    missing = tmp_path / "missing.key"
    env = {
        **stores.env(),
        "TICKETING_TLS_CERT_FILE": str(cert_file),
        "TICKETING_TLS_KEY_FILE": str(missing),
    }
    refused = subprocess.run(TICKETING_SERVE, env=env, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2, refused.stderr
    assert (
        f"TICKETING_TLS_KEY_FILE must name an existing PEM file, got {str(missing)!r}"
        in refused.stderr
    )
