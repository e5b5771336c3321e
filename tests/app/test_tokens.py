"""Every token refusal, with the documented status codes."""

import asyncio
import time

import httpx
import orjson
import pytest

from ticketing import tokens
from tests.app.conftest import SECRET, admitted_token, bearer, join


def _expired(kind: tokens.TokenKind, event_id: str, client_id: str = "client-expired", number: int = 1) -> str:
    payload = orjson.dumps({"k": kind, "e": event_id, "c": client_id, "n": number, "x": int(time.time()) - 5})
    return f"{tokens._b64(payload)}.{tokens._b64(tokens._signature(SECRET, payload))}"


def _forged(event_id: str) -> str:
    payload = orjson.dumps({"k": "access", "e": event_id, "c": "attacker-1", "n": 1, "x": int(time.time()) + 600})
    return f"{tokens._b64(payload)}.{tokens._b64(tokens._signature(b'not-the-server-secret-0000', payload))}"


def _tampered(token: str) -> str:
    """The same signature over a payload that now claims another client."""
    payload_part, signature = token.split(".")
    claims = orjson.loads(tokens._unb64(payload_part))
    claims["c"] = "someone-else-0001"
    return f"{tokens._b64(orjson.dumps(claims))}.{signature}"


async def _hold(http: httpx.AsyncClient, event_id: str, headers: dict[str, str]) -> httpx.Response:
    return await http.post(f"/api/v1/events/{event_id}/holds", json={"slot_id": "a", "quantity": 1}, headers=headers)


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


async def test_lapsed_admission_refuses_the_access_token(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(access_ttl_seconds=1)
    access = await admitted_token(http, event_id)
    await asyncio.sleep(1.3)
    response = await _hold(http, event_id, bearer(access))
    assert (response.status_code, response.json()["error"]) == (401, "access_expired")


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer wrong-token", "wrong-token"])
async def test_admin_routes_refuse_bad_admin_tokens(http: httpx.AsyncClient, new_event, token: str) -> None:
    event_id = await new_event()
    headers = {"Authorization": token} if token else {}
    for method, path in (("POST", "pause"), ("POST", "resume")):
        response = await http.request(method, f"/api/v1/events/{event_id}/{path}", headers=headers)
        assert response.status_code == 401 and response.json()["error"] in ("missing_token", "invalid_token", "unauthorized")
    response = await http.put(f"/api/v1/events/{event_id}", json={}, headers=headers)
    assert response.status_code == 401
