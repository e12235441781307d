"""A bot process that dies between a committed state change and its announcement.

    python -m bot.testing.announce_crash CONFIG WORKDIR "name> line" …

`CRASH_KEY=prefix` kills the process (`os._exit(9)`, no cleanup at all) when the outbox is
about to render the first announcement whose key starts with `prefix` (its Text, or through
`render_announcement`): the state change and the intent are committed, nothing was sent — the
window the outbox must survive.
`CLOCK=+seconds` starts the bot's clock that far ahead of the wall clock (deadlines, digests).
`BUILTINS=a,b` loads only these built-in plugins (with the core).
It prints `REPLY <text>` per chat line, then `MSG <text>` for every message the bot posted
in this run (private ones as `DM <user> <text>`), `EDIT <text>` for every edit, and `DONE`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

from bot import hookimpl
from bot.testing import TEST_BUILTINS, TestBot, make_test_bot


class Killer:
    """Dies as the outbox is about to render the chosen announcement; moves the clock."""

    def __init__(self, prefix: str, offset: float) -> None:
        self.prefix = prefix
        self.offset = offset

    @hookimpl(tryfirst=True)
    def startup(self, bot: Any) -> None:
        """Before the startup sweeps and deliveries run."""
        if self.offset:
            bot.clock = lambda: time.time() + self.offset
        render = bot.outbox._render

        async def render_or_die(item: Any) -> Any:
            if self.prefix and item.key.startswith(self.prefix):
                print(f"KILLED before {item.key}", flush=True)
                os._exit(9)
            return await render(item)

        bot.outbox._render = render_or_die


def _report(tb: TestBot) -> None:
    for sent in tb.chat.sent:
        line = sent.text.replace("\n", " | ")
        print(f"DM {sent.to} {line}" if sent.to else f"MSG {line}", flush=True)
        for edit in sent.edits:
            print("EDIT " + edit.replace("\n", " | "), flush=True)


async def main(raw: dict[str, Any], workdir: Path, lines: list[str]) -> None:
    offset = float(os.environ.get("CLOCK", "0") or 0)
    names = [n for n in os.environ.get("BUILTINS", "").split(",") if n]
    builtins = {n: TEST_BUILTINS[n] for n in ("core", *names)} if names else None
    tb = await make_test_bot(workdir, raw=raw, storage_url=raw["storage"]["url"],
                             builtins=builtins, moderators=("mod", "operator"),
                             plugins={"killer": Killer(os.environ.get("CRASH_KEY", ""), offset)})
    for line in lines:
        name, _sep, text = line.partition("> ")
        print("REPLY " + (await tb.chat.say(name, text)).replace("\n", " | "), flush=True)
    _report(tb)
    await tb.stop()
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(tomllib.loads(Path(sys.argv[1]).read_text(encoding="utf-8")),
                     Path(sys.argv[2]), sys.argv[3:]))


# -- for the tests that start this process --------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def write_config(folder: Path, storage_url: str, extra: str = "") -> Path:
    """A config file for the child processes: this database, the console off, `extra` TOML."""
    path = folder / "ruche.toml"
    path.write_text(f'[storage]\nurl = "{storage_url}"\n[bot]\ndata_dir = "{folder}/data"\n'
                    f'[platforms.console]\nenabled = false\n{extra}', encoding="utf-8")
    return path


def run(config: Path, lines: list[str], *, crash_key: str = "", clock: float = 0.0,
        builtins: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run this module in a child process; returns its output (exit code 9 when killed)."""
    env = {**os.environ, "CRASH_KEY": crash_key, "CLOCK": str(clock),
           "BUILTINS": ",".join(builtins)}
    work = config.parent / f"work{time.monotonic_ns()}"
    work.mkdir()
    return subprocess.run([sys.executable, "-m", "bot.testing.announce_crash", str(config),
                           str(work), *lines], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)
