"""`ruche db check` and `ruche export` for the ledger: the invariants, and the data as rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import iso_utc
from plugins.tips import store
from plugins.tips.money import fmt

if TYPE_CHECKING:
    from plugins.tips.service import TipsService


async def check(svc: TipsService) -> list[str]:
    """Every violated invariant, one line each: balances = entries, sum = minted − burned
    (zero in mutual credit), and no negative balance without an overdraft."""
    db = svc.bot.db
    problems: list[str] = []
    for row in await store.balance_mismatches(db):
        problems.append(
            f"tips: community {row['community']}: account {row['account']} holds "
            f"{row['balance']} but its entries add up to {row['net']}"
        )
    for row in await store.supply(db):
        community = row["community"]
        total, minted, burned = int(row["total"]), int(row["minted"]), int(row["burned"])
        if total != minted - burned:
            problems.append(
                f"tips: community {community}: balances sum to {total} but minted − burned = "
                f"{minted} − {burned} = {minted - burned}"
            )
        elif svc.config(community).mutual_credit and total != 0:
            problems.append(
                f"tips: community {community} is in mutual credit but its balances sum to "
                f"{total}, not 0 ({minted} minted before the switch, {burned} burned)"
            )
    for row in await store.negative_balances(db):
        if not row["overdraft"]:
            problems.append(
                f"tips: community {row['community']}: account {row['account']} is negative "
                f"({row['balance']}) without mutual credit"
            )
    return problems


async def ledger_rows(svc: TipsService, community: str) -> list[dict[str, Any]]:
    """Every entry of a community, oldest first, with member names and display amounts."""
    bot = svc.bot
    cfg = svc.config(community)
    entries = await store.all_entries(bot.db, community)
    ids = {int(a.split(":", 1)[1]) for e in entries for a in (e.src, e.dst)
           if a.startswith(("member:", "budget:")) and a.split(":", 1)[1].isdigit()}
    names = await bot.identity.names(sorted(ids))

    def name(account: str) -> str:
        kind, _, rest = account.partition(":")
        if kind in ("member", "budget") and rest.isdigit():
            return names.get(int(rest), "?")
        return ""

    return [
        {
            "id": e.id, "time": iso_utc(e.at), "from": e.src, "from_name": name(e.src),
            "to": e.dst, "to_name": name(e.dst), "amount": fmt(cfg, e.amount),
            "units": e.amount, "currency": cfg.currency, "reason": e.reason,
            "ref": e.ref or "", "memo": e.memo, "link": e.link,
        }
        for e in entries
    ]


async def export(svc: TipsService, community: str) -> dict[str, list[dict[str, Any]]]:
    """`ruche export` tables: the ledger and the accounts."""
    accounts = [
        {"account": r["account"], "kind": r["kind"], "member_id": r["member_id"],
         "balance": int(r["balance"]), "overdraft": bool(r["overdraft"])}
        for r in await store.all_accounts(svc.bot.db, community)
    ]
    return {"tips_ledger": await ledger_rows(svc, community), "tips_accounts": accounts}
