"""End to end in headless Chromium: join the queue, get admitted, pick a slot, confirm."""

import shutil

import pytest
from playwright.async_api import async_playwright, expect

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


@pytest.mark.browser
@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason="Chromium is not installed (scripts/install-system-deps.sh)",
)
async def test_buyer_joins_waits_picks_a_slot_and_confirms(base_url: str, new_event) -> None:
    event_id = await new_event(
        admit_per_second=1,
        slots=[
            {"id": "a", "label": "18:00", "capacity": 5},
            {"id": "b", "label": "21:00", "capacity": 0},
        ],
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{base_url}/?event={event_id}")
            await expect(page.locator("#waiting")).to_be_visible(timeout=10_000)
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
        finally:
            await browser.close()
