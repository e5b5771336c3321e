"""Malformed input of every kind gets a 4xx with {"error", "detail"}, never a 5xx."""

import json

import httpx
import pytest

from tests.app.conftest import ADMIN, admitted_token, bearer, event_body

HUGE = "x" * 70_000


def _event_cases() -> list[tuple[str, object, int]]:
    def body(**overrides: object) -> dict:
        return event_body(**overrides)

    return [
        ("not json", b"{nope", 400),
        ("json list", [1, 2], 422),
        ("json string", "event", 422),
        ("empty object", {}, 422),
        ("unknown field", {**event_body(), "colour": "red"}, 422),
        ("no slots", body(slots=[]), 422),
        ("slot without id", body(slots=[{"label": "x", "capacity": 1}]), 422),
        ("bad slot id", body(slots=[{"id": "no spaces", "label": "x", "capacity": 1}]), 422),
        ("duplicate slot ids", body(slots=[{"id": "a", "label": "x", "capacity": 1}] * 2), 422),
        ("negative capacity", body(slots=[{"id": "a", "label": "x", "capacity": -1}]), 422),
        ("capacity as string", body(slots=[{"id": "a", "label": "x", "capacity": "5"}]), 422),
        ("capacity float", body(slots=[{"id": "a", "label": "x", "capacity": 1.5}]), 422),
        ("zero rate", body(admit_per_second=0), 422),
        ("rate as bool", body(admit_per_second=True), 422),
        ("max_active zero", body(max_active=0), 422),
        ("ttl null", body(hold_ttl_seconds=None), 422),
        ("ttl huge", body(access_ttl_seconds=10**12), 422),
        ("opens_at garbage", body(opens_at="tomorrow"), 422),
        ("opens_at without timezone", body(opens_at="2030-01-01T10:00:00"), 422),
        ("name empty", body(name=""), 422),
        ("name number", body(name=5), 422),
        ("too large", {"name": HUGE}, 413),
    ]


@pytest.mark.parametrize(
    ("case", "payload", "status"), _event_cases(), ids=[case[0] for case in _event_cases()]
)
async def test_bad_event_bodies(
    http: httpx.AsyncClient, case: str, payload: object, status: int
) -> None:
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = await http.put(
        "/api/v1/events/bad-input-event",
        content=content,
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "detail"}


HOLD_BODIES = [
    ("not json", b"\x00\xff", 400),
    ("empty", b"", 400),
    ("null", b"null", 422),
    ("list", b"[]", 422),
    ("missing quantity", b'{"slot_id": "a"}', 422),
    ("zero quantity", b'{"slot_id": "a", "quantity": 0}', 422),
    ("negative quantity", b'{"slot_id": "a", "quantity": -3}', 422),
    ("quantity string", b'{"slot_id": "a", "quantity": "1"}', 422),
    ("quantity float", b'{"slot_id": "a", "quantity": 1.0}', 422),
    ("quantity huge", b'{"slot_id": "a", "quantity": 1e308}', 422),
    ("quantity bigint", b'{"slot_id": "a", "quantity": 99999999999999999999999}', 422),
    ("slot id number", b'{"slot_id": 7, "quantity": 1}', 422),
    ("slot id injection", b'{"slot_id": "a\\"; DROP", "quantity": 1}', 422),
    ("unknown slot", b'{"slot_id": "zzz", "quantity": 1}', 422),
    ("extra field", b'{"slot_id": "a", "quantity": 1, "price": 0}', 422),
    ("deep nesting", b"[" * 5000 + b"]" * 5000, 400),
]


