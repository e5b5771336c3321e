"""Every token refusal, with the documented status codes."""

import asyncio
import time

import httpx
import orjson
import pytest

from tests.app.conftest import SECRET, admitted_token, bearer, join
from ticketing import tokens


def _expired(
    kind: tokens.TokenKind, event_id: str, client_id: str = "client-expired", number: int = 1
) -> str:
    payload = orjson.dumps(
        {"k": kind, "e": event_id, "c": client_id, "n": number, "x": int(time.time()) - 5}
    )
    return tokens.Tokens(SECRET).signed(payload)


def _forged(event_id: str) -> str:
    return tokens.Tokens(b"not-the-server-secret-0000").issue("access", event_id, "attacker-1", 1)


def _tampered(token: str) -> str:
    """The same signature over a payload that now claims another client."""
    payload_part, signature = token.split(".")
    claims = orjson.loads(tokens._unb64(payload_part))
    claims["c"] = "someone-else-0001"
    return f"{tokens._b64(orjson.dumps(claims))}.{signature}"


async def _hold(http: httpx.AsyncClient, event_id: str, headers: dict[str, str]) -> httpx.Response:
    return await http.post(
        f"/api/v1/events/{event_id}/holds", json={"slot_id": "a", "quantity": 1}, headers=headers
    )


async def test_access_token_refusals(http: httpx.AsyncClient, new_event) -> None:
    event_id, other_event = await new_event(), await new_event()
    access = await admitted_token(http, event_id)
    other_access = await admitted_token(http, other_event)
    ticket = (await join(http, event_id))["ticket"]
    cases = {
        "missing": ({}, 401, "missing_token"),
        "not bearer": ({"Authorization": f"Basic {access}"}, 401, "invalid_token"),
        "garbage": (bearer("not-a-token"), 401, "invalid_token"),
        "bad base64": (bearer("%%%.###"), 401, "invalid_token"),
        "forged": (bearer(_forged(event_id)), 401, "invalid_token"),
        "tampered": (bearer(_tampered(access)), 401, "invalid_token"),
        "expired": (bearer(_expired("access", event_id)), 401, "token_expired"),
        "queue ticket as access": (bearer(ticket), 401, "wrong_token_kind"),
        "other event": (bearer(other_access), 403, "wrong_event"),
    }
    for name, (headers, status, code) in cases.items():
        response = await _hold(http, event_id, headers)
        assert (response.status_code, response.json()["error"]) == (status, code), name
        assert response.json()["detail"], name
    assert (await _hold(http, event_id, bearer(access))).status_code == 201


async def test_ticket_refusals(http: httpx.AsyncClient, new_event) -> None:
    event_id, other_event = await new_event(), await new_event()
    ticket = (await join(http, event_id))["ticket"]
    access = await admitted_token(http, event_id)
    other_ticket = (await join(http, other_event))["ticket"]
    url = f"/api/v1/events/{event_id}/queue/me"
    cases = {
        "missing": ({}, 401, "missing_token"),
        "expired": (bearer(_expired("ticket", event_id)), 401, "token_expired"),
        "access token as ticket": (bearer(access), 401, "wrong_token_kind"),
        "other event": (bearer(other_ticket), 403, "wrong_event"),
        "forged": (bearer(_forged(event_id).replace("access", "ticket")), 401, "invalid_token"),
    }
    for name, (headers, status, code) in cases.items():
        response = await http.get(url, headers=headers)
        assert (response.status_code, response.json()["error"]) == (status, code), name
    assert (await http.get(url, headers=bearer(ticket))).status_code == 200


async def test_lapsed_admission_refuses_the_access_token(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(access_ttl_seconds=1)
    access = await admitted_token(http, event_id)
    await asyncio.sleep(1.3)
    response = await _hold(http, event_id, bearer(access))
    assert (response.status_code, response.json()["error"]) == (401, "access_expired")


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer wrong-token", "wrong-token"])
async def test_admin_routes_refuse_bad_admin_tokens(
    http: httpx.AsyncClient, new_event, token: str
) -> None:
    event_id = await new_event()
    headers = {"Authorization": token} if token else {}
    for method, path in (("POST", "pause"), ("POST", "resume")):
        response = await http.request(method, f"/api/v1/events/{event_id}/{path}", headers=headers)
        assert response.status_code == 401 and response.json()["error"] in (
            "missing_token",
            "invalid_token",
            "unauthorized",
        )
    response = await http.put(f"/api/v1/events/{event_id}", json={}, headers=headers)
    assert response.status_code == 401


def test_a_remembered_token_is_still_checked_for_expiry_kind_and_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer = tokens.Tokens(SECRET)
    ticket = issuer.issue("ticket", "event-a", "client-remembered", 7)
    assert issuer.verify(ticket, "ticket", "event-a").number == 7  # now remembered
    with pytest.raises(tokens.TokenError) as kind:
        issuer.verify(ticket, "access", "event-a")
    with pytest.raises(tokens.TokenError) as event:
        issuer.verify(ticket, "ticket", "event-b")
    monkeypatch.setattr(time, "time", lambda: time.time_ns() / 1e9 + tokens.TICKET_TTL_SECONDS + 1)
    with pytest.raises(tokens.TokenError) as expired:
        issuer.verify(ticket, "ticket", "event-a")
    assert (kind.value.code, event.value.status, expired.value.code) == (
        "wrong_token_kind",
        403,
        "token_expired",
    )


def test_only_tokens_whose_signature_checked_out_are_remembered_and_the_memory_is_bounded() -> None:
    issuer = tokens.Tokens(SECRET, remembered=3)
    forged = tokens.Tokens(b"not-the-server-secret-0000").issue(
        "ticket", "event-a", "attacker-1", 1
    )
    for _ in range(2):  # refused the second time too: a refusal is never remembered
        with pytest.raises(tokens.TokenError, match="signature"):
            issuer.verify(forged, "ticket", "event-a")
    issued = [issuer.issue("ticket", "event-a", f"client-{index}", index) for index in range(5)]
    assert [issuer.verify(token, "ticket", "event-a").number for token in issued] == [0, 1, 2, 3, 4]
    assert list(issuer._claims) == issued[2:], "the oldest make room for the newest"


def test_a_token_from_another_process_with_the_same_secret_verifies() -> None:
    ticket = tokens.Tokens(SECRET).issue("ticket", "event-a", "client-elsewhere", 3)
    claims = tokens.Tokens(SECRET).verify(ticket, "ticket", "event-a")
    assert (claims.client_id, claims.number) == ("client-elsewhere", 3)
