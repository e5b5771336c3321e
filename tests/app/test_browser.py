"""End to end in headless Chromium: join the queue, get admitted, pick a slot, confirm; and the
page leaves the waiting room within a second of the API admitting the buyer."""

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.app.conftest import ADMIN, bearer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_MOVES_ON_SECONDS = 1.0
# Runs in the page before its own script: the wall-clock time (ms) the slot picker first shows.
RECORD_PICKER_SHOWN = """
new MutationObserver(() => {
  const picker = document.getElementById("picker");
  if (picker && !picker.hidden && !window.pickerShownAt) window.pickerShownAt = Date.now();
}).observe(document, { subtree: true, childList: true, attributeFilter: ["hidden"] });
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason="Chromium is not installed (scripts/install-system-deps.sh)",
    ),
]


@asynccontextmanager
async def _chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def _admitted_at(http: httpx.AsyncClient, event_id: str, ticket: str) -> float:
    """The wall-clock time the API first answers this ticket as admitted (polled every 20 ms)."""
    for _ in range(1000):
        response = await http.get(f"/api/v1/events/{event_id}/queue/me", headers=bearer(ticket))
        if response.json()["admitted"]:
            return time.time()
        await asyncio.sleep(0.02)
    raise AssertionError(f"not admitted in 20 s: {response.text}")


async def test_buyer_joins_waits_picks_a_slot_and_confirms(
    base_url: str, new_event, http: httpx.AsyncClient
) -> None:
    event_id = await new_event(
        admit_per_second=1,
        slots=[
            {"id": "a", "label": "18:00", "capacity": 5},
            {"id": "b", "label": "21:00", "capacity": 0},
        ],
    )
    # paused, so the waiting room stays on screen until the test lets the buyer in
    await http.post(f"/api/v1/events/{event_id}/pause", headers=ADMIN)
    async with _chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{base_url}/?event={event_id}")
        await expect(page.locator("#waiting")).to_be_visible(timeout=10_000)
        await expect(page.locator("#position")).to_have_text("1")
        await http.post(f"/api/v1/events/{event_id}/resume", headers=ADMIN)
        await expect(page.locator("#picker")).to_be_visible(timeout=15_000)
        await expect(page.locator("button[data-slot=b]")).to_be_disabled()
        await expect(page.locator("button[data-slot=a] .remaining")).to_have_text("5 left")
        await page.locator("button[data-slot=a]").click()
        await expect(page.locator("#holding")).to_be_visible()
        await page.locator("#confirm").click()
        await expect(page.locator("#confirmed")).to_be_visible()
        booking_id = await page.locator("#booking-id").text_content()
        assert booking_id and booking_id.startswith("b_")
        await expect(page.locator("#booking-summary")).to_contain_text("18:00")


async def test_page_moves_on_within_a_second_of_admission(
    base_url: str, new_event, http: httpx.AsyncClient
) -> None:
    """A buyer who joins at position 1 is admitted by the next admission step, often before the
    page's live connection is subscribed; the page must not wait for the next poll to notice."""
    event_id = await new_event(admit_per_second=1)
    async with _chromium() as browser:
        page = await browser.new_page()
        await page.add_init_script(RECORD_PICKER_SHOWN)
        async with page.expect_response(
            lambda response: response.request.method == "POST" and response.url.endswith("/queue")
        ) as joined:
            await page.goto(f"{base_url}/?event={event_id}")
        ticket = (await (await joined.value).json())["ticket"]
        admitted_at = await _admitted_at(http, event_id, ticket)
        await expect(page.locator("#picker")).to_be_visible(timeout=15_000)
        shown_at = await page.evaluate("window.pickerShownAt") / 1000
    assert shown_at - admitted_at < PAGE_MOVES_ON_SECONDS, (
        f"the picker showed {shown_at - admitted_at:.2f} s after the API admitted the buyer"
    )
