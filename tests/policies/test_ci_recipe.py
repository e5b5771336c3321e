"""The README's CI shell step, run as written on a copy of the insecure sample program in a
temporary folder outside the repository: it installs the gate from this repository's
`policies/`, runs the console script, uploads SARIF (to a local stand-in for GitHub's code
scanning API) and fails with the gate's exit status.

What is installed and how: the step's own `pip install "$GATE_SOURCE"` builds the distribution
from `policies/` and resolves its pinned dependencies. To keep the test fast and offline from
the index for those, the step's venv is made beforehand with a `.pth` line to this project's
`.venv` site-packages, which `make install` filled from the same pinned requirements files; pip
then finds every pinned dependency (the program's and the gate's) already satisfied, and fails
if a pin disagrees with what is there, instead of downloading pulumi-aws and pulumi again.
"""

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = REPO_ROOT / "policies"
SAMPLE = Path(__file__).parent / "programs" / "insecure"
STEP_MARKER = "# policy gate: install, run, upload SARIF, fail on a mandatory violation"
VENV = ".policy-gate"
BASH = shutil.which("bash") or "/bin/bash"


def _shell_step() -> str:
    """The README's shell block that starts with STEP_MARKER, as written."""
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index(STEP_MARKER)
    return readme[start : readme.index("\n```", start)]


class _CodeScanningApi(BaseHTTPRequestHandler):
    uploads: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.uploads.append((self.path, self.headers["Authorization"], body))
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "upload-1"}')

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def code_scanning_api() -> Iterator[tuple[str, list]]:
    _CodeScanningApi.uploads = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CodeScanningApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _CodeScanningApi.uploads
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def build_leftovers_removed() -> Iterator[None]:
    """pip builds `policies/` in place (setuptools' build/ and *.egg-info). Leftovers of an older
    build would go into the wheel and hide a file the package no longer ships, so the build starts
    from a clean folder, as in a fresh clone, and leaves none behind."""
    leftovers = [PACK_DIR / "build", PACK_DIR / "ticketing_policy_gate.egg-info"]
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    yield
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


# In the source folder but not the package: packaging files, build leftovers, this repository's
# own stack policy configs.
NOT_PACKAGED = {"pyproject.toml", "requirements.txt", "build", "stacks", "__pycache__"}


def _package_files(package_dir: Path) -> set[str]:
    """Every module and data file (a rule's table, a CRD schema) the gate reads at run time."""
    return {
        str(path.relative_to(package_dir))
        for path in package_dir.rglob("*")
        if path.is_file()
        and not NOT_PACKAGED & set(path.relative_to(package_dir).parts)
        and not any(part.endswith(".egg-info") for part in path.relative_to(package_dir).parts)
        and path.suffix != ".pyc"
    }


def _python3_shim(folder: Path) -> Path:
    """A PATH folder whose `python3` is this interpreter's base, so the step's venv can read
    `.venv`'s site-packages (same Python version)."""
    folder.mkdir()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (folder / "python3").symlink_to(Path(sys.base_prefix) / "bin" / f"python{version}")
    return folder


def _venv_reusing_project_packages(program: Path, env: dict[str, str]) -> None:
    # as the step's own `python3 -m venv` would make it, with the shim's python3 first on PATH
    python3 = shutil.which("python3", path=env["PATH"])
    assert python3
    subprocess.run([python3, "-m", "venv", VENV], cwd=program, env=env, check=True)
    (site_packages,) = (program / VENV).glob("lib/python*/site-packages")
    project_packages = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "project-packages.pth").write_text("\n".join(sorted(project_packages)) + "\n")


def test_readme_shell_step_gates_a_program_outside_the_repository(
    tmp_path, code_scanning_api, build_leftovers_removed
):
    api_url, uploads = code_scanning_api
    program = tmp_path / "other-team-infra"
    shutil.copytree(SAMPLE, program)
    shutil.copy(REPO_ROOT / "requirements.txt", program / "requirements.txt")
    assert not program.resolve().is_relative_to(REPO_ROOT)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    env |= {
        "PATH": f"{_python3_shim(tmp_path / 'bin')}{os.pathsep}{env['PATH']}",
        "GATE_SOURCE": str(PACK_DIR),
        "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": "acme/other-team-infra",
        "GITHUB_SHA": "4b6472266afd7b471e86085a6659e8c7f2b119da",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_TOKEN": "test-token",
    }
    _venv_reusing_project_packages(program, env)

    step = subprocess.run(
        [BASH, "-c", _shell_step()],
        cwd=program,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )

    assert step.returncode == 1, step.stderr
    gate_module = subprocess.run(
        [
            str(program / VENV / "bin" / "python"),
            "-c",
            "import policies.gate; print(policies.gate.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = Path(gate_module).parents[1]
    assert installed.is_relative_to(program / VENV), "the gate ran from its installed copy"
    assert _package_files(installed) == _package_files(PACK_DIR), "the distribution ships it all"
    assert len(uploads) == 1
    path, authorization, body = uploads[0]
    assert path == "/repos/acme/other-team-infra/code-scanning/sarifs"
    assert authorization == "Bearer test-token"
    assert (body["commit_sha"], body["ref"]) == (env["GITHUB_SHA"], "refs/heads/main")
    sarif = json.loads(gzip.decompress(base64.b64decode(body["sarif"])))
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    errors = {result["ruleId"] for result in run["results"] if result["level"] == "error"}
    assert {"aws-rds-encrypt-cluster-storage-data", "aws-iam-no-policy-wildcards"} <= errors
    uris = {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
    }
    assert uris == {"__main__.py"}, "locations are relative to where the step ran"