@pytest.mark.parametrize(
    ("case", "content", "status"), HOLD_BODIES, ids=[case[0] for case in HOLD_BODIES]
)
async def test_bad_hold_bodies(
    http: httpx.AsyncClient, new_event, case: str, content: bytes, status: int
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    response = await http.post(
        f"/api/v1/events/{event_id}/holds",
        content=content,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "detail"}


BAD_REQUESTS = [
    ("GET", "/api/v1/events/no%20such", {}, 400),
    ("GET", "/api/v1/events/" + "e" * 65, {}, 400),
    ("GET", "/api/v1/events/unknown-event", {}, 404),
    ("POST", "/api/v1/events/unknown-event/queue", {}, 404),
    ("POST", "/api/v1/events/bad%24id/queue", {}, 400),
    ("GET", "/api/v1/nothing-here", {}, 404),
    ("DELETE", "/api/v1/events/unknown-event", {}, 405),
    (
        "POST",
        "/api/v1/holds/%00%01/confirm",
        {"Authorization": "Bearer x", "Idempotency-Key": "k"},
        404,
    ),
    ("GET", "/api/v1/bookings/b_missing", {"Authorization": "Bearer x.y"}, 401),
    ("GET", "/api/v1/events/unknown-event/queue/me", {"Authorization": "Bearer"}, 401),
    ("GET", "/api/v1/events/unknown-event/queue/me", {"Authorization": "Token abc"}, 401),
    # the hot routes' edges, where their lookup hands over to Starlette's router
    ("GET", "/api/v1/events/unknown-event/queue", {}, 405),
    ("DELETE", "/api/v1/events/unknown-event/queue/me", {}, 405),
    ("POST", "/api/v1/events//queue", {}, 404),
    ("POST", "/api/v1/events/unknown-event/queue/extra", {}, 404),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    BAD_REQUESTS,
    ids=[f"{m} {p[:40]}" for m, p, _, _ in BAD_REQUESTS],
)
async def test_bad_paths_and_headers(
    http: httpx.AsyncClient, method: str, path: str, headers: dict, status: int
) -> None:
    response = await http.request(method, path, headers=headers)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error", "detail"}


@pytest.mark.parametrize(
    "client_id", ["short", "has spaces in it", "x" * 65, "semi;colon-1234", "ünïcödé-id"]
)
async def test_bad_client_ids(http: httpx.AsyncClient, new_event, client_id: str) -> None:
    event_id = await new_event()
    response = await http.post(
        f"/api/v1/events/{event_id}/queue",
        headers={b"X-Client-Id": client_id.encode()},
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client_id")


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (None, "missing_idempotency_key"),
        ("", "invalid_idempotency_key"),
        ("x" * 129, "invalid_idempotency_key"),
        ("has space", "invalid_idempotency_key"),
    ],
)
async def test_bad_idempotency_keys(
    http: httpx.AsyncClient, new_event, key: str | None, code: str
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    headers = bearer(token) if key is None else {**bearer(token), "Idempotency-Key": key}
    response = await http.post(f"/api/v1/holds/{hold.json()['hold_id']}/confirm", headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, code)


async def test_ids_that_do_not_exist(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    for method, path in (
        ("POST", "/api/v1/holds/h_nope/confirm"),
        ("DELETE", "/api/v1/holds/h_nope"),
        ("GET", "/api/v1/bookings/b_nope"),
        ("DELETE", "/api/v1/holds/" + "h" * 80),
    ):
        response = await http.request(
            method, path, headers={**bearer(token), "Idempotency-Key": "k"}
        )
        assert response.status_code == 404, (method, path, response.text)
        assert set(response.json()) == {"error", "detail"}


async def test_ids_with_a_trailing_newline_are_refused(http: httpx.AsyncClient, new_event) -> None:
    """Ids are matched whole: in Python `$` also matches before a final newline."""
    event_id = await new_event()
    # an event id (path), on the plain and the hot routes, and as an admin's new event
    for method, path, headers in (
        ("GET", "/api/v1/events/lfevent%0A", {}),
        ("POST", f"/api/v1/events/{event_id}%0A/queue", {}),
        ("PUT", "/api/v1/events/lfevent%0A", ADMIN),
    ):
        response = await http.request(method, path, headers=headers, json=event_body())
        assert (response.status_code, response.json()["error"]) == (400, "invalid_event_id")
    # a client id in the cookie (an RFC 2109 quoted value may carry an octal-escaped newline)
    response = await http.post(
        f"/api/v1/events/{event_id}/queue", headers={"Cookie": 'tkt_client="abcdefgh\\012"'}
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client_id")
    # a hold id, and a slot id in a body
    token = await admitted_token(http, event_id)
    response = await http.delete("/api/v1/holds/h_abc%0A", headers=bearer(token))
    assert (response.status_code, response.json()["error"]) == (404, "hold_not_found")
    response = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a\n", "quantity": 1},
        headers=bearer(token),
    )
    assert response.status_code == 422, response.text
