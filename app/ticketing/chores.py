"""Background work a request leaves behind (e.g. undoing a hold answered 503): the tasks are kept
until they finish, and cancelled when the process stops."""

import asyncio
from collections.abc import Coroutine
from typing import Any


class Chores:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
