"""`ticketing serve`: the app under uvicorn, with private Redis/PostgreSQL when no URLs are
given.
"""

import asyncio
import os
import secrets
import signal
import sys
from typing import NoReturn

import uvicorn

from ticketing.backends import open_backends
from ticketing.config import Settings, SettingsError, TlsFiles
from ticketing.database import create_pool, migrate
from ticketing.demo_event import DEMO_EVENT, DEMO_EVENT_ID
from ticketing.embedded import EmbeddedServers
from ticketing.events import upsert_event
from ticketing.jsonlog import LOG_CONFIG

URL_VARIABLES = ("TICKETING_REDIS_URL", "TICKETING_DATABASE_URL")


async def seed_demo_event(settings: Settings) -> None:
    pool = await create_pool(settings.database_url, max_size=2)
    try:
        await migrate(pool)
        backends = open_backends(settings, pool)
        await upsert_event(backends, DEMO_EVENT_ID, DEMO_EVENT)
        await backends.close_redis()
    finally:
        await pool.close()


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    sys.exit(128 + signum)


def _start_private_servers() -> EmbeddedServers:
    servers = EmbeddedServers().start()
    os.environ.update(
        {
            "TICKETING_REDIS_URL": servers.redis.url,
            "TICKETING_DATABASE_URL": servers.postgres.url,
            "TICKETING_ADMIN_TOKEN": (
                os.environ.get("TICKETING_ADMIN_TOKEN") or secrets.token_urlsafe(24)
            ),
            "TICKETING_SECRET": os.environ.get("TICKETING_SECRET") or secrets.token_urlsafe(32),
        }
    )
    print(
        f"private servers in {servers.folder}\n"
        f"  TICKETING_REDIS_URL={servers.redis.url}\n"
        f"  TICKETING_DATABASE_URL={servers.postgres.url}\n"
        f"  TICKETING_ADMIN_TOKEN={os.environ['TICKETING_ADMIN_TOKEN']}\n"
        f"  TICKETING_SECRET={os.environ['TICKETING_SECRET']}",
        flush=True,
    )
    return servers


def serve(host: str, port: int, workers: int) -> int:
    # Until uvicorn takes over the signals, SIGTERM unwinds through `finally` like Ctrl-C does.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    given = [name for name in URL_VARIABLES if os.environ.get(name)]
    if len(given) == 1:
        print(
            f"error: set both {' and '.join(URL_VARIABLES)}, or neither for private servers",
            file=sys.stderr,
        )
        return 2
    try:
        tls = TlsFiles.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    servers = None if given else _start_private_servers()
    try:
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if servers is not None:
            asyncio.run(seed_demo_event(settings))
            print(
                "demo event seeded:"
                f" {'https' if tls else 'http'}://{host}:{port}/?event={DEMO_EVENT_ID}",
                flush=True,
            )
        # No permessage-deflate: it keeps zlib state per connection (most of a socket's memory)
        # and compresses every push, which are JSON objects of a hundred-odd bytes.
        uvicorn.run(
            "ticketing.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            log_config=LOG_CONFIG,
            access_log=False,
            # the client address is ours to find (limits.py, TICKETING_TRUSTED_PROXIES): uvicorn's
            # own X-Forwarded-For handling would believe any peer on 127.0.0.1
            proxy_headers=False,
            ssl_certfile=tls.cert_file if tls else None,
            ssl_keyfile=tls.key_file if tls else None,
            backlog=4096,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=5,
        )
        return 0
    finally:
        if servers is not None:
            # a second Ctrl-C or SIGTERM must not cut the cleanup short
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            servers.stop()
