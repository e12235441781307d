"""The dashboard in a real headless Chromium (Debian's, driven by playwright).

scripts/setup-chromium installs /usr/bin/chromium; playwright's own browser download is never
used. Outside CI a missing browser skips these tests with the reason; under CI=true it fails.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from plugins.pulse.tests.conftest import MakePulse, Pulse

CHROMIUM = os.environ.get("RUCHE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "docs" / "dashboard.png"
LIVE_DEADLINE = 2.0  # seconds: a chat action must show on the open page within this
LOAD_DEADLINE = 15_000  # ms: a deadline, not a wait — generous for a loaded machine, free when fast


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests need Chromium and playwright under CI: {reason}")
    pytest.skip(reason)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc}); run scripts/test, which installs requirements/test.txt")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing: run scripts/setup-chromium")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def _open(browser: Any, p: Pulse, path: str = "/c/console", **context: Any) -> Any:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900}, **context)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    await page.goto(p.url + path)
    page.errors = errors
    return page


async def _wait_live(page: Any) -> None:
    """The stream delivered its first full update (a selector: the page's CSP forbids eval)."""
    await page.locator("html[data-version]").wait_for(state="attached", timeout=LOAD_DEADLINE)


async def test_pipeline_renders_for_seeded_data(make_pulse: MakePulse, browser: Any) -> None:
    import re

    from playwright.async_api import expect

    p = await make_pulse(web=True)
    await p.seed()
    page = await _open(browser, p)
    await _wait_live(page)
    assert await page.title() == "Pulse of console"
    assert await page.locator("#pipeline .column").count() == 6
    assert await page.locator("#pipeline .st-open li").count() == 2
    assert "Repair café" in await page.locator("#pipeline .st-accepted").inner_text()
    assert "Night market" in await page.locator("#pipeline .st-rejected").inner_text()
    assert "anonymous" in await page.locator("#pipeline .st-open").inner_text()
    assert await page.locator("#p1o0").get_attribute("value") == "1.000"
    # The stream's "open" event and the hash navigation land asynchronously: wait for them.
    await expect(page.locator("#live")).to_have_text("live", timeout=LOAD_DEADLINE)
    assert page.errors == []
    # Keyboard: the first Tab reaches the skip link, which leads to the dashboard.
    await page.keyboard.press("Tab")
    await expect(page.locator("a.skip")).to_be_focused(timeout=LOAD_DEADLINE)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"#main$"), timeout=LOAD_DEADLINE)


async def test_readable_without_javascript(make_pulse: MakePulse, browser: Any) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    page = await _open(browser, p, java_script_enabled=False)
    text = await page.inner_text("main")
    assert "Community garden" in text and "Pizza" in text and "alice" in text
    assert await page.inner_text("#live") == ""


async def test_a_tip_a_ballot_and_an_idea_appear_live(make_pulse: MakePulse,
                                                      browser: Any) -> None:
    from playwright.async_api import expect

    p = await make_pulse(web=True)
    await p.seed()
    await p.say("carol", "hello")
    page = await _open(browser, p)
    await _wait_live(page)
    checks = [
        ("alice", "!tip @carol 3 for the soup", "#flows", "carol"),
        ("dave", "!vote 1 Salad", "#p1o1 + .val", "1"),
        ("erin", "!idea submit Live idea | made in the chat", "#pipeline .st-open", "Live idea"),
    ]
    for who, line, selector, expected in checks:
        started = time.monotonic()
        await p.say(who, line)
        await expect(page.locator(selector)).to_contain_text(expected,
                                                             timeout=LIVE_DEADLINE * 1000)
        assert time.monotonic() - started < LIVE_DEADLINE, line
    feed = await page.inner_text("#activity")
    assert "alice thanked carol with 3 BZZ." in feed
    assert "erin proposed idea #5 “Live idea”." in feed
    assert page.errors == []


