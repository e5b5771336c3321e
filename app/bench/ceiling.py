"""The ceiling: a bare ASGI callable (no framework) returning a fixed JSON body, served by
`ticketing serve`'s own code path, so the server, loop, HTTP parser, workers and logging settings
are exactly the production ones; only the application handed to uvicorn differs."""

import argparse
import os
import sys
from typing import Any

import uvicorn

from ticketing import serve

BODY = b'{"ticket":"ceiling","number":1,"position":1,"ahead":0,"eta_seconds":0}'
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
END = {"type": "http.response.body", "body": BODY}
# `ticketing serve` starts private Redis/PostgreSQL unless both URLs are set; the ceiling uses
# neither.
UNUSED_SETTINGS = {
    "TICKETING_REDIS_URL": "redis://unused.invalid",
    "TICKETING_ADMIN_TOKEN": "unused",
    "TICKETING_DATABASE_URL": "postgresql://unused.invalid/unused",
    "TICKETING_SECRET": "unused-by-the-ceiling",
}


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send(START)
    await send(END)


def run_ceiling_instead(production_run=uvicorn.run):
    def run(_app: Any, **settings: Any) -> None:
        production_run("app.bench.ceiling:app", **{**settings, "factory": False})

    return run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench.ceiling")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ.update(UNUSED_SETTINGS)
    serve.uvicorn.run = run_ceiling_instead()
    return serve.serve(args.host, args.port, args.workers)


if __name__ == "__main__":
    sys.exit(main())
