from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.stack_files import WriteStack, stack_writer


@pytest.fixture
def write_stack(tmp_path: Path) -> WriteStack:
    return stack_writer(tmp_path)
