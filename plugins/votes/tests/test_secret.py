"""Secret ballots: one ballot per member while open, no link to members once closed."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from bot.testing import TestBot
from plugins.votes import store
from plugins.votes.service import voter_key
from plugins.votes.tests.conftest import integrity


async def every_stored_value(tb: TestBot) -> list[Any]:
    """Every value of every row of every table: what an operator with the database has."""
    if tb.bot.db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    tables = [r["name"] for r in await tb.bot.db.fetch(sql)]
    values: list[Any] = []
    for table in tables:
        for row in await tb.bot.db.fetch(f'SELECT * FROM "{table}"'):
            values.extend(row[i] for i in range(len(row)))
    return values


async def test_secret_ballot_property(tb: TestBot) -> None:
    chat = tb.chat
    out = await chat.say("alice", '!poll new "Strike?" "Yes" "No" --anonymous')
    assert "🔒 Secret ballot" in out
    poll = await store.find_poll(tb.bot.db, "console", 1)
    assert poll is not None
    secret = await tb.bot.db.fetchval("SELECT secret FROM votes_polls WHERE id = $1", poll.id)
    assert isinstance(secret, str) and len(secret) == 64

    # While open: one ballot per member, however often they vote.
    await chat.say("alice", "!vote 1 A")
    await chat.say("bob", "!vote 1 B")
    assert "replaces" in await chat.say("alice", "!vote 1 B")
    assert "replaces" in await chat.say("alice", "!vote 1 No")
    assert await store.count_ballots(tb.bot.db, poll.id) == 2
    rows = await tb.bot.db.fetch("SELECT voter, member_id, cast_at FROM votes_ballots")
    members = {int(r["id"]): r["display_name"] for r in await tb.bot.db.fetch(
        "SELECT id, display_name FROM core_members")}
    alice = next(i for i, n in members.items() if n == "alice")
    assert {r["voter"] for r in rows} == {voter_key(i, secret) for i, n in members.items()
                                          if n in ("alice", "bob")}
    assert all(r["member_id"] is None and r["cast_at"] is None for r in rows)
    assert f"m:{alice}" not in {r["voter"] for r in rows}
    assert "withdrawn" in await chat.say("alice", "!unvote 1")
    assert await store.count_ballots(tb.bot.db, poll.id) == 1
    await chat.say("alice", "!vote 1 B")

    await chat.say("alice", "!poll close 1")

    # After close: the result stands, the secret is gone, and nothing stored links back.
    assert "Winner: B · No" in await chat.say("carol", "!poll results 1")
    values = await every_stored_value(tb)
    assert secret not in [v for v in values if isinstance(v, str)]
    assert await tb.bot.db.fetchval("SELECT secret FROM votes_polls WHERE id = $1",
                                    poll.id) is None
    voters = {r["voter"] for r in await tb.bot.db.fetch("SELECT voter FROM votes_ballots")}
    assert len(voters) == 2
    # Try every stored string as the key, for every member: no ballot key comes out.
    candidates = {v for v in values if isinstance(v, str)}
    for key in candidates:
        raw_keys = [key.encode()]
        try:
            raw_keys.append(bytes.fromhex(key))
        except ValueError:
            pass
        for raw in raw_keys:
            for member_id in members:
                digest = hmac.new(raw, str(member_id).encode(), hashlib.sha256).hexdigest()
                assert digest not in voters
    ballot_rows = await tb.bot.db.fetch("SELECT * FROM votes_ballots")
    assert all(r["member_id"] is None and r["cast_at"] is None for r in ballot_rows)
    assert await integrity(tb) == []


async def test_secret_quadratic_polls_use_voice_credits(make_bot: Any) -> None:
    raw = {"plugins": {"votes": {"quadratic_currency": "tokens"}}}
    tb = await make_bot(raw=raw, builtins={"core": "bot.commands.builtin",
                                           "votes": "plugins.votes"})
    out = await tb.chat.say("alice", '!poll new "Q" "A" "B" --method quadratic --anonymous')
    assert "100 voice credits" in out
    assert "recorded" in await tb.chat.say("bob", "!vote 1 A=3")


async def test_secret_ballot_events_name_nobody(tb: TestBot, recorder: Any) -> None:
    await tb.chat.say("alice", '!poll new "Q" "A" "B" --anonymous')
    await tb.chat.say("bob", "!vote 1 A")
    ballots = recorder.named("ballot")
    assert len(ballots) == 1 and ballots[0].member_id is None
    await tb.chat.say("alice", "!poll cancel 1")
    assert await tb.bot.db.fetchval("SELECT secret FROM votes_polls") is None
