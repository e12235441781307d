"""100 members tipping each other at once — the same pairs in both directions — never produce
a negative balance, a lost update or a deadlock."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.model import Member
from plugins.tips.tests.conftest import Kit, MakeKit

MEMBERS = 100
START = 5


async def crowd(kit: Kit, rounds: int, seed: int, start: int = START) -> dict[int, int]:
    """Fund everyone, then let every member tip a neighbour `rounds` times, all at once."""
    names = [f"m{i}" for i in range(MEMBERS)]
    ids = {}
    for name in names:
        ids[name] = (await kit.member(name)).id
        if start:
            await kit.fund(name, start)
    rng = random.Random(seed)
    plans = [[(names[(i + rng.choice((1, -1))) % MEMBERS], rng.randint(1, 4))
              for _ in range(rounds)] for i in range(MEMBERS)]
    adapter = kit.chat.adapter

    async def member(i: int) -> None:
        for to, amount in plans[i]:
            await adapter.say(names[i], f"!tip @{to} {amount}")

    await asyncio.wait_for(asyncio.gather(*(member(i) for i in range(MEMBERS))), timeout=120)
    replies = [m.text for m in adapter.sent if "tipped" in m.text or "BZZ" in m.text]
    assert all("tipped" in r or "Not enough" in r or "credit limit" in r for r in replies)
    return {ids[n]: i for i, n in enumerate(names)}


async def replay(kit: Kit, members: dict[int, int], start: int = START) -> None:
    """Final balances equal the entries replayed from the start: no update was lost. On
    SQLite ids follow commit order, so no intermediate state may go below the floor either
    (PostgreSQL hands ids out before commit; its CHECK and guards cover that case)."""
    in_commit_order = kit.bot.db.dialect == "sqlite"
    floor = -kit.svc.config("console").credit_limit if kit.svc.config(
        "console").mutual_credit else 0
    balances = {f"member:{m}": 0 for m in members}
    for entry in await kit.entries():
        for account, delta in ((entry["src"], -entry["amount"]), (entry["dst"], entry["amount"])):
            if account in balances:
                balances[account] += delta
                assert balances[account] >= floor or not in_commit_order, entry["id"]
    rows = await kit.bot.db.fetch("SELECT account, balance FROM tips_accounts WHERE kind = "
                                  "'member'")
    stored = {r["account"]: int(r["balance"]) for r in rows}
    assert {a: b for a, b in balances.items() if a in stored} == stored
    assert min(stored.values()) >= floor
    assert sum(stored.values()) == start * MEMBERS
    await kit.check()


@pytest.mark.parametrize("seed", [1, 2])
async def test_concurrent_tips_conserve_money(kit: Kit, seed: int) -> None:
    members = await crowd(kit, rounds=6, seed=seed)
    tips = await kit.entries("tip")
    assert 0 < len(tips) < MEMBERS * 6  # some were refused for lack of funds
    await replay(kit, members)


async def test_concurrent_tips_in_mutual_credit(make_kit: MakeKit) -> None:
    kit = await make_kit(mutual_credit=True, credit_limit=6)
    members = await crowd(kit, rounds=6, seed=3, start=0)
    await replay(kit, members, start=0)


async def test_same_pair_both_ways_through_the_service(kit: Kit) -> None:
    """The tightest race: two members emptying their wallets into each other."""
    await kit.fund("alice", 50)
    await kit.fund("bob", 50)
    alice, bob = await kit.member("alice"), await kit.member("bob")

    async def pay(a: Member, b: Member) -> Exception | None:
        try:
            await kit.svc.tip("console", a, b, 7)
        except Exception as exc:
            return exc
        return None

    outcomes = await asyncio.gather(*(pay(alice, bob) if i % 2 else pay(bob, alice)
                                      for i in range(100)))
    assert all(o is None or "Not enough" in str(o) for o in outcomes), [repr(o) for o in outcomes if o is not None and "Not enough" not in str(o)][:3]
    assert await kit.balance("alice") + await kit.balance("bob") == 100
    assert min(await kit.balance("alice"), await kit.balance("bob")) >= 0
    await kit.check()
