"""A bot process for test_crash.py: runs chat lines on a file database, and dies hard
(`os._exit(9)`, no cleanup at all) right after the ledger commits a chosen movement.

    python -m plugins.funding.tests.crash_bot CONFIG WORKDIR "NAME> line" …

`CRASH_AT=reason:n` kills the process when the n-th ledger entry with that reason is
committed (`on_ledger_entry` runs after the commit and before funding records that the
movement happened): exactly the window an outbox must survive. It prints `REPLY <text>` for
each line, `EVENT <name> <round id>` for funding events, and `DONE` at the end.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from bot import hookimpl
from bot.testing import make_test_bot


class Killer:
    """Dies after the chosen committed ledger entry; reports funding events on stdout."""

    def __init__(self, spec: str) -> None:
        reason, _sep, nth = spec.partition(":")
        self.reason, self.nth, self.seen = reason, int(nth or 1), 0

    @hookimpl(optionalhook=True)
    def on_ledger_entry(self, entry: Any) -> None:
        if self.reason and entry.reason == self.reason:
            self.seen += 1
            if self.seen == self.nth:
                print(f"KILLED after {entry.reason} {entry.ref}", flush=True)
                os._exit(9)

    @hookimpl(optionalhook=True)
    def on_funding_succeeded(self, round: Any) -> None:
        print(f"EVENT succeeded {round.id}", flush=True)

    @hookimpl(optionalhook=True)
    def on_funding_failed(self, round: Any) -> None:
        print(f"EVENT failed {round.id}", flush=True)


async def main(config: Path, workdir: Path, lines: list[str]) -> None:
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    tb = await make_test_bot(workdir, raw=raw, storage_url=raw["storage"]["url"],
                             moderators=("mod", "operator"),
                             plugins={"killer": Killer(os.environ.get("CRASH_AT", ""))})
    for line in lines:
        name, _sep, text = line.partition("> ")
        print("REPLY " + (await tb.chat.say(name, text)).replace("\n", " | "), flush=True)
    await tb.stop()
    print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]))
