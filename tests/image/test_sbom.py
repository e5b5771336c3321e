"""The SBOM written next to the build lists what the image holds: every pinned runtime dependency
of the app with its exact version."""

import json
import re
import tomllib

from tests.image.container import BUILD_FOLDER, REPOSITORY, BuiltImage

PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_runtime_dependencies() -> dict[str, str]:
    project = tomllib.loads((REPOSITORY / "app" / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        match = PIN.match(requirement)
        assert match, f"not pinned: {requirement}"
        pins[canonical(match["name"])] = match["version"]
    return pins


def test_sbom_lists_every_pinned_runtime_dependency_with_its_exact_version(
    built_image: BuiltImage,
) -> None:
    sbom = json.loads((BUILD_FOLDER / "sbom.cdx.json").read_text())
    assert sbom["bomFormat"] == "CycloneDX"
    listed = {
        canonical(component["name"]): component["version"] for component in sbom["components"]
    }
    pins = pinned_runtime_dependencies()
    assert len(pins) > 10
    assert {name: listed.get(name) for name in pins} == pins
    assert sbom["metadata"]["component"]["name"] == "ticketing"
