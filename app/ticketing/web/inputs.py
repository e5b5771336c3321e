"""Reading requests: bodies, ids, tokens and headers, each refused with a clear 4xx ApiError."""

import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ticketing import tokens
from ticketing.config import ID_RE
from ticketing.errors import ApiError
from ticketing.tokens import Claims, TokenKind

MAX_BODY_BYTES = 64 * 1024
# Each matched whole (`fullmatch`): `$` would also accept a final newline.
CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
IDEMPOTENCY_KEY_RE = re.compile(r"[\x21-\x7e]{1,128}")
RESOURCE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CLIENT_COOKIE = "tkt_client"

Model = TypeVar("Model", bound=BaseModel)


class HeaderReader(Protocol):
    def get(self, name: str, /) -> str | None: ...


class Connection(Protocol):
    """What these readers use of a request: Starlette's HTTPConnection, or the hot routes' own
    (web/fast_routes.py)."""

    @property
    def app(self) -> Any: ...

    @property
    def path_params(self) -> Mapping[str, Any]: ...

    @property
    def client(self) -> Sequence[Any] | None: ...  # the peer's (host, port)

    @property
    def headers(self) -> HeaderReader: ...

    @property
    def cookies(self) -> Mapping[str, str]: ...


async def read_body(request: Request, model: type[Model]) -> Model:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"the body must be at most {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(
                413, "body_too_large", f"the body must be at most {MAX_BODY_BYTES} bytes"
            )
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_body", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError(422, "invalid_body", validation_detail(error)) from None


def validation_detail(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in issue['loc']) or 'body'}: {issue['msg']}"
        for issue in error.errors()
    )


def event_id_of(connection: Connection) -> str:
    event_id = str(connection.path_params["event_id"])
    if not ID_RE.fullmatch(event_id):
        raise ApiError(400, "invalid_event_id", "event ids are 1-64 letters, digits, '-' or '_'")
    return event_id


def resource_id_of(connection: Connection, name: str, not_found: str) -> str:
    value = str(connection.path_params[name])
    if not RESOURCE_ID_RE.fullmatch(value):
        raise ApiError(404, not_found, f"no such {name.removesuffix('_id')}")
    return value


def bearer_token(connection: Connection) -> str:
    header = connection.headers.get("authorization")
    if header is None:
        raise ApiError(401, "missing_token", "send Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token", "the Authorization header must be 'Bearer <token>'")
    return token.strip()


def verified(connection: Connection, token: str, kind: TokenKind, event_id: str | None) -> Claims:
    try:
        claims: Claims = connection.app.backends.tokens.verify(token, kind, event_id)
        return claims
    except tokens.TokenError as error:
        raise ApiError(error.status, error.code, error.detail) from None


def client_address_of(connection: Connection) -> str:
    """The client's IP address, from X-Forwarded-For only when the peer is a trusted proxy."""
    peer = connection.client[0] if connection.client else None
    address: str = connection.app.backends.limits.address_of(
        peer, connection.headers.get("x-forwarded-for")
    )
    return address


def client_id_of(connection: Connection) -> tuple[str, bool]:
    """The client's id from X-Client-Id or the cookie; a new one (and True) when it has none."""
    client_id = connection.headers.get("x-client-id") or connection.cookies.get(CLIENT_COOKIE)
    if client_id is None:
        return secrets.token_urlsafe(16), True
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise ApiError(400, "invalid_client_id", "client ids are 8-64 letters, digits, '-' or '_'")
    return client_id, False


def idempotency_key_of(request: Request) -> str:
    key = optional_idempotency_key_of(request)
    if key is None:
        raise ApiError(
            400, "missing_idempotency_key", "send an Idempotency-Key header (any unique string)"
        )
    return key


def optional_idempotency_key_of(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1-128 printable ASCII characters",
        )
    return key
