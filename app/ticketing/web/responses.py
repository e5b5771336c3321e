"""JSON responses (orjson) and the error body every 4xx/5xx uses."""

from typing import Any

import orjson
from starlette.responses import Response


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(body: Any, status: int = 200) -> OrjsonResponse:
    return OrjsonResponse(body, status_code=status)


def error_response(status: int, code: str, detail: str) -> OrjsonResponse:
    return OrjsonResponse({"error": code, "detail": detail}, status_code=status)
