"""The app's version is set once, in app/pyproject.toml; the chart's appVersion and the built
image's tag follow it."""

import subprocess
import tomllib

import yaml

from tests.image.container import REPOSITORY, BuiltImage, tool


def app_version() -> str:
    pyproject = tomllib.loads((REPOSITORY / "app" / "pyproject.toml").read_text())
    return str(pyproject["project"]["version"])


def test_the_chart_app_version_is_the_app_version() -> None:
    chart = yaml.safe_load((REPOSITORY / "app" / "chart" / "Chart.yaml").read_text())
    assert chart["appVersion"] == app_version()


def test_the_build_scripts_read_the_app_version() -> None:
    printed = subprocess.run(
        [tool("bash"), str(REPOSITORY / "scripts" / "app-version.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert printed == app_version()


def test_the_image_is_tagged_with_the_app_version(built_image: BuiltImage) -> None:
    assert built_image.reference == f"localhost/ticketing:{app_version()}-local-base"
