"""Kill a real bot process after a digest period was claimed and before the digest was posted:
the next start posts it, once (it used to be lost)."""

from __future__ import annotations

from pathlib import Path

from bot.testing.announce_crash import run, write_config

EXTRA = ('[plugins.ideas]\nauto_poll = false\n'
         '[plugins.pulse]\ndigest = "daily"\ndigest_room = "console:console"\n')
DIGEST = "MSG 📰 Daily digest of console"
DAY = 86400.0


def test_digest_posted_at_next_start_after_kill(tmp_path: Path, database_url: str) -> None:
    config = write_config(tmp_path, database_url, EXTRA)
    first = run(config, ["alice> !idea submit Solar oven"], builtins=("ideas", "pulse"))
    assert first.returncode == 0, first.stdout + first.stderr

    second = run(config, [], crash_key="pulse:digest:", clock=DAY, builtins=("ideas", "pulse"))
    assert second.returncode == 9, second.stdout + second.stderr
    assert "KILLED before pulse:digest:console:daily:" in second.stdout

    third = run(config, [], clock=DAY, builtins=("ideas", "pulse"))
    assert third.returncode == 0, third.stdout + third.stderr
    digests = [line for line in third.stdout.splitlines() if line.startswith(DIGEST)]
    assert len(digests) == 1 and "Solar oven" in digests[0], third.stdout

    fourth = run(config, [], clock=DAY, builtins=("ideas", "pulse"))
    assert fourth.returncode == 0 and DIGEST not in fourth.stdout, fourth.stdout
