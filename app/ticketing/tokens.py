"""Signed tokens: a queue ticket (proves a place in the queue) and an access token (admitted).

Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, claims)).
"""

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Literal

import orjson

TokenKind = Literal["ticket", "access"]
TICKET_TTL_SECONDS = 24 * 3600
# Idleness is enforced in Redis (access_ttl_seconds); this only bounds a token's whole life.
ACCESS_TOKEN_TTL_SECONDS = 6 * 3600


class TokenError(Exception):
    """A token refused; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass(frozen=True)
class Claims:
    kind: TokenKind
    event_id: str
    client_id: str
    number: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()


def issue(secret: bytes, kind: TokenKind, event_id: str, client_id: str, number: int = 0) -> str:
    ttl = TICKET_TTL_SECONDS if kind == "ticket" else ACCESS_TOKEN_TTL_SECONDS
    payload = orjson.dumps({"k": kind, "e": event_id, "c": client_id, "n": number, "x": int(time.time()) + ttl})
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def verify(secret: bytes, token: str, kind: TokenKind, event_id: str | None) -> Claims:
    """Checks signature, expiry, kind and (when given) the event; raises TokenError."""
    try:
        payload_part, signature_part = token.split(".")
        payload, signature = _unb64(payload_part), _unb64(signature_part)
    except ValueError:
        raise TokenError(401, "invalid_token", "token is not in the issued format") from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise TokenError(401, "invalid_token", "token signature does not match")
    data = orjson.loads(payload)
    if data["x"] < time.time():
        raise TokenError(401, "token_expired", "token has expired")
    if data["k"] != kind:
        raise TokenError(401, "wrong_token_kind", f"expected a {kind} token, got a {data['k']} token")
    if event_id is not None and data["e"] != event_id:
        raise TokenError(403, "wrong_event", "token was issued for another event")
    return Claims(data["k"], data["e"], data["c"], data["n"], data["x"])