async def test_dark_scheme_and_screenshot(make_pulse: MakePulse, browser: Any,
                                          tmp_path: Path) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    await p.say("carol", "!tip @alice 2 nice work")
    await p.say("dave", "!vote 1 Salad")
    await p.say("erin", "!vote 1 Pizza")
    page = await _open(browser, p, color_scheme="dark")
    await _wait_live(page)
    dark = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    light_page = await _open(browser, p, color_scheme="light")
    light = await light_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    await _wait_live(light_page)
    # `RUCHE_SCREENSHOT=1` refreshes the picture in docs/ that the README shows.
    target = SCREENSHOT if os.environ.get("RUCHE_SCREENSHOT") == "1" else tmp_path / "d.png"
    await light_page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.is_file(), "docs/dashboard.png is shown in the README"


CHARTS_SCREENSHOT = ROOT / "docs" / "dashboard-charts.png"


async def test_pictures_render_and_follow_the_chat(make_pulse: MakePulse, browser: Any,
                                                   tmp_path: Path) -> None:
    from playwright.async_api import expect

    from plugins.pulse.tests.test_charts import funded_community

    p = await funded_community(make_pulse, web=True)
    page = await _open(browser, p)
    await _wait_live(page)
    for selector in ("#charts svg.activity-chart", "#charts svg.funnel-chart",
                     "#funding svg.progress-chart", "#flows svg.network-chart"):
        box = await page.locator(selector).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 50, selector
    assert (await page.locator("#charts svg.activity-chart desc").text_content() or "").endswith(
        ": Ideas 4, Ballots 1, Tips 2, Pledges 2.")
    assert await page.locator("#charts svg.funnel-chart text.count").all_text_contents() == [
        "4", "1", "1", "1", "0", "0"]
    assert await page.locator("#funding svg.progress-chart desc").text_content() == (
        "55 BZZ pledged of a 100 BZZ goal, 2 changes recorded.")
    # The accessible name screen readers announce is the picture's title.
    assert await page.get_by_role("img", name="Who thanks whom, as a network").count() == 1
    # The hidden tables take no room on screen.
    hidden = await page.locator("#charts .sr-only").first.bounding_box()
    assert hidden is not None and hidden["width"] <= 1
    # A tip and a ballot redraw the pictures live.
    await p.say("bob", "!tip @carol 2 thanks")
    await p.say("dave", "!vote 1 Salad")
    await expect(page.locator("#charts svg.activity-chart desc")).to_have_text(
        re.compile(r": Ideas 4, Ballots 2, Tips 3, Pledges 2\.$"), timeout=LIVE_DEADLINE * 1000)
    await expect(page.locator("#flows svg.network-chart desc")).to_contain_text(
        "3 links between 3 members, 11 BZZ in all", timeout=LIVE_DEADLINE * 1000)
    assert page.errors == []
    # `RUCHE_SCREENSHOT=1` refreshes the picture in docs/.
    target = (CHARTS_SCREENSHOT if os.environ.get("RUCHE_SCREENSHOT") == "1"
              else tmp_path / "charts.png")
    await page.screenshot(path=str(target), full_page=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert CHARTS_SCREENSHOT.is_file(), "docs/dashboard-charts.png is shown in the docs"


async def test_pictures_without_javascript(make_pulse: MakePulse, browser: Any) -> None:
    from plugins.pulse.tests.test_charts import funded_community

    p = await funded_community(make_pulse, web=True)
    page = await _open(browser, p, java_script_enabled=False)
    box = await page.locator("#charts svg.funnel-chart").bounding_box()
    assert box is not None and box["width"] > 200
    assert await page.get_by_role("img", name="Activity per day, last 30 days").count() == 1


async def test_personal_page_in_the_browser(make_pulse: MakePulse, browser: Any) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    await p.say("alice", "!dashboard")
    link = p.dms("alice")[-1].split(": ", 1)[1].split("\n")[0]
    page = await _open(browser, p, link.removeprefix(p.url))
    assert await page.title() == "Your page in console"
    assert "Community garden" in await page.inner_text("main")
    box = await page.locator("svg.network-chart").bounding_box()
    assert box is not None and box["width"] > 200
    assert page.errors == []
    await p.say("alice", "!dashboard revoke")
    refused = await _open(browser, p, link.removeprefix(p.url))
    assert "invalid, expired or revoked" in await refused.inner_text("body")
