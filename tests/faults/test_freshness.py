"""Two bots on one PostgreSQL database: a change made in one is seen by the other within 1 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.model import UserRef
from bot.storage.notify import ALL
from bot.testing import TestBot, make_test_bot
from bot.testing.pytest_plugin import fresh_pg_database

WITHIN = 1.0


@pytest.fixture
async def pair(tmp_path: Path, request: pytest.FixtureRequest,
               ) -> AsyncIterator[tuple[TestBot, TestBot]]:
    url = await fresh_pg_database(request.getfixturevalue("ruche_pg_url"))
    made = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        made.append(await make_test_bot(tmp_path / name, storage_url=url))
    try:
        yield made[0], made[1]
    finally:
        for tb in made:
            await tb.stop()


async def within(seconds: float, check: Callable[[], Awaitable[bool]]) -> float:
    """How long `check` took to come true (fails after `seconds`)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < seconds, "the other process still has the old state"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_config_in_one_process_is_seen_by_the_other(pair: tuple[TestBot, TestBot]) -> None:
    a, b = pair
    assert "Pong!" in await b.chat.say("bob", "!ping")  # b has read (and cached) the settings
    assert "fr" in await a.chat.say("mod", "!config bot.locale fr")

    async def french() -> bool:
        return "Pong!" not in await b.chat.say("bob", "!ping")

    await within(WITHIN, french)
    assert await a.chat.say("mod", "!config bot.locale --reset")
    await within(WITHIN, lambda: _has(b, "bob", "!ping", "Pong!"))


async def test_perm_in_one_process_is_seen_by_the_other(pair: tuple[TestBot, TestBot]) -> None:
    a, b = pair
    assert "(perm.manage)" in await b.chat.say("mod", "!perm show")  # rules cached in b
    assert "now allowed" in await a.chat.say("operator", "!perm allow perm.manage @mod")
    await within(WITHIN, lambda: _has(b, "mod", "!perm show", "Permission rules"))


async def test_ignore_and_plugin_switch_reach_the_other(pair: tuple[TestBot, TestBot]) -> None:
    a, b = pair
    assert "Pong!" in await b.chat.say("bob", "!ping")
    await a.chat.say("mod", "!ignore @bob spamming")

    async def dropped() -> bool:
        return await b.chat.say("bob", "!ping") == ""

    await within(WITHIN, dropped)
    await a.chat.say("mod", "!unignore @bob")
    await within(WITHIN, lambda: _has(b, "bob", "!ping", "Pong!"))

    assert "BZZ" in await b.chat.say("bob", "!balance")
    assert "is off" in await a.chat.say("operator", "!plugin disable tips")
    await within(WITHIN, lambda: _has(b, "bob", "!balance", "Unknown command"))


async def test_a_rename_reaches_the_other(pair: tuple[TestBot, TestBot]) -> None:
    a, b = pair
    community = b.bot.communities.get("console")
    await b.chat.say("bob", "hello")
    before = await b.bot.identity.find(community, "console", "bob")
    assert before is not None and before.display_name == "bob"
    # bob's platform name changes; a's adapter reports it on his next message
    await a.bot.identity.member_for(UserRef("console", "bob", "Bobby"), community)

    async def renamed() -> bool:
        found = await b.bot.identity.find(community, "console", "bob")
        return found is not None and found.display_name == "Bobby"

    await within(WITHIN, renamed)


async def test_a_lost_listener_comes_back_and_forgets_everything(
    pair: tuple[TestBot, TestBot],
) -> None:
    a, b = pair
    heard: list[str] = []
    b.bot.fresh.subscribe("settings", heard.append)
    conn = b.bot.fresh._conn
    conn.terminate()  # as when the server restarts: notices sent now are lost

    async def back() -> bool:
        return ALL in heard

    await within(5.0, back)
    await a.chat.say("mod", "!config bot.locale fr")
    await within(WITHIN, lambda: _has(b, "bob", "!ping", "Pong!", negate=True))


async def _has(tb: TestBot, who: str, text: str, part: str, negate: bool = False) -> bool:
    return (part in await tb.chat.say(who, text)) != negate
