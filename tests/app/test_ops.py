"""Health, readiness, metrics, and the JSON shape of unexpected routes."""

import httpx

from tests.app.conftest import admitted_token, bearer


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"status": "ready"}


async def test_metrics_cover_queue_admissions_holds_bookings_and_latency(
    http: httpx.AsyncClient, new_event
) -> None:
    event_id = await new_event()
    token = await admitted_token(http, event_id)
    hold = await http.post(
        f"/api/v1/events/{event_id}/holds",
        json={"slot_id": "a", "quantity": 1},
        headers=bearer(token),
    )
    await http.post(
        f"/api/v1/holds/{hold.json()['hold_id']}/confirm",
        headers={**bearer(token), "Idempotency-Key": "m"},
    )
    text = (await http.get("/metrics")).text
    for line in (
        f'ticketing_queue_waiting{{event="{event_id}"}}',
        f'ticketing_admissions_total{{event="{event_id}"}} 1.0',
        f'ticketing_holds_total{{event="{event_id}",outcome="ok"}} 1.0',
        f'ticketing_bookings_total{{event="{event_id}"}} 1.0',
        'ticketing_http_request_duration_seconds_count{method="POST",route="/api/v1/events/{event_id}/holds",status="201"}',
        # the hot routes are served ahead of the middleware stack (web/fast_routes.py) yet
        # still timed
        'ticketing_http_request_duration_seconds_count{method="POST",route="/api/v1/events/{event_id}/queue",status="201"}',
        'ticketing_http_request_duration_seconds_count{method="GET",route="/api/v1/events/{event_id}/queue/me",status="200"}',
    ):
        assert line in text, line


async def test_pages_are_served(http: httpx.AsyncClient) -> None:
    page = await http.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert (await http.get("/static/app.js")).status_code == 200
