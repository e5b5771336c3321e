"""The image is built once per session (or reused when its inputs are unchanged) and mounted from
a working container; every test of this folder is skipped, with the reason, where buildah cannot
run."""

from collections.abc import Iterator

import pytest

from tests.app.conftest import stores  # noqa: F401 -- the app tests' private servers serve the image too
from tests.image.container import BuiltImage, build_image, buildah, inspect, why_buildah_cannot_run


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
