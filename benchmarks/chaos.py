"""Chaos: a real `ruche run` SIGKILLed hundreds of times, tips and the startup sweep.

Tips: rounds of `bot.testing.chaos.TipChaos` (each a fresh database, `--kills` kills spread
over `--tips` tips streamed between five members), until `--total-kills` kills are done.
Sweep: rounds of `SweepChaos` (overdue polls of every method and two funding rounds; one
reference run never killed, `--copies` copies of the same database each settled through up
to `--sweep-kills` kills), until `--total-sweep-kills` kills are done.
Prints one Markdown table per scenario (one row per round and a total) for docs/reliability.md,
and exits 1 if any promise broke (every problem is printed).
Usage: python benchmarks/chaos.py [--backend sqlite|postgresql] [--total-kills 100]
       [--total-sweep-kills 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._table import table
from bot.testing.chaos import SweepChaos, SweepReport, TipChaos, TipReport


def cpu_model() -> str:
    """The CPU's model name, for the record."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


@contextmanager
def databases(backend: str, folder: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh database urls: SQLite files, or databases on a pgserver server."""
    if backend == "sqlite":
        yield lambda name: f"sqlite:///{folder / name}.sqlite3"
        return
    from bot.testing.pytest_plugin import fresh_pg_database

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    base = Path(tempfile.mkdtemp(prefix="ruche-pg-"))
    server = pgserver.get_server(base / "data", cleanup_mode="delete")
    try:
        uri = str(server.get_uri())
        yield lambda _name: asyncio.run(fresh_pg_database(uri))
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


def tips(args: argparse.Namespace, new_url: Callable[[str], str], folder: Path) -> int:
    """Tip rounds until the kills are done; the table and the problems."""
    reports: list[TipReport] = []
    seed = args.seed
    while sum(r.kills for r in reports) < args.total_kills:
        where = folder / f"tips{seed}"
        report = TipChaos(where, new_url(f"tips{seed}"), seed=seed, kills=args.kills,
                          tips=args.tips, timeout=600).run()
        reports.append(report)
        print(f"tips seed {seed}: {report.kills} kills, {len(report.problems)} problems",
              file=sys.stderr, flush=True)
        seed += 1
    total = TipReport(reports[0].backend, 0, db_check=max(r.db_check for r in reports))
    for name in ("kills", "kills_at_startup", "tips", "lines_sent", "acknowledged",
                 "landed_unacknowledged", "resent", "lost", "doubled", "missing", "seconds"):
        setattr(total, name, sum(getattr(r, name) for r in reports))
    rows = [r.row() for r in reports] + [["**total**", "", *total.row()[2:]]]
    print(table(TipReport.HEADERS, rows))
    problems = [p for r in reports for p in r.problems]
    for p in problems:
        print("PROBLEM tips:", p)
    return len(problems)


def sweep(args: argparse.Namespace, new_url: Callable[[str], str], folder: Path) -> int:
    """Sweep rounds until the kills are done; the table and the problems."""
    reports: list[SweepReport] = []
    seed = args.seed
    while sum(r.kills for r in reports) < args.total_sweep_kills:
        where = folder / f"sweep{seed}"
        where.mkdir(parents=True)
        report = SweepChaos(where, new_url(f"sweep{seed}"), seed=seed, kills=args.sweep_kills,
                            copies=args.copies, timeout=900).run()
        reports.append(report)
        print(f"sweep seed {seed}: {report.kills} kills, {len(report.problems)} problems",
              file=sys.stderr, flush=True)
        seed += 1
    total = SweepReport(reports[0].backend, 0, db_check=max(r.db_check for r in reports))
    for name in ("kills", "interrupted", "before_sweep", "settled", "outcomes_expected",
                 "outcomes_posted", "outcomes_repeated", "outcomes_missing", "seconds"):
        setattr(total, name, sum(getattr(r, name) for r in reports))
    rows = [r.row() for r in reports] + [["**total**", "", *total.row()[2:]]]
    print(table(SweepReport.HEADERS, rows))
    problems = [p for r in reports for p in r.problems]
    for p in problems:
        print("PROBLEM sweep:", p)
    return len(problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total-kills", type=int, default=100, help="tips: kills in all")
    parser.add_argument("--kills", type=int, default=20, help="tips: kills per round")
    parser.add_argument("--tips", type=int, default=1000, help="tips: tips per round")
    parser.add_argument("--total-sweep-kills", type=int, default=100,
                        help="sweep: kills in all (0: skip the sweep)")
    parser.add_argument("--sweep-kills", type=int, default=4, help="sweep: most kills per copy")
    parser.add_argument("--copies", type=int, default=8, help="sweep: copies per setup")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{started} · {cpu_model()} · Python {platform.python_version()} · {args.backend}")
    folder = Path(tempfile.mkdtemp(prefix="ruche-chaos-"))
    problems = 0
    try:
        with databases(args.backend, folder) as new_url:
            if args.total_kills:
                problems += tips(args, new_url, folder)
            if args.total_sweep_kills:
                problems += sweep(args, new_url, folder)
    finally:
        if not problems:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"logs and databases kept in {folder}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
