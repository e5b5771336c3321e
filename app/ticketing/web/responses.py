"""JSON responses (orjson) and the error body every 4xx/5xx uses.

A response is just its two ASGI messages: Starlette's `Response` (header mapping, charset rules,
background tasks) costs more per request than the hot routes' own work, and none of it is needed
here.
"""

import http.cookies
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

CONTENT_TYPE_JSON = (b"content-type", b"application/json")


class JsonResponse:
    """An ASGI app answering `body` as orjson; routes and exception handlers return it like a
    Response.
    """

    __slots__ = ("status_code", "body", "raw_headers")

    def __init__(self, body: Any, status_code: int = 200) -> None:
        self.status_code = status_code
        self.body = orjson.dumps(body)
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), CONTENT_TYPE_JSON]

    def set_cookie(self, name: str, value: str, max_age: int) -> None:
        """An HttpOnly, SameSite=lax cookie for the whole site (the header Starlette would
        write).
        """
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[name] = value
        cookie[name].update(
            {"max-age": str(max_age), "path": "/", "httponly": "1", "samesite": "lax"}
        )
        self.raw_headers.append((b"set-cookie", cookie.output(header="").strip().encode("latin-1")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


def json_response(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status)


def error_response(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status)
