"""The waiting room: FIFO numbers under concurrency, idempotent joins, rate, max_active, pause."""

import asyncio
import time

import httpx

from tests.app.conftest import ADMIN, client_headers, join, wait_for_access


async def test_concurrent_joins_get_distinct_consecutive_numbers(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(admit_per_second=0.001)
    joined = await asyncio.gather(*(join(http, event_id) for _ in range(200)))
    assert sorted(place["number"] for place in joined) == list(range(1, 201))
    for place in joined:
        assert place["position"] == place["number"]
        assert place["ahead"] == place["number"] - 1


async def test_join_is_idempotent_per_client(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(admit_per_second=0.001)
    headers = client_headers()
    first = await http.post(f"/api/v1/events/{event_id}/queue", headers=headers)
    again = await http.post(f"/api/v1/events/{event_id}/queue", headers=headers)
    other = await http.post(f"/api/v1/events/{event_id}/queue", headers=client_headers())
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["number"] == first.json()["number"] == 1
    assert other.json()["number"] == 2


async def test_cookie_identifies_a_client_without_header(base_url: str, new_event) -> None:
    event_id = await new_event(admit_per_second=0.001)
    async with httpx.AsyncClient(base_url=base_url) as browser:
        first = await browser.post(f"/api/v1/events/{event_id}/queue")
        again = await browser.post(f"/api/v1/events/{event_id}/queue")
    assert "tkt_client" in first.cookies
    assert first.headers["set-cookie"].endswith("; HttpOnly; Max-Age=604800; Path=/; SameSite=lax")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]


async def test_admission_follows_queue_numbers_in_order(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(admit_per_second=20)
    joined = await asyncio.gather(*(join(http, event_id) for _ in range(30)))
    await asyncio.sleep(0.8)
    await http.post(
        f"/api/v1/events/{event_id}/pause", headers=ADMIN
    )  # hold `serving` still while reading
    places = await asyncio.gather(
        *(
            http.get(
                f"/api/v1/events/{event_id}/queue/me",
                headers={"Authorization": f"Bearer {p['ticket']}"},
            )
            for p in joined
        )
    )
    admitted = {p["number"] for p in (r.json() for r in places) if p["admitted"]}
    assert admitted, "someone is admitted after 0.8 s at 20/s"
    assert admitted == set(range(1, max(admitted) + 1)), (
        "admission is a prefix of the queue numbers"
    )
    assert len(admitted) < 30


async def test_admission_rate_is_respected(http: httpx.AsyncClient, new_event) -> None:
    created = time.monotonic()
    event_id = await new_event(admit_per_second=10)
    await asyncio.gather(*(join(http, event_id) for _ in range(100)))
    await asyncio.sleep(2.0)
    serving = (await http.get(f"/api/v1/events/{event_id}")).json()["queue"]["serving"]
    elapsed = time.monotonic() - created
    # 10/s, plus at most one second of admissions saved up before the clients came
    assert 15 <= serving <= 10 * elapsed + 11, (serving, elapsed)


async def test_max_active_caps_admissions_and_no_shows_free_their_place(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(max_active=5, access_ttl_seconds=1)
    joined = [await join(http, event_id) for _ in range(8)]
    await asyncio.sleep(0.5)
    event = (await http.get(f"/api/v1/events/{event_id}")).json()
    assert event["queue"]["serving"] == 5, "only max_active clients are admitted"
    # nobody admitted makes a request: after access_ttl their places free up
    await asyncio.sleep(1.6)
    event = (await http.get(f"/api/v1/events/{event_id}")).json()
    assert event["queue"]["serving"] == 8
    lapsed = await http.get(
        f"/api/v1/events/{event_id}/queue/me",
        headers={"Authorization": f"Bearer {joined[0]['ticket']}"},
    )
    assert lapsed.json()["admitted"] is False and lapsed.json()["lapsed"] is True


async def test_an_active_client_keeps_its_place(http: httpx.AsyncClient, new_event) -> None:
    event_id = await new_event(max_active=1, access_ttl_seconds=1)
    first, second = await join(http, event_id), await join(http, event_id)
    await wait_for_access(http, event_id, first["ticket"])
    for _ in range(6):  # 1.5 s of activity, longer than the TTL
        await asyncio.sleep(0.25)
        place = await http.get(
            f"/api/v1/events/{event_id}/queue/me",
            headers={"Authorization": f"Bearer {first['ticket']}"},
        )
        assert place.json()["admitted"] is True
    assert (await http.get(f"/api/v1/events/{event_id}")).json()["queue"]["serving"] == 1
    assert second["number"] == 2


async def test_pause_stops_and_resume_restarts_admissions(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event(admit_per_second=50)
    paused = await http.post(f"/api/v1/events/{event_id}/pause", headers=ADMIN)
    assert paused.status_code == 200 and paused.json()["paused"] is True
    joined = await asyncio.gather(*(join(http, event_id) for _ in range(20)))
    assert all(place["eta_seconds"] is None for place in joined), "no estimate while paused"
    await asyncio.sleep(0.5)
    assert (await http.get(f"/api/v1/events/{event_id}")).json()["queue"]["serving"] == 0
    resumed = await http.post(f"/api/v1/events/{event_id}/resume", headers=ADMIN)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    await asyncio.sleep(0.7)
    assert (await http.get(f"/api/v1/events/{event_id}")).json()["queue"]["serving"] == 20
