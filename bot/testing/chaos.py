"""Chaos harness: a real `ruche run` process on the console, SIGKILLed at seeded moments.

Two scenarios, each driven from outside through stdin/stdout like an operator's script:

* `TipChaos` streams `!tip` commands between members, reads which ones the bot acknowledged
  (its `X tipped Y N BZZ.` reply, printed only after the ledger commit), kills the process at
  seeded random moments (after k acknowledgements or t seconds after the spawn, startup
  included), restarts it and goes on. Each tip carries a unique memo, so the ledger says how
  many times it was applied. After a kill the harness asks the database which unacknowledged
  tips did land (an honest client that got no answer looks before re-sending, since the
  console has no event ids across processes) and re-sends only the others. The oracle: every
  acknowledged tip in the ledger exactly once, no tip twice, every tip applied in the end with
  its sender, receiver and amount, balances as computed by the harness, `ruche db check` 0.
* `SweepChaos` sets up overdue polls of every method and overdue funding rounds (one that met
  its goal, one that did not), copies the database, settles one copy in a run never killed
  (the reference) and the other through seeded kills during the startup sweep, then compares
  the exports (balances, poll and round states, ledger) and the chat: every "Results of poll
  #N" and funding outcome posted at least once, and nothing the reference did not post.

`benchmarks/chaos.py` runs both with many kills and prints a summary table; the tests in
`tests/faults/test_chaos.py` run a few kills on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The console community's id (`ruche communities`).
COMMUNITY = "console"
#: Each member's starting balance, granted by the operator before the chaos starts.
GRANT = 1_000_000
#: A message's first line on the console: `ruche> [#N] text`.
MESSAGE = re.compile(r"^ruche> \[#\d+\]( \(edited\))?( \(to [^)]*\))? ?(.*)$")
TIP_ACK = re.compile(r"^(\S+) tipped (\S+) (\d+) BZZ\.$")


class ChaosError(AssertionError):
    """The harness itself could not go on: a bot that died on its own, a stuck process."""


# -- databases ---------------------------------------------------------------------------------


def _sqlite_path(url: str) -> str:
    return url[len("sqlite:///"):].split("?")[0]


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one read-only statement on SQLite or PostgreSQL (no parameters: harness SQL)."""
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    async def fetch() -> list[tuple[Any, ...]]:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def wait_until_quiet(url: str, timeout: float = 30.0) -> None:
    """PostgreSQL: wait until the killed bot's sessions are gone, so a COMMIT it had already
    sent is either applied or dropped before the harness reads; SQLite needs nothing."""
    if url.startswith("sqlite:"):
        return
    deadline = time.monotonic() + timeout
    sql = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
           "AND pid <> pg_backend_pid()")
    while query(url, sql)[0][0]:
        if time.monotonic() > deadline:
            raise ChaosError(f"the killed bot's PostgreSQL sessions are still there after "
                             f"{timeout:.0f}s")
        time.sleep(0.02)


def _pg_parts(url: str) -> tuple[str, str, str]:
    base, _sep, rest = url.partition("?")
    head, _slash, name = base.rpartition("/")
    return head, name, f"?{rest}" if rest else ""


def clone_database(url: str, name: str) -> str:
    """A copy of the (idle) database at `url`; returns the copy's url. `name` is a file stem
    (SQLite, beside the original) or a database name (PostgreSQL, from a template)."""
    if url.startswith("sqlite:"):
        src = Path(_sqlite_path(url))
        dst = src.with_name(f"{name}.sqlite3")
        source, target = sqlite3.connect(src), sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return f"sqlite:///{dst}"
    head, old, tail = _pg_parts(url)

    async def create() -> None:
        import asyncpg

        conn = await asyncpg.connect(f"{head}/postgres{tail}")
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{old}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return f"{head}/{name}{tail}"


# -- the bot process ---------------------------------------------------------------------------


