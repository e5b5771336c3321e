"""The built image under test: `scripts/build-image.sh --local-base` builds it, buildah mounts the
root filesystem of a working container, and its own ENTRYPOINT and CMD run from there under
chroot, as its USER, in a mount namespace of their own where that root is read-only (as the
chart sets it), /tmp is a fresh tmpfs (the chart's emptyDir) and mounted folders are read-only.

`buildah run` is not used to serve: it cannot make the root read-only. The app shares the host's
network so that it reaches the test servers on 127.0.0.1; its bind address therefore becomes
127.0.0.1 on a free port instead of the image's 0.0.0.0:8000 (see `serve_arguments`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPOSITORY / "scripts" / "build-image.sh"
BUILD_FOLDER = REPOSITORY / "build" / "image"
BUILDAH_ENV = dict(
    line.split("=", 1)
    for line in (REPOSITORY / "scripts" / "buildah.env").read_text().splitlines()
    if line and not line.startswith("#")
)
REQUIRED_COMMANDS = ("buildah", "debootstrap", "unshare", "chroot", "mount")


def tool(name: str) -> str:
    """The full path of a command on PATH (why_buildah_cannot_run has checked it is there)."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(name)
    return path


def buildah(*arguments: str) -> str:
    return subprocess.run(
        [tool("buildah"), "--storage-driver", BUILDAH_ENV["STORAGE_DRIVER"], *arguments],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **BUILDAH_ENV},
    ).stdout.strip()


def why_buildah_cannot_run() -> str | None:
    """None when the image can be built and run here, else the reason."""
    missing = [command for command in REQUIRED_COMMANDS if shutil.which(command) is None]
    if missing:
        return f"missing {', '.join(missing)} (scripts/install-system-deps.sh installs them)"
    if os.geteuid() != 0:
        return "buildah's chroot isolation and the read-only mounts need root"
    try:
        buildah("info")
    except subprocess.CalledProcessError as error:
        return f"buildah cannot run here: {error.stderr.strip()}"
    return None


@dataclass(frozen=True)
class BuiltImage:
    reference: str
    root: Path
    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    user: str
    working_dir: str
    size_bytes: int


def build_image() -> str:
    """Builds (or reuses, when its inputs are unchanged) the local-base image; its reference."""
    subprocess.run([tool("bash"), str(BUILD_SCRIPT), "--local-base"], check=True, cwd=REPOSITORY)
    return (BUILD_FOLDER / "image-ref").read_text().strip()


def inspect(reference: str, container: str) -> BuiltImage:
    config = json.loads(buildah("inspect", "--type", "image", reference))["OCIv1"]["config"]
    root = Path(buildah("mount", container))
    return BuiltImage(
        reference=reference,
        root=root,
        entrypoint=config.get("Entrypoint") or [],
        cmd=config.get("Cmd") or [],
        env=dict(variable.split("=", 1) for variable in config.get("Env", [])),
        user=config.get("User", ""),
        working_dir=config.get("WorkingDir") or "/",
        size_bytes=unpacked_size(root),
    )


def unpacked_size(root: Path) -> int:
    """Bytes of the unpacked root filesystem, each hard-linked file once."""
    seen: dict[tuple[int, int], int] = {}
    for folder, _, files in os.walk(root):
        for name in files:
            status = os.lstat(os.path.join(folder, name))
            seen[(status.st_dev, status.st_ino)] = status.st_size
    return sum(seen.values())


def serve_arguments(image: BuiltImage, port: int) -> list[str]:
    """The image's ENTRYPOINT and CMD, bound to 127.0.0.1:port instead of 0.0.0.0:8000."""
    arguments = [*image.entrypoint, *image.cmd]
    for option, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        arguments[arguments.index(option) + 1] = value
    return arguments


def read_only_run_script(
    image: BuiltImage, arguments: list[str], env: dict[str, str], mounts: dict[str, Path]
) -> str:
    root = shlex.quote(str(image.root))
    command = shlex.join(
        [
            "chroot",
            f"--userspec={image.user}",
            str(image.root),
            "/usr/bin/env",
            "-i",
            f"--chdir={image.working_dir}",
            *(f"{name}={value}" for name, value in {**image.env, **env}.items()),
            *arguments,
        ]
    )
    lines = [
        "set -eu",
        "mount --make-rprivate /",
        # mount points made in the working container's own copy, never in the image
        *(f"mkdir -p {root}{shlex.quote(target)}" for target in mounts),
        f"mount --bind {root} {root}",
        f"mount -o remount,bind,ro {root}",
        f"mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs {root}/tmp",
        f"mount -t proc proc {root}/proc",
        f"mount -t tmpfs -o mode=755,nosuid tmpfs {root}/dev",
        "for device in null zero random urandom; do",
        f"  touch {root}/dev/$device && mount --bind /dev/$device {root}/dev/$device",
        "done",
        *(
            f"mount --bind {shlex.quote(str(source))} {root}{shlex.quote(target)}"
            f" && mount -o remount,bind,ro {root}{shlex.quote(target)}"
            for target, source in mounts.items()
        ),
        f"exec {command}",
    ]
    return "\n".join(lines)


class ImageProcess:
    """The image's entry point serving on 127.0.0.1:port, read-only root, as the image's USER."""

    def __init__(
        self,
        image: BuiltImage,
        port: int,
        env: dict[str, str],
        log_path: Path,
        mounts: dict[str, Path] | None = None,
    ) -> None:
        script = read_only_run_script(image, serve_arguments(image, port), env, mounts or {})
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [tool("unshare"), "--mount", "--pid", "--fork", "--kill-child", "sh", "-c", script],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def app_pid(self) -> int:
        """The served process: unshare's child, which became the app through exec."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        (pid,) = children.split()
        return int(pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)
