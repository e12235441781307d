"""Kill a real bot process after a round was funded and before "is funded" was posted: the
next start posts it at once (no five-minute lease to wait out), once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.storage import Tx
from bot.testing import ManualClock, TestBot
from bot.testing.announce_crash import run, write_config
from plugins.funding.tests.crash_bot import Killer

SETUP = [
    "bob> hello",
    "carol> hello",
    "alice> !idea submit Solar oven",
    "mod> !idea accept 1",
    "mod> !grant @bob 100 welcome",
    "mod> !grant @carol 100 welcome",
    "alice> !fund open 1 100 --until 1h",
    "bob> !pledge 1 60",
    "carol> !pledge 1 50",
]
EXTRA = ('[plugins.tips]\nallowance_amount = 0\nactivity_reward = 0\nidea_accepted_reward = 0\n'
         '[plugins.ideas]\nauto_poll = false\n')
FUNDED = "Idea #1 “Solar oven” is funded: 110"


def test_is_funded_posted_at_next_start_after_kill(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, database_url, EXTRA)
    first = run(config, SETUP)
    assert first.returncode == 0, first.stdout + first.stderr
    assert FUNDED not in first.stdout

    later = 2 * 3600.0  # past the deadline: the startup sweep settles the round
    second = run(config, [], crash_key="funding:round:1:outcome", clock=later)
    assert second.returncode == 9, second.stdout + second.stderr
    assert "KILLED before funding:round:1:outcome" in second.stdout
    assert FUNDED not in second.stdout

    started = time.monotonic()
    third = run(config, [], clock=later)
    assert third.returncode == 0, third.stdout + third.stderr
    assert [line for line in third.stdout.splitlines() if FUNDED in line] == [
        line for line in third.stdout.splitlines() if line.startswith(f"MSG {FUNDED}")]
    assert third.stdout.count(FUNDED) == 1, third.stdout
    assert time.monotonic() - started < 60  # at startup, not after the lease

    fourth = run(config, [], clock=later)
    assert fourth.returncode == 0 and FUNDED not in fourth.stdout, fourth.stdout


async def test_event_claim_of_a_dead_run_is_released_at_start(make_bot: Any) -> None:
    """A run killed between claiming a round's event and emitting it: the next start emits it."""
    clock = ManualClock(1_700_000_000.0)
    events = Killer("")
    tb: TestBot = await make_bot(raw={"plugins": {"tips": {"allowance_amount": 0},
                                                  "ideas": {"auto_poll": False}}},
                                 moderators=("mod", "operator"), plugins={"killer": events})
    tb.bot.clock = clock
    for line in SETUP[:-2]:
        name, _sep, text = line.partition("> ")
        await tb.chat.say(name, text)
    await tb.chat.say("bob", "!pledge 1 100")
    owner = tb.bot.outbox.owner

    async def op(tx: Tx) -> None:
        await tx.execute("UPDATE funding_rounds SET deadline = $1", clock() - 1)

    await tb.bot.db.atomic(op)
    await tb.bot.scheduler.run_now("funding.sweep")
    assert await tb.bot.db.fetchval("SELECT notified FROM funding_rounds") == 1
    # The event was claimed by a run of this host that died before emitting it; its lease
    # would hold for another hour.
    await tb.bot.db.execute("UPDATE funding_rounds SET notified = 0, notify_claimed_at = $1, "
                            "notify_owner = $2", time.time() + 3600,
                            f"{owner.host}/{owner.pid}/old")
    tb = await tb.restart()
    assert await tb.bot.db.fetchval("SELECT notified FROM funding_rounds") == 1
    assert await tb.bot.db.fetchval("SELECT notify_owner FROM funding_rounds") \
        == tb.bot.outbox.owner.encode()
