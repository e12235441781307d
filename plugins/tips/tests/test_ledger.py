"""The ledger itself: invariants `ruche db check` verifies, append-only entries, database
constraints, linked accounts, exports."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import hookimpl
from bot.adapters.local import LocalAdapter
from bot.storage import IntegrityError, StorageError
from plugins.tips import integrity, ledger
from plugins.tips.ledger import Movement
from plugins.tips.tests.conftest import COMMUNITY, Clock, Kit, MakeBot

ON_PG = os.environ.get("RUCHE_TEST_BACKEND") == "postgresql"


@dataclass
class OtherSection:
    enabled: bool = True


class OtherPlatform:
    """A second in-process platform joined to the console's community, to test `!link`."""

    @hookimpl
    def register_config(self) -> dict[str, type]:
        return {"platforms.other": OtherSection}


async def test_check_reports_a_balance_that_disagrees_with_its_entries(kit: Kit) -> None:
    await kit.fund("alice", 10)
    await kit.check()
    await kit.bot.db.execute("UPDATE tips_accounts SET balance = 12 WHERE account = 'treasury'")
    problems = await integrity.check(kit.svc)
    assert "tips: community console: account treasury holds 12 but its entries add up to 0" \
        in problems
    assert any("balances sum to 22 but minted − burned = 10 − 0 = 10" in p for p in problems)


async def test_check_reports_an_account_without_entries(kit: Kit) -> None:
    await kit.bot.db.execute(
        "INSERT INTO tips_accounts (community, account, kind, balance) "
        "VALUES ('console', 'escrow:x', 'escrow', 5)")
    assert "account escrow:x holds 5 but its entries add up to 0" in " ".join(
        await integrity.check(kit.svc))


async def test_entries_are_append_only(kit: Kit) -> None:
    await kit.fund("alice", 10)
    for sql in ("UPDATE tips_entries SET amount = 1", "DELETE FROM tips_entries"):
        with pytest.raises(StorageError, match="append-only"):
            await kit.bot.db.execute(sql)
    assert len(await kit.entries()) == 2


async def test_the_database_refuses_negative_balances_and_duplicate_refs(kit: Kit) -> None:
    await kit.fund("alice", 10)
    with pytest.raises(IntegrityError):
        await kit.bot.db.execute("UPDATE tips_accounts SET balance = -1 WHERE kind = 'member'")
    row = (await kit.entries("test_fund"))[0]
    with pytest.raises(IntegrityError):
        await kit.bot.db.execute(
            "INSERT INTO tips_entries (community, src, dst, amount, reason, ref, at) "
            "VALUES ($1, 'treasury', 'member:1', 1, $2, $3, 0)", COMMUNITY, row["reason"],
            row["ref"])
    for bad in ("amount = 0", "src = dst"):
        with pytest.raises(IntegrityError):
            await kit.bot.db.execute(
                "INSERT INTO tips_entries (community, src, dst, amount, reason, at) "
                f"SELECT community, src, {'dst' if bad == 'amount = 0' else 'src'}, "
                f"{'0' if bad == 'amount = 0' else '1'}, 'x', 0 FROM tips_entries LIMIT 1")
    await kit.check()


async def test_movements_roll_back_whole(kit: Kit) -> None:
    """An op that fails after its movement leaves no trace: one transaction per movement."""
    await kit.fund("alice", 10)
    alice = (await kit.member("alice")).id
    before = await kit.snapshot()

    async def op(tx):  # type: ignore[no-untyped-def]
        await ledger.apply(tx, COMMUNITY, Movement(f"member:{alice}", "member:424242", 4,
                                                   "tip"), 1.0)
        raise RuntimeError("boom after the movement")

    with pytest.raises(RuntimeError):
        await kit.bot.db.atomic(op)
    with pytest.raises(ledger.Insufficient):
        await kit.bot.db.atomic(lambda tx: ledger.apply(
            tx, COMMUNITY, Movement(f"member:{alice}", "member:424242", 11, "tip"), 1.0))
    assert await kit.snapshot() == before


async def test_linked_accounts_share_one_wallet(make_bot: MakeBot) -> None:
    """`!link` on a second platform: the old member's balance moves, exactly once."""
    tb = await make_bot(plugins={"other": OtherPlatform()},
                        raw={"communities": {"main": {"rooms": ["console:console",
                                                                "other:room"]}}})
    tb.bot.clock = clock = Clock()
    kit = Kit(tb, clock, "main")
    await kit.fund("alice", 30)
    other = LocalAdapter("other", "room")
    kit.bot.adapters["other"] = other
    await other.start(kit.bot)
    await other.say("alice2", "hello")
    community = kit.bot.communities.get("main")
    alice2 = await kit.bot.identity.find(community, "other", "alice2")
    await kit.svc.treasury.award("main", alice2.id, 12, "test_fund", "other:1")
    code = (await kit.say("alice", "!link")).split("code is ")[1].split(".")[0]
    assert "Linked" in "\n".join(m.text for m in await other.say("alice2", f"!link {code}"))
    assert await kit.balance("alice") == 42
    assert (await kit.svc.holdings("main", alice2.id)).balance == 0
    before = await kit.snapshot()
    await kit.bot.hooks.notify("on_member_linked", bot=kit.bot, community=community,
                               old_member_id=alice2.id, member_id=(await kit.member("alice")).id)
    assert await kit.snapshot() == before  # replayed: nothing left to move
    out = "\n".join(m.text for m in await other.say("alice2", "!balance"))
    assert out == "alice2 has 42 BZZ."
    assert "accounts linked" in await kit.say("alice", "!history 1")
    await kit.check()


async def test_export_data_hook(kit: Kit) -> None:
    await kit.fund("alice", 10)
    community = kit.bot.communities.get(COMMUNITY)
    parts = await kit.bot.hooks.collect("export_data", bot=kit.bot, community=community,
                                        fmt="json")
    tables = {name: rows for part in parts for name, rows in part.items()}
    assert [r["reason"] for r in tables["tips_ledger"]] == ["mint", "test_fund"]
    assert {r["account"]: r["balance"] for r in tables["tips_accounts"]} == {
        "treasury": 0, f"member:{(await kit.member('alice')).id}": 10}


def ruche(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("RUCHE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env=env)


@pytest.mark.skipif(ON_PG, reason="tampers with the SQLite file directly")
async def test_ruche_db_check_and_export(make_bot: MakeBot, tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    tb = await make_bot(storage_url=f"sqlite:///{db}")
    tb.bot.clock = clock = Clock()
    kit = Kit(tb, clock)
    await kit.fund("alice", 7)
    await tb.stop()
    (tmp_path / "ruche.toml").write_text(
        f'[storage]\nurl = "sqlite:///{db}"\n[platforms.console]\nenabled = false\n')
    ok = ruche(tmp_path, "db", "--config", "ruche.toml", "check")
    assert ok.returncode == 0, ok.stderr
    exported = ruche(tmp_path, "export", "--config", "ruche.toml", "--community", "console",
                     "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert [r["units"] for r in json.loads(exported.stdout)["tips_ledger"]] == [7, 7]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE tips_accounts SET balance = balance + 1 WHERE kind = 'member'")
    broken = ruche(tmp_path, "db", "--config", "ruche.toml", "check")
    assert broken.returncode == 1
    assert "holds 8 but its entries add up to 7" in broken.stderr.replace("\n", " ")
