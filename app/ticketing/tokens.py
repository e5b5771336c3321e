"""Signed tokens: a queue ticket (proves a place in the queue) and an access token (admitted).

Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, claims)).
"""

import base64
import binascii
import hashlib
import hmac
import time
from typing import Literal, NamedTuple

import orjson

TokenKind = Literal["ticket", "access"]
TICKET_TTL_SECONDS = 24 * 3600
# Idleness is enforced in Redis (access_ttl_seconds); this only bounds a token's whole life.
ACCESS_TOKEN_TTL_SECONDS = 6 * 3600
# About 200 bytes each: a few MiB per process.
REMEMBERED_TOKENS = 20_000


class TokenError(Exception):
    """A token refused; `status` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class Claims(NamedTuple):
    kind: TokenKind
    event_id: str
    client_id: str
    number: int
    expires_at: int
    generation: int = 0  # of the queue in Redis, new after each rebuild (events.install_event)


URLSAFE_ALPHABET = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    return (
        binascii.b2a_base64(data, newline=False).translate(URLSAFE_ALPHABET).rstrip(b"=").decode()
    )


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _checked(claims: Claims, kind: TokenKind, event_id: str | None) -> Claims:
    if claims.expires_at < time.time():
        raise TokenError(401, "token_expired", "token has expired")
    if claims.kind != kind:
        raise TokenError(
            401, "wrong_token_kind", f"expected a {kind} token, got a {claims.kind} token"
        )
    if event_id is not None and claims.event_id != event_id:
        raise TokenError(403, "wrong_event", "token was issued for another event")
    return claims


class Tokens:
    """Issues and verifies tokens with one secret. Remembers the claims of the last
    REMEMBERED_TOKENS tokens whose signature checked out: a waiting client asks for its place again
    and again with the same ticket, and the HMAC is most of such a read's own work. Expiry, kind and
    event are checked on every use."""

    def __init__(self, secret: bytes, remembered: int = REMEMBERED_TOKENS) -> None:
        self._keyed_mac = hmac.new(
            secret, digestmod=hashlib.sha256
        )  # each signature starts from a copy
        self._remembered = remembered
        self._claims: dict[str, Claims] = {}

    def _signature(self, payload: bytes) -> bytes:
        mac = self._keyed_mac.copy()
        mac.update(payload)
        return mac.digest()

    def signed(self, payload: bytes) -> str:
        """The token for these JSON claims."""
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def derived_id(self, *parts: str) -> str:
        """An id only this secret derives from `parts` (22 URL-safe characters)."""
        return _b64(self._signature("\x00".join(parts).encode()))[:22]

    def issue(
        self,
        kind: TokenKind,
        event_id: str,
        client_id: str,
        number: int = 0,
        generation: int = 0,
    ) -> str:
        ttl = TICKET_TTL_SECONDS if kind == "ticket" else ACCESS_TOKEN_TTL_SECONDS
        claims = {
            "k": kind,
            "e": event_id,
            "c": client_id,
            "n": number,
            "x": int(time.time()) + ttl,
        }
        return self.signed(orjson.dumps({**claims, "g": generation}))

    def verify(self, token: str, kind: TokenKind, event_id: str | None) -> Claims:
        """Checks signature, expiry, kind and (when given) the event; raises TokenError."""
        claims = self._claims.get(token)
        if claims is None:
            claims = self._signed_claims(token)
            if len(self._claims) >= self._remembered:
                del self._claims[next(iter(self._claims))]  # the oldest: dicts keep insertion order
            self._claims[token] = claims
        return _checked(claims, kind, event_id)

    def _signed_claims(self, token: str) -> Claims:
        try:
            payload_part, signature_part = token.split(".")
            payload, signature = _unb64(payload_part), _unb64(signature_part)
        except ValueError:
            raise TokenError(401, "invalid_token", "token is not in the issued format") from None
        if not hmac.compare_digest(signature, self._signature(payload)):
            raise TokenError(401, "invalid_token", "token signature does not match")
        data = orjson.loads(payload)
        return Claims(data["k"], data["e"], data["c"], data["n"], data["x"], data.get("g", 0))
