"""Writes this machine's package-index settings (pip config and CA bundle) into a folder that
scripts/build-image.sh mounts read-only at pip's site-wide config folder for the RUN steps of the
build: the build reaches the same index through the same CA, and neither becomes a layer.

Usage: python scripts/pip_build_config.py <empty folder outside the build context>
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Where the build sees the folder: pip's site-wide config folder (XDG_CONFIG_DIRS) on Linux. A
# folder, not single files, so the build leaves no stray config file behind as a mount point.
FOLDER_IN_BUILD = "/etc/xdg/pip"
# Settings that reach an index; local paths (find-links, file:// indexes, constraints) do not
# exist inside the build, so they stay behind.
INDEX_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout")
CONFIG_LINE = re.compile(r"^(?P<section>[^.]*)\.(?P<key>[\w-]+)='(?P<value>.*)'$")


def pip_settings() -> dict[str, str]:
    """pip's own merged view (files, then PIP_* variables, which pip lists last)."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    settings: dict[str, str] = {}
    for line in listing.splitlines():
        match = CONFIG_LINE.match(line)
        if match and match["section"] in ("global", ":env:"):
            settings[match["key"]] = match["value"]
    return settings


def remote_urls(value: str) -> str:
    return " ".join(url for url in value.split() if url.startswith(("https://", "http://")))


def ca_bundle(settings: dict[str, str]) -> Path | None:
    for candidate in (
        settings.get("cert"),
        os.environ.get("SSL_CERT_FILE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def write_build_config(folder: Path) -> None:
    settings = pip_settings()
    lines = ["[global]"]
    for key in INDEX_KEYS:
        value = settings.get(key, "")
        if key.endswith("url"):
            value = remote_urls(value)
        if value:
            lines.append(f"{key} = {value}")
    bundle = ca_bundle(settings)
    if bundle is not None:
        shutil.copyfile(bundle, folder / "ca-bundle.pem")
        lines.append(f"cert = {FOLDER_IN_BUILD}/ca-bundle.pem")
    (folder / "pip.conf").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_build_config(Path(sys.argv[1]))
