"""The app's version is set once, in app/pyproject.toml; the chart's appVersion (its default image
tag) and the built image's tag follow it."""

import subprocess
import tomllib

import yaml

from tests.chart.chart_render import render
from tests.chart.scenarios import MINIMAL_VALUES, with_override
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


def test_the_chart_deploys_the_app_version_when_no_tag_is_given() -> None:
    values = with_override(MINIMAL_VALUES, "image.tag", "")
    (deployment,) = [m for m in render(values) if m["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{values['image']['repository']}:{app_version()}"
