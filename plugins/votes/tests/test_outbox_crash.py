"""Kill a real bot process after a poll's close committed and before its results were posted:
the next start posts them, once (the outbox re-drives at startup, no lease to wait for)."""

from __future__ import annotations

import time
from pathlib import Path

from bot.testing import TestBot
from bot.testing.announce_crash import run, write_config
from plugins.votes.tests.conftest import Recorder

LINES = [
    'alice> !poll new "Lunch?" "Pizza" "Soup"',
    "bob> !vote 1 A",
    "carol> !vote 1 B",
    "dave> !vote 1 A",
    "mod> !poll close 1",
]
RESULTS = "Results of poll #1 (closed) — Lunch?"


def test_results_posted_at_next_start_after_kill(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, database_url,
                          "[plugins.votes]\ntally_edit_interval = 0.0\n")
    first = run(config, LINES, crash_key="votes:poll:1:", builtins=("votes",))
    assert first.returncode == 9, first.stdout + first.stderr
    assert "KILLED before votes:poll:1:final" in first.stdout
    assert RESULTS not in first.stdout

    second = run(config, [], builtins=("votes",))
    assert second.returncode == 0, second.stdout + second.stderr
    posted = [line for line in second.stdout.splitlines() if line.startswith("MSG ")]
    results = [line for line in posted if line.startswith(f"MSG {RESULTS}")]
    assert len(results) == 1 and "Winner: A · Pizza" in results[0], second.stdout
    # The final tally too (the test chat forgets its messages across processes, so the edit
    # of the poll message arrives as a new message here; a real platform edits it).
    assert [line for line in posted if line.startswith("MSG 📊 Poll #1 (closed)")]
    assert len(posted) == 2

    third = run(config, [], builtins=("votes",))
    assert third.returncode == 0, third.stdout + third.stderr
    assert "MSG " not in third.stdout  # delivered once: nothing is re-posted


async def test_events_claimed_by_a_dead_run_are_emitted_at_next_start(
        tb: TestBot, recorder: Recorder) -> None:
    """A run killed between closing a poll and emitting `on_poll_closed`: its claim would hold
    for five minutes; the next start of the same process frees it and emits the event."""
    await tb.chat.say("alice", '!poll new "Lunch?" "Pizza" "Soup"')
    await tb.chat.say("alice", "!poll close 1")
    assert recorder.names().count("closed") == 1
    owner = tb.bot.outbox.owner
    await tb.bot.db.execute("UPDATE votes_polls SET notified = 0, notify_claimed_at = $1, "
                            "notify_owner = $2", time.time() + 3600,
                            f"{owner.host}/{owner.pid}/old-run")
    await tb.restart()
    assert recorder.names().count("closed") == 2  # replayed once, by the next start
