"""Kill a real bot process between the escrow and the settlement (SPEC §7: killing the process
at any moment pays nothing twice); `ruche db check` stays green and the next start settles."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SETUP = [
    "bob> hello",
    "carol> hello",
    "alice> !idea submit Solar oven",
    "mod> !idea accept 1",
    "mod> !grant @bob 100 welcome",
    "mod> !grant @carol 100 welcome",
    "alice> !fund open 1 100 --until 7d",
    "bob> !pledge 1 60",
    "carol> !pledge 1 50",
]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "ruche.toml"
    path.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path}/ruche.sqlite3"\n'
        f'[bot]\ndata_dir = "{tmp_path}/data"\n'
        '[platforms.console]\nenabled = false\n'
        '[plugins.tips]\nallowance_amount = 0\nactivity_reward = 0\nidea_accepted_reward = 0\n'
        '[plugins.ideas]\nauto_poll = false\n'
        '[plugins.funding]\nrecovery_grace = "1s"\n', encoding="utf-8")
    return path


def _run(config: Path, lines: list[str], crash_at: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRASH_AT": crash_at}
    work = config.parent / f"work{time.monotonic_ns()}"
    work.mkdir()
    return subprocess.run(
        [sys.executable, "-m", "plugins.funding.tests.crash_bot", str(config), str(work),
         *lines], capture_output=True, text=True, cwd=config.parent, env=env, timeout=120)


def _db_check(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "db", "--config", str(config), "check"],
                          capture_output=True, text=True, cwd=config.parent, timeout=120)


def _query(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "ruche.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def _balance(tmp_path: Path, account: str) -> int:
    rows = _query(tmp_path, f"SELECT balance FROM tips_accounts WHERE account = '{account}'")
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def _member(tmp_path: Path, name: str) -> str:
    rows = _query(tmp_path, "SELECT member_id FROM core_identities WHERE platform = 'console' "
                            f"AND user_id = '{name}'")
    return f"member:{rows[0][0]}"


def test_killed_after_escrow_then_after_release_settles_once(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = _run(config, SETUP, crash_at="pledge:2")
    assert first.returncode == 9, first.stdout + first.stderr
    assert "KILLED after pledge fund:1:pledge:" in first.stdout
    assert _balance(tmp_path, "escrow:fund:1") == 110  # carol's tokens are in the escrow…
    assert _query(tmp_path, "SELECT state FROM funding_pledges ORDER BY id") == [
        ("confirmed",), ("pending",)]  # …but funding never heard back
    check = _db_check(config)
    assert check.returncode == 0, check.stdout + check.stderr

    time.sleep(1.1)  # recovery_grace: the startup sweep now re-drives the pending pledge
    second = _run(config, ["mod> !fund close 1"], crash_at="funding:1")
    assert second.returncode == 9, second.stdout + second.stderr
    assert "KILLED after funding fund:1:release" in second.stdout
    assert _query(tmp_path, "SELECT state, outcome FROM funding_rounds") == [
        ("settling", "succeeded")]
    check = _db_check(config)
    assert check.returncode == 0, check.stdout + check.stderr

    third = _run(config, ["dave> !fund show 1"])
    assert third.returncode == 0, third.stdout + third.stderr
    assert third.stdout.count("EVENT succeeded 1") == 1
    assert "Funding of idea #1 “Solar oven” — funded" in third.stdout
    fourth = _run(config, [])
    assert fourth.returncode == 0 and "EVENT" not in fourth.stdout

    alice = _member(tmp_path, "alice")
    assert _query(tmp_path, "SELECT dst, amount FROM tips_entries WHERE reason = 'funding'") == [
        (alice, 110)]
    assert len(_query(tmp_path, "SELECT 1 FROM tips_entries WHERE reason = 'pledge'")) == 2
    assert _balance(tmp_path, alice) == 110
    assert _balance(tmp_path, _member(tmp_path, "bob")) == 40
    assert _balance(tmp_path, _member(tmp_path, "carol")) == 50
    assert _balance(tmp_path, "escrow:fund:1") == 0
    check = _db_check(config)
    assert check.returncode == 0 and "all invariants hold" in check.stdout, check.stdout


def test_killed_during_refunds_refunds_everyone_once(tmp_path: Path) -> None:
    config = _config(tmp_path)
    lines = [line.replace("!fund open 1 100", "!fund open 1 500") for line in SETUP]
    first = _run(config, [*lines, "mod> !fund close 1"], crash_at="refund:1")
    assert first.returncode == 9, first.stdout + first.stderr
    assert _balance(tmp_path, "escrow:fund:1") in (50, 60)  # one refund out, one left
    check = _db_check(config)
    assert check.returncode == 0, check.stdout + check.stderr

    second = _run(config, ["dave> !fund show 1"])
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("EVENT failed 1") == 1
    assert "goal missed, refunded" in second.stdout
    refunds = _query(tmp_path, "SELECT ref FROM tips_entries WHERE reason = 'refund'")
    assert len(refunds) == len(set(refunds)) == 2
    assert _balance(tmp_path, _member(tmp_path, "bob")) == 100
    assert _balance(tmp_path, _member(tmp_path, "carol")) == 100
    assert _balance(tmp_path, "escrow:fund:1") == 0
    check = _db_check(config)
    assert check.returncode == 0, check.stdout + check.stderr
