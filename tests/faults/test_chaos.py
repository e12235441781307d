"""SPEC §7 with a real `ruche run`: SIGKILL at seeded moments loses no acknowledged tip, pays
nothing twice, and a startup sweep killed midway still closes every poll and round once and
posts every outcome (bot/testing/chaos.py; benchmarks/chaos.py runs hundreds of kills)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.testing.chaos import (
    BotProcess,
    SweepChaos,
    TipChaos,
    messages,
    outcome,
)
from bot.testing.pytest_plugin import fresh_pg_database

BACKENDS = ["sqlite", "postgresql"]


def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database for the child processes on the chosen backend."""
    if backend == "postgresql":
        return asyncio.run(fresh_pg_database(request.getfixturevalue("ruche_pg_url")))
    return f"sqlite:///{tmp_path / 'ruche.sqlite3'}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_killed_bot_loses_no_acknowledged_tip_and_pays_none_twice(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = database(backend, tmp_path, request)
    report = TipChaos(tmp_path / "run", url, seed=14, kills=4, tips=300).run()
    assert report.problems == []
    assert report.kills == 4
    assert (report.lost, report.doubled, report.missing) == (0, 0, 0)
    assert report.acknowledged + report.landed_unacknowledged == 300
    assert report.resent > 0  # the kills did cut tips in flight
    assert report.db_check == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_startup_sweep_killed_midway_settles_like_a_run_never_killed(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = database(backend, tmp_path, request)
    report = SweepChaos(tmp_path, url, seed=14, kills=4).run()
    assert report.problems == []
    assert report.interrupted >= 1  # at least one kill landed inside the sweep
    assert (report.outcomes_expected, report.outcomes_posted) == (7, 7)
    assert report.outcomes_missing == 0
    assert report.db_check == 0


def test_the_oracle_sees_a_tip_applied_twice(tmp_path: Path) -> None:
    """The console has no event ids: a re-sent acknowledged line is a second tip, and the
    oracle must say so (it is why the harness re-sends only tips that did not land)."""
    chaos = TipChaos(tmp_path / "run", f"sqlite:///{tmp_path / 'ruche.sqlite3'}", seed=3,
                     kills=0, tips=5)
    assert chaos.run().problems == []
    again = BotProcess(chaos.config, chaos.log)
    again.send([chaos.tips[0].line])
    assert again.finish() == 0
    chaos.report.problems.clear()
    chaos._oracle()
    assert chaos.report.doubled == 1
    assert any("applied 2 times" in p for p in chaos.report.problems)
    assert any(p.startswith("balances") for p in chaos.report.problems)
    assert chaos.report.db_check == 0  # the ledger itself is consistent: two real tips


def test_messages_and_outcomes_are_read_from_console_output() -> None:
    out = ["ruche> [#1] Results of poll #2 (closed) — Q?", "ruche> A · X  2", "noise",
           "ruche> [#1] (edited) 📊 Poll #2 (closed) — Q?", "ruche> A · X  2",
           "ruche> [#2] Idea #1 “Garden” missed its goal: 2 of 9 BZZ. Every pledge was refunded.",
           "ruche> [#3] (to alice) Idea #1 “Garden” is funded: 9 of 9 BZZ",
           "ruche> [#4] alice tipped bob 3 BZZ."]
    said = messages(out)
    assert said == ["Results of poll #2 (closed) — Q?\nA · X  2",
                    "Idea #1 “Garden” missed its goal: 2 of 9 BZZ. Every pledge was refunded.",
                    "Idea #1 “Garden” is funded: 9 of 9 BZZ", "alice tipped bob 3 BZZ."]
    assert [outcome(m) for m in said] == [True, True, True, False]


def test_a_reaction_after_a_restart_reaches_only_the_message_it_is_on(tmp_path: Path) -> None:
    config = tmp_path / "ruche.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path / "r.sqlite3"}"\n'
                      f'[bot]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    first = BotProcess(config, tmp_path / "bot.log")
    first.send(["alice> hi", "carol> hi", '!poll new "Q?" "A" "B"'])
    assert first.finish() == 0
    second = BotProcess(config, tmp_path / "bot.log")
    second.send(["alice> !balance", ":react carol 1 1️⃣", "!poll show 1"])
    assert second.finish() == 0
    said = messages(line for _t, line in second.output)
    assert said[0] == "alice has 10 BZZ."
    assert "0 ballots" in said[-1]  # carol reacted on alice's balance, not on the poll
