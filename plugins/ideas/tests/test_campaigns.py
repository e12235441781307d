"""Campaigns: open calls with a bounty and a deadline; closing emits the bounty event once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from plugins.ideas import campaigns, store
from plugins.ideas.tests.conftest import Start


async def test_open_list_submit_close_with_bounty_event(start: Start) -> None:
    h = await start()
    h.bot.clock = lambda: datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp()
    out = await h.say("mod", "!campaign open Summer Ideas for the summer fair --bounty 300 "
                             "--until 14d")
    assert out.splitlines() == [
        "Campaign Summer is open.",
        "Summer [open] — bounty 300 · until 2026-06-15 12:00 (in 14d) · 0 ideas — Ideas for the "
        "summer fair",
        "Submit ideas with !idea submit <title> --campaign Summer.",
    ]
    await h.say("alice", "!idea submit Lanterns --campaign summer")  # any case
    await h.say("bob", "!idea submit Music stage --campaign Summer")
    await h.say("carol", "!idea submit Not in it")
    await h.say("mod", "!idea accept 1")
    await h.say("mod", "!idea accept 2")
    await h.say("mod", "!idea implement 2")
    listing = await h.say("dave", "!campaign list")
    assert "Summer [open] — bounty 300 · until 2026-06-15 12:00 (in 14d) · 2 ideas" in listing
    out = await h.say("mod", "!campaign close summer")
    assert out == ("Campaign Summer is closed. Accepted ideas: #1, #2; they share the bounty of "
                   "300.")
    [closed] = h.events.named("campaign_closed")
    assert (closed.community, closed.name, closed.bounty) == ("console", "Summer", 300)
    assert [i.number for i in closed.accepted_ideas] == [1, 2]
    assert all(i.campaign == "Summer" for i in closed.accepted_ideas)
    assert await h.say("mod", "!campaign close summer") == "The campaign Summer is closed."
    assert await h.say("alice", "!idea submit Late --campaign summer") == (
        "The campaign Summer is closed.")
    assert len(h.events.named("campaign_closed")) == 1
    assert "Summer [closed]" in await h.say("dave", "!campaign list")


async def test_deadline_sweep_closes_once(start: Start) -> None:
    h = await start()
    now = h.bot.now()
    await h.say("mod", "!campaign open Winter --bounty 50 --until 2d")
    await h.say("alice", "!idea submit Skating rink --campaign Winter")
    await h.say("mod", "!idea accept 1")
    assert await campaigns.close_due(h.bot) == 0
    h.bot.clock = lambda: now + 2 * 86400 + 1
    assert "closed" in await h.say("alice", "!idea submit Too late --campaign winter")
    results = await asyncio.gather(*(h.bot.scheduler.run_now("ideas.campaigns") for _ in range(3)))
    assert all(results)
    await campaigns.close_due(h.bot)
    [closed] = h.events.named("campaign_closed")
    assert closed.bounty == 50 and [i.title for i in closed.accepted_ideas] == ["Skating rink"]
    assert ("Campaign Winter is closed. Accepted ideas: #1; they share the bounty of 50."
            in h.room_texts())


async def test_deadline_survives_a_restart(start: Start) -> None:
    h = await start()
    now = h.bot.now()
    await h.say("mod", "!campaign open Spring --bounty 10 --until 1h")
    tb = await h.tb.restart()
    tb.bot.clock = lambda: now + 7200
    await tb.bot.scheduler.run_now("ideas.campaigns")
    row = await store.campaign_by_name(tb.bot.db, "console", "spring")
    assert row is not None and row.status == "closed"


async def test_until_accepts_dates(start: Start) -> None:
    h = await start()
    h.bot.clock = lambda: datetime(2026, 6, 1, 12, 0, tzinfo=UTC).timestamp()
    out = await h.say("mod", "!campaign open Fair --until 2026-06-30")
    assert "until 2026-06-30 23:59" in out  # a bare date runs to the end of that day
    out = await h.say("mod", "!campaign open Noon --until 2026-06-02T12:00")
    assert "until 2026-06-02 12:00 (in 1d)" in out
    assert await h.say("mod", "!campaign open Past --until 2026-05-01") == (
        "That deadline is already past.")
    out = await h.say("mod", "!campaign open Bad --until tomorrow")
    assert "is neither a date like 2026-12-31 nor a duration like 7d." in out
    assert "Usage: !campaign open <name> [description…] [--bounty amount] " \
           "[--until date|duration]" in out


async def test_campaign_refusals(start: Start) -> None:
    h = await start()
    assert "You are not allowed to do that (ideas.campaigns)." in await h.say(
        "alice", "!campaign open Mine")
    await h.say("mod", "!campaign open Mine")
    assert await h.say("mod", "!campaign open mine") == "A campaign named mine already exists."
    assert "The amount must be at least 1" in await h.say("mod", "!campaign open Free --bounty 0")
    assert "must be positive" in await h.say("mod", "!campaign open Neg --bounty -5")
    assert await h.say("mod", "!campaign close nothing") == "There is no campaign named nothing."
    assert "You are not allowed to do that (ideas.campaigns)." in await h.say(
        "alice", "!campaign close Mine")
    assert "A campaign name is one word" in await h.say("mod", "!campaign open bad/name")


async def test_empty_campaign_list_and_no_winners(start: Start) -> None:
    h = await start()
    assert await h.say("alice", "!campaign list") == "No campaigns yet."
    await h.say("mod", "!campaign open Quiet")
    assert await h.say("mod", "!campaign close Quiet") == (
        "Campaign Quiet is closed; no idea of it was accepted.")
    [closed] = h.events.named("campaign_closed")
    assert closed.accepted_ideas == () and closed.bounty == 0
