"""Kill a real bot process after an idea's status changed (or a campaign closed) and before
the notice went out: the next start sends it, once."""

from __future__ import annotations

from pathlib import Path

from bot.testing.announce_crash import run, write_config

EXTRA = "[plugins.ideas]\nauto_poll = false\n"
NOTICE = "Your idea #1 “Solar oven” is now accepted."


def _lines(out: str, text: str) -> list[str]:
    return [line for line in out.splitlines() if text in line and not line.startswith("REPLY")]


def test_status_notice_sent_at_next_start_after_kill(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, database_url, EXTRA)
    first = run(config, ["alice> !idea submit Solar oven", "mod> !idea accept 1"],
                crash_key="ideas:status:", builtins=("ideas",))
    assert first.returncode == 9, first.stdout + first.stderr
    assert "KILLED before ideas:status:open>accepted:1:" in first.stdout and NOTICE not in first.stdout

    second = run(config, [], builtins=("ideas",))
    assert second.returncode == 0, second.stdout + second.stderr
    assert _lines(second.stdout, NOTICE) == [f"DM alice {NOTICE}"], second.stdout

    third = run(config, [], builtins=("ideas",))
    assert third.returncode == 0 and NOTICE not in third.stdout, third.stdout


def test_campaign_result_posted_at_next_start_after_kill(tmp_path: Path,
                                                         database_url: str) -> None:
    config = write_config(tmp_path, database_url, EXTRA)
    first = run(config, ["mod> !campaign open Summer Ideas for the fair --until 1h"],
                builtins=("ideas",))
    assert first.returncode == 0, first.stdout + first.stderr
    later = 2 * 3600.0
    second = run(config, [], crash_key="ideas:campaign:", clock=later, builtins=("ideas",))
    assert second.returncode == 9, second.stdout + second.stderr
    closed = "Campaign Summer is closed; no idea of it was accepted."
    assert closed not in second.stdout

    third = run(config, [], clock=later, builtins=("ideas",))
    assert third.returncode == 0, third.stdout + third.stderr
    assert _lines(third.stdout, closed) == [f"MSG {closed}"], third.stdout
    fourth = run(config, [], clock=later, builtins=("ideas",))
    assert fourth.returncode == 0 and closed not in fourth.stdout, fourth.stdout
