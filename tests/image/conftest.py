"""The image is built once per session (or reused when its inputs are unchanged) and mounted from
a working container; every test of this folder is skipped, with the reason, where buildah cannot
run."""

from collections.abc import Iterator

import pytest

# The app tests' private Redis and PostgreSQL serve the image too.
from tests.app.conftest import stores  # noqa: F401 -- a fixture, used by its name
from tests.image.container import BuiltImage, build_image, buildah, inspect, why_buildah_cannot_run

# A cold build (debootstrap of the base included) took about 10 minutes here; the session's first
# image test pays for it, whichever it is.
BUILD_TIMEOUT_SECONDS = 1800


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "built_image" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(BUILD_TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def built_image() -> Iterator[BuiltImage]:
    reason = why_buildah_cannot_run()
    if reason is not None:
        print(f"image tests skipped: {reason}")
        pytest.skip(reason)
    reference = build_image()
    container = buildah("from", "--pull=false", reference)
    try:
        yield inspect(reference, container)
    finally:
        buildah("rm", container)