def write_config(folder: Path, url: str, extra: str = "") -> Path:
    """A console config on `url`: no allowance nor activity reward (the oracle counts every
    token), grants up to `GRANT`, then `extra` TOML."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ruche.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n[bot]\ndata_dir = "{folder / "data"}"\n'
        '[logging]\nlevel = "INFO"\n'
        f"[plugins.tips]\nallowance_amount = 0\nactivity_reward = 0\nmax_grant = {GRANT}\n"
        + extra, encoding="utf-8")
    return path


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RUCHE_CONFIG", None)
    return env


_EOF = object()


class BotProcess:
    """`python -m bot run --config X` with stdin piped; stdout lines read by a thread."""

    def __init__(self, config: Path, log: Path) -> None:
        self.started = time.monotonic()
        with log.open("a", encoding="utf-8") as err:
            err.write(f"--- spawn at {time.time():.3f}\n")
            err.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                encoding="utf-8", cwd=config.parent, env=_env(), bufsize=1)
        self.log = log
        self.output: list[tuple[float, str]] = []  # (seconds after spawn, line)
        self._lines: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="chaos-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.put(raw.rstrip("\n"))
        self._lines.put(_EOF)

    def send(self, lines: Iterable[str]) -> bool:
        """Write lines to the bot's stdin; False once the process is gone."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("".join(f"{line}\n" for line in lines))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def next_line(self, timeout: float) -> str | None:
        """The next stdout line; None on timeout; ChaosError if the bot exited on its own."""
        try:
            item = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if item is _EOF:
            self._lines.put(_EOF)
            raise ChaosError(f"the bot exited by itself (code {self.proc.wait()}): "
                             f"{self.log_tail()}")
        line = str(item)
        self.output.append((time.monotonic() - self.started, line))
        return line

    def _drain(self) -> None:
        self._reader.join(timeout=30)
        while True:
            try:
                item = self._lines.get_nowait()
            except queue.Empty:
                return
            if item is not _EOF:
                self.output.append((time.monotonic() - self.started, str(item)))

    def kill(self) -> None:
        """SIGKILL: no cleanup at all; what it printed before dying is kept."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._drain()

    def finish(self, timeout: float = 60.0) -> int:
        """End of input: the bot shuts down cleanly; returns its exit code."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        code = self.proc.wait(timeout=timeout)
        self._drain()
        return code

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def ruche(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Another `ruche` subcommand on the same config (the bot must be stopped or idle)."""
    return subprocess.run([sys.executable, "-m", "bot", *args, "--config", str(config)],
                          capture_output=True, text=True, encoding="utf-8", cwd=config.parent,
                          env=_env(), timeout=120)


def export(config: Path) -> dict[str, list[dict[str, Any]]]:
    """`ruche export --community console --format json`, parsed."""
    done = ruche(config, "export", "--community", COMMUNITY, "--format", "json")
    if done.returncode != 0:
        raise ChaosError(f"ruche export failed ({done.returncode}): {done.stderr[-2000:]}")
    tables: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return tables


def db_check(config: Path) -> tuple[int, str]:
    """`ruche db check`: exit code and what it printed."""
    done = ruche(config, "db", "check")
    return done.returncode, (done.stdout + done.stderr).strip()


def messages(lines: Iterable[str]) -> list[str]:
    """Bot messages (not edits) as text blocks, the `ruche> [#N]` prefixes removed."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        match = MESSAGE.match(line)
        if match:
            current = None if match.group(1) else [match.group(3)]
            if current is not None:
                blocks.append(current)
        elif current is not None and line.startswith("ruche> "):
            current.append(line[len("ruche> "):])
        elif current is not None and line == "ruche>":
            current.append("")
        else:
            current = None
    return ["\n".join(block) for block in blocks]


# -- tips under fire ---------------------------------------------------------------------------


@dataclass
class Tip:
    """One `!tip` with a memo no other tip has: the ledger row says if and how often it landed."""

    index: int
    sender: str
    receiver: str
    amount: int
    acked: bool = False
    landed_unacked: bool = False
    resent: int = 0
    refused: str = ""

    @property
    def memo(self) -> str:
        return f"chaos-{self.index:06d}"

    @property
    def line(self) -> str:
        return f"{self.sender}> !tip @{self.receiver} {self.amount} {self.memo}"


@dataclass
class TipReport:
    """What a tips chaos run saw; `problems` is empty when every promise held."""

    backend: str
    seed: int
    kills: int = 0
    kills_at_startup: int = 0
    tips: int = 0
    lines_sent: int = 0
    acknowledged: int = 0
    landed_unacknowledged: int = 0
    resent: int = 0
    lost: int = 0
    doubled: int = 0
    missing: int = 0
    seconds: float = 0.0
    db_check: int = -1
    problems: list[str] = field(default_factory=list)

    def row(self) -> list[object]:
        return [self.backend, self.seed, self.kills, self.kills_at_startup, self.tips,
                self.lines_sent, self.acknowledged, self.landed_unacknowledged, self.resent,
                self.lost, self.doubled, self.missing, self.db_check, f"{self.seconds:.1f}"]

    HEADERS = ("backend", "seed", "kills", "at startup", "tips", "lines sent", "acknowledged",
               "landed unacked", "re-sent", "lost", "doubled", "missing", "db check", "s")


@dataclass(frozen=True)
class Kill:
    """When to kill: after `acks` more acknowledgements, or `after` seconds from the spawn
    (if set) when that comes first: the tips never run out before the kills do."""

    acks: int = 0
    after: float = 0.0


class TipChaos:
    """Streams tips into a real bot and kills it `kills` times; `run()` returns the report."""

    def __init__(self, folder: Path, url: str, *, seed: int, kills: int, tips: int,
                 members: Sequence[str] = ("alice", "bob", "carol", "dave", "erin"),
                 window: int = 16, startup_window: float = 1.5,
                 timeout: float = 120.0) -> None:
        self.folder, self.url, self.seed = folder, url, seed
        self.members = list(members)
        self.window = window
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.config = write_config(folder, url)
        self.log = folder / "bot.log"
        self.tips = [self._tip(i) for i in range(tips)]
        per_run = max(1, tips // (kills + 1))
        self.plan = [Kill(acks=self.rng.randint(1, per_run),
                          after=self.rng.uniform(0.0, startup_window)
                          if self.rng.random() < 0.3 else 0.0)
                     for _ in range(kills)]
        self.report = TipReport("sqlite" if url.startswith("sqlite:") else "postgresql", seed,
                                tips=tips)

    def _tip(self, index: int) -> Tip:
        sender, receiver = self.rng.sample(self.members, 2)
        return Tip(index, sender, receiver, self.rng.randint(1, 9))

    def run(self) -> TipReport:
        """Setup, the planned kills, a last run to the end of input, then the oracle."""
        started = time.monotonic()
        self.deadline = started + self.timeout
        proc: BotProcess | None = self._setup()
        todo: deque[Tip] = deque(self.tips)
        for kill in [*self.plan, None]:
            if proc is None:
                proc = BotProcess(self.config, self.log)
            inflight = self._stream(proc, todo, kill)
            if kill is None:
                code = proc.finish()
                if code != 0:
                    self.report.problems.append(f"the last run exited with {code}: "
                                                f"{proc.log_tail()}")
                break
            proc.kill()
            self.report.kills += 1
            if not any(MESSAGE.match(line) for _t, line in proc.output):
                self.report.kills_at_startup += 1
            self._after_kill(inflight, todo)
            proc = None
        self._oracle()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _setup(self) -> BotProcess:
        """Every member speaks once (so they can be mentioned) and gets `GRANT` tokens."""
        proc = BotProcess(self.config, self.log)
        proc.send([f"{m}> hello" for m in self.members]
                  + [f"!grant @{m} {GRANT} chaos seed" for m in self.members])
        granted = 0
        while granted < len(self.members):
            line = proc.next_line(self.deadline - time.monotonic())
            if line is None:
                raise ChaosError(f"no grant acknowledged before the deadline: {proc.log_tail()}")
            if " granted " in line:
                granted += 1
            elif MESSAGE.match(line):
                raise ChaosError(f"a grant was refused: {line}")
        return proc

    def _stream(self, proc: BotProcess, todo: deque[Tip], kill: Kill | None) -> deque[Tip]:
        """Keep `window` tips in flight until the kill moment (or, without a kill, until every
        tip is answered); returns the tips sent and not answered."""
        inflight: deque[Tip] = deque()
        acks = 0
        kill_at = proc.started + kill.after if kill is not None and kill.after else None
        while True:
            while len(inflight) < self.window and todo:
                tip = todo.popleft()
                inflight.append(tip)
                if not proc.send([tip.line]):
                    break
                self.report.lines_sent += 1
            now = time.monotonic()
            if kill is not None:
                if kill.acks and (acks >= kill.acks or not (inflight or todo)):
                    return inflight
                if kill_at is not None and now >= kill_at:
                    return inflight
            elif not inflight and not todo:
                return inflight
            if now > self.deadline:
                raise ChaosError(f"tips stuck: {len(inflight)} in flight, {len(todo)} to send; "
                                 f"{proc.log_tail()}")
            wait = (kill_at if kill_at is not None else self.deadline) - now
            line = proc.next_line(min(wait, self.deadline - now))
            if line is None:
                continue
            match = MESSAGE.match(line)
            if match is None or match.group(1):
                continue
            if not inflight:
                self.report.problems.append(f"a message nobody asked for: {line}")
                continue
            tip = inflight.popleft()
            ack = TIP_ACK.match(match.group(3))
            if ack and ack.groups() == (tip.sender, tip.receiver, str(tip.amount)):
                tip.acked = True
                acks += 1
                self.report.acknowledged += 1
            else:
                tip.refused = match.group(3)
                self.report.problems.append(f"{tip.line!r} answered {match.group(3)!r}")

    def _after_kill(self, inflight: deque[Tip], todo: deque[Tip]) -> None:
        """Look up which unanswered tips landed; put the others back at the front."""
        if not inflight:
            return
        wait_until_quiet(self.url)
        memos = ", ".join(f"'{t.memo}'" for t in inflight)
        landed = {row[0] for row in query(
            self.url, f"SELECT memo FROM tips_entries WHERE reason = 'tip' AND memo IN ({memos})")}
        again = []
        for tip in inflight:
            if tip.memo in landed:
                tip.landed_unacked = True
                self.report.landed_unacknowledged += 1
            else:
                tip.resent += 1
                self.report.resent += 1
                again.append(tip)
        todo.extendleft(reversed(again))

    def _oracle(self) -> None:
        """The ledger against what the bot acknowledged and what the harness sent."""
        with ThreadPoolExecutor(2) as pool:
            checked = pool.submit(db_check, self.config)
            tables = export(self.config)
            rep_check, said = checked.result()
        rows = [r for r in tables["tips_ledger"] if r["reason"] == "tip"]
        count = Counter(r["memo"] for r in rows)
        by_memo = {r["memo"]: r for r in rows}
        rep = self.report
        known = {t.memo for t in self.tips}
        strangers = sorted(set(count) - known)
        if strangers:
            rep.problems.append(f"tips nobody sent: {strangers[:5]}")
        for tip in self.tips:
            n = count[tip.memo]
            if n == 0 and tip.acked:
                rep.lost += 1
                rep.problems.append(f"acknowledged, not in the ledger: {tip.line!r}")
            if n == 0:
                rep.missing += 1
            if n > 1:
                rep.doubled += 1
                rep.problems.append(f"applied {n} times: {tip.line!r}")
            row = by_memo.get(tip.memo)
            if row is not None and (row["from_name"], row["to_name"], row["units"]) != (
                    tip.sender, tip.receiver, tip.amount):
                rep.problems.append(f"{tip.line!r} landed as {row['from_name']} → "
                                    f"{row['to_name']} {row['units']}")
        if rep.missing and not rep.lost:
            rep.problems.append(f"{rep.missing} tips never applied")
        expected = dict.fromkeys(self.members, GRANT)
        for tip in self.tips:  # each tip applied once: what the members were promised
            expected[tip.sender] -= tip.amount
            expected[tip.receiver] += tip.amount
        names = {r["to"]: r["to_name"] for r in tables["tips_ledger"]}
        held = {names.get(a["account"], a["account"]): int(a["balance"])
                for a in tables["tips_accounts"] if a["kind"] == "member"}
        if held != expected:
            rep.problems.append(f"balances {held} but the tips sent give {expected}")
        if sum(held.values()) != GRANT * len(self.members):
            rep.problems.append(f"balances sum to {sum(held.values())}, "
                                f"granted {GRANT * len(self.members)}")
        rep.db_check = rep_check
        if rep.db_check != 0:
            rep.problems.append(f"ruche db check exited {rep.db_check}: {said}")


# -- the startup sweep under fire --------------------------------------------------------------

#: Polls of every method and funding rounds whose deadlines pass while the bot is down.
SWEEP_CONFIG = """[plugins.votes]
min_duration = "1s"
sweep_interval = "1h"
quadratic_currency = "tokens"
[plugins.funding]
min_duration = "1s"
sweep_interval = "1h"
"""


def sweep_setup(duration: str) -> list[str]:
    """Console lines: five polls (one per method) with ballots, two accepted ideas with a
    funding round each, one pledged past its goal and one far short of it."""
    d = f"--duration {duration}"
    return [
        "alice> hello", "bob> hello", "carol> hello",
        "!grant @alice 1000 seed", "!grant @bob 1000 seed", "!grant @carol 1000 seed",
        f'!poll new "Lunch?" "Pizza" "Soup" "Salad" --method single {d}',
        f'!poll new "Colours?" "Red" "Green" "Blue" --method approval {d}',
        f'!poll new "Order?" "X" "Y" "Z" --method ranked {d}',
        f'!poll new "Rate?" "One" "Two" --method score {d}',
        f'!poll new "Spend?" "Park" "Road" --method quadratic {d}',
        "alice> !vote 1 A", "bob> !vote 1 B", "carol> !vote 1 A",
        "alice> !vote 2 A B", "bob> !vote 2 B",
        "alice> !vote 3 C>A>B", "bob> !vote 3 A>B>C", "carol> !vote 3 B>C>A",
        "alice> !vote 4 A=5 B=2", "bob> !vote 4 A=1 B=4",
        "alice> !vote 5 A=3 B=1", "bob> !vote 5 B=2",
        "alice> !idea submit Community garden", "alice> !idea submit Bike repair shop",
        "!idea accept 1", "!idea accept 2",
        f"alice> !fund open 1 100 --until {duration}",
        f"alice> !fund open 2 1000 --until {duration}",
        "bob> !pledge 1 60", "carol> !pledge 1 50", "bob> !pledge 2 20",
    ]


#: What the setup must have answered, as (text in a message, how many times).
SETUP_REPLIES = (("granted", 3), ("📊 Poll #", 5), ("Your ballot on poll", 12),
                 ("is now accepted;", 2), ("Funding round open", 2), ("You pledged", 3))
#: Anything still to do: an open poll or round, an event not emitted, an unsent announcement.
UNSETTLED = ("SELECT (SELECT count(*) FROM votes_polls WHERE status = 'open' OR notified = 0)"
             " + (SELECT count(*) FROM funding_rounds WHERE state IN ('open', 'settling')"
             " OR notified = 0)"
             " + (SELECT count(*) FROM core_announcements WHERE sent_at IS NULL)")
#: How far the sweep got: polls closed and notified, rounds settled and notified,
#: announcements sent and recorded.
PROGRESS = ("SELECT (SELECT count(*) FROM votes_polls WHERE status <> 'open'),"
            " (SELECT count(*) FROM votes_polls WHERE notified <> 0),"
            " (SELECT count(*) FROM funding_rounds WHERE state <> 'open'),"
            " (SELECT count(*) FROM funding_rounds WHERE notified <> 0),"
            " (SELECT count(*) FROM core_announcements WHERE sent_at IS NOT NULL),"
            " (SELECT count(*) FROM core_announcements)")
#: Export columns that hold times (or ids a rolled-back insert may consume on PostgreSQL).
VOLATILE = re.compile(r"(_at|^time|^deadline|^closes_at)$")


def outcome(text: str) -> bool:
    """Is this message a poll's results or a funding round's outcome?"""
    first = text.split("\n", 1)[0]
    return first.startswith("Results of poll #") or bool(
        re.match(r"^Idea #\d+ “.*” (is funded:|missed its goal:)", first))


def comparable(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Every exported table without its time columns, rows sorted: what must not differ."""
    out: dict[str, list[str]] = {}
    for name, rows in tables.items():
        keep = [{k: v for k, v in row.items() if not VOLATILE.search(k)
                 and not (name == "tips_ledger" and k == "id")} for row in rows]
        out[name] = sorted(json.dumps(r, sort_keys=True, default=str) for r in keep)
    return out


@dataclass
class SweepReport:
    """What a startup-sweep chaos run saw; `problems` is empty when every promise held."""

    backend: str
    seed: int
    kills: int = 0
    interrupted: int = 0  # the sweep had started and not finished
    before_sweep: int = 0  # nothing had changed yet
    settled: int = 0  # nothing was left to do
    outcomes_expected: int = 0
    outcomes_posted: int = 0
    outcomes_repeated: int = 0
    outcomes_missing: int = 0
    seconds: float = 0.0
    db_check: int = 0  # the worst exit code of `ruche db check` on the copies
    problems: list[str] = field(default_factory=list)

    HEADERS = ("backend", "seed", "kills", "mid-sweep", "before it", "after it",
               "outcomes expected", "posted", "posted again", "missing", "db check", "s")

    def row(self) -> list[object]:
        return [self.backend, self.seed, self.kills, self.interrupted, self.before_sweep,
                self.settled, self.outcomes_expected,
                self.outcomes_posted, self.outcomes_repeated, self.outcomes_missing,
                self.db_check, f"{self.seconds:.1f}"]


class SweepChaos:
    """Overdue polls and rounds; a reference run never killed, and `copies` copies of the same
    database each settled through up to `kills` kills (fewer once nothing is left to do)."""

    def __init__(self, folder: Path, url: str, *, seed: int, kills: int, copies: int = 1,
                 duration: float = 3.0, timeout: float = 120.0) -> None:
        self.folder, self.url, self.seed = folder, url, seed
        self.kills, self.copies = kills, copies
        self.duration = duration
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.log = folder / "bot.log"
        self.report = SweepReport("sqlite" if url.startswith("sqlite:") else "postgresql", seed)

    def _config(self, url: str, name: str) -> Path:
        return write_config(self.folder / name, url, SWEEP_CONFIG)

    def run(self) -> SweepReport:
        """Set up, wait for the deadlines, then the reference and the chaos, and compare."""
        started = time.monotonic()
        self.deadline = started + self.timeout
        self._setup(self._config(self.url, "setup"))
        tag = f"{self.seed}_{os.getpid()}"
        urls = [clone_database(self.url, f"ref_{tag}")]
        urls += [clone_database(self.url, f"chaos_{tag}_{c}") for c in range(self.copies)]
        ref_config = self._config(urls[0], "reference")
        ref_out, ref_times = self._reference(ref_config, urls[0])
        with ThreadPoolExecutor(2) as pool:
            ref_export = pool.submit(export, ref_config)
            code, said = db_check(ref_config)
            ref_tables = comparable(ref_export.result())
        if code != 0:
            self.report.problems.append(f"reference: ruche db check exited {code}: {said}")
        for c, url in enumerate(urls[1:]):
            config = self._config(url, f"chaos{c}")
            out = self._chaos(config, url, ref_times)
            self._compare(ref_tables, config, ref_out, out)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _setup(self, config: Path) -> None:
        """Create the polls and rounds, stop, and wait until every deadline has passed."""
        proc = BotProcess(config, self.log)
        proc.send(sweep_setup(f"{self.duration:.0f}s"))
        code = proc.finish(timeout=max(1.0, self.deadline - time.monotonic()))
        said = messages(line for _t, line in proc.output)
        if code != 0:
            raise ChaosError(f"setup exited {code}: {proc.log_tail()}")
        for needle, times in SETUP_REPLIES:
            if sum(needle in m for m in said) != times:
                raise ChaosError(f"setup: expected {times}× {needle!r} in:\n"
                                 + "\n".join(said))
        due = query(self.url, "SELECT max(closes_at) FROM votes_polls")[0][0]
        due = max(float(due), float(query(self.url,
                                          "SELECT max(deadline) FROM funding_rounds")[0][0]))
        if self.deadline - time.monotonic() < due - time.time():
            raise ChaosError("the deadlines fall after the harness's own deadline")
        while time.time() <= due + 0.05:  # the overdue state this scenario is about
            time.sleep(min(0.1, max(0.0, due + 0.06 - time.time())))

    def _settle(self, proc: BotProcess, url: str) -> None:
        """Wait until nothing is left to do, reading the bot's output meanwhile."""
        while query(url, UNSETTLED)[0][0]:
            if time.monotonic() > self.deadline:
                raise ChaosError(f"never settled: {proc.log_tail()}")
            proc.next_line(0.05)
        while proc.next_line(0.0) is not None:
            pass

    def _reference(self, config: Path, url: str) -> tuple[list[str], list[float]]:
        """A run never killed; returns its output and when each message appeared."""
        proc = BotProcess(config, self.log)
        self._settle(proc, url)
        code = proc.finish()
        if code != 0:
            raise ChaosError(f"reference run exited {code}: {proc.log_tail()}")
        times = [t for t, line in proc.output if MESSAGE.match(line)]
        if not times:
            raise ChaosError("the reference run posted nothing")
        return [line for _t, line in proc.output], times

    def _chaos(self, config: Path, url: str, ref_times: list[float]) -> list[str]:
        """Kill at seeded moments of the startup sweep, then settle. Even kills come right
        after the run's k-th message (k in 1..3: more are on their way); odd kills at a time
        around the first message, from the spawn (startup time varies, so the estimate is the
        median of the first messages seen so far)."""
        output: list[str] = []
        firsts = [ref_times[0]]
        for i in range(self.kills):
            if not query(url, UNSETTLED)[0][0]:
                break
            before = query(url, PROGRESS)[0]
            proc = BotProcess(config, self.log)
            if i % 2:
                first = sorted(firsts)[len(firsts) // 2]
                self._until(proc, url, after=self.rng.uniform(first - 0.25, first + 0.1))
            else:
                self._until(proc, url, messages=self.rng.randint(1, 3))
            proc.kill()
            self.report.kills += 1
            output += [line for _t, line in proc.output]
            firsts += [t for t, line in proc.output[:1]]
            wait_until_quiet(url)
            if not query(url, UNSETTLED)[0][0]:
                self.report.settled += 1
            elif query(url, PROGRESS)[0] == before:
                self.report.before_sweep += 1
            else:
                self.report.interrupted += 1
        proc = BotProcess(config, self.log)
        self._settle(proc, url)
        code = proc.finish()
        output += [line for _t, line in proc.output]
        if code != 0:
            self.report.problems.append(f"the last run exited {code}: {proc.log_tail()}")
        return output

    def _until(self, proc: BotProcess, url: str, *, after: float = 0.0,
               messages: int = 0) -> None:
        """Read output until `after` seconds from the spawn, or the `messages`-th message (or
        nothing is left to post: an earlier run may have posted some)."""
        seen = 0
        while True:
            now = time.monotonic()
            if now > self.deadline:
                raise ChaosError(f"stuck before the kill: {proc.log_tail()}")
            if after and now >= proc.started + after:
                return
            limit = proc.started + after - now if after else 0.05
            try:
                line = proc.next_line(limit)
            except ChaosError:
                return  # it exited (cannot happen with stdin open): nothing left to kill
            if line is not None and MESSAGE.match(line):
                seen += 1
                if seen >= messages > 0:
                    return
            elif line is None and messages and not query(url, UNSETTLED)[0][0]:
                return

    def _compare(self, ref_tables: dict[str, list[str]], config: Path, ref_out: list[str],
                 chaos_out: list[str]) -> None:
        """The copy's export and chat against the reference's."""
        rep = self.report
        with ThreadPoolExecutor(2) as pool:
            exported = pool.submit(export, config)
            code, said = db_check(config)
            tables = comparable(exported.result())
        rep.db_check = max(rep.db_check, code)
        if code != 0:
            rep.problems.append(f"ruche db check exited {code}: {said}")
        for name in sorted(set(ref_tables) | set(tables)):
            a, b = ref_tables.get(name, []), tables.get(name, [])
            if a != b:
                only_ref = sorted(set(a) - set(b))[:3]
                only_chaos = sorted(set(b) - set(a))[:3]
                rep.problems.append(f"table {name} differs: reference only {only_ref}, "
                                    f"after the kills only {only_chaos}")
        expected = Counter(m for m in messages(ref_out) if outcome(m))
        posted = Counter(m for m in messages(chaos_out) if outcome(m))
        if len(expected) != 7:
            rep.problems.append(f"the reference posted {len(expected)} outcomes, not 5 poll "
                                f"results and 2 funding outcomes: {sorted(expected)}")
        rep.outcomes_expected += len(expected)
        rep.outcomes_posted += sum(1 for m in expected if posted[m])
        rep.outcomes_repeated += sum(n - 1 for n in posted.values() if n > 1)
        rep.outcomes_missing += sum(1 for m in expected if not posted[m])
        for m in expected:
            if not posted[m]:
                rep.problems.append(f"never posted after the kills: {m!r}")
        for m in posted:
            if m not in expected:
                rep.problems.append(f"posted after the kills, not by the reference: {m!r}")
