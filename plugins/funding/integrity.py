"""`ruche db check` for funding: each round's escrow in the ledger matches its pledges."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from plugins.funding import money, store

if TYPE_CHECKING:
    from bot.api import Bot

#: Pledge states whose tokens may or may not be in the escrow right now (a movement in flight).
IN_FLIGHT = ("pending", "refunding", "moving")


async def check(bot: Bot) -> list[str]:
    """Escrow = confirmed pledges of the round, give or take the movements in flight (a crash
    leaves some until the sweep re-drives them); a settled round holds nothing."""
    rounds: dict[int, dict[str, object]] = {}
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in await store.escrow_expectations(bot.db):
        rounds[int(row["id"])] = {"community": row["community"], "state": row["state"],
                                  "outcome": row["outcome"]}
        if row["pstate"] is not None:
            sums[int(row["id"])][row["pstate"]] += int(row["total"])
    problems: list[str] = []
    for round_id, info in rounds.items():
        community = str(info["community"])
        held = await money.balance(bot, community, money.escrow_account(round_id))
        if held is None:
            return []  # no ledger to compare with (tips disabled)
        by_state = sums[round_id]
        confirmed = by_state["confirmed"]
        low = confirmed
        high = confirmed + sum(by_state[s] for s in IN_FLIGHT)
        if info["state"] == "settling" and info["outcome"] == "succeeded":
            low = 0  # the release may already have left
        if info["state"] in store.FINAL_STATES and confirmed:
            problems.append(f"funding: community {community}: round {round_id} is "
                            f"{info['state']} but still counts {confirmed} confirmed")
        if not low <= held <= high:
            expected = str(low) if low == high else f"between {low} and {high}"
            problems.append(f"funding: community {community}: escrow of round {round_id} "
                            f"holds {held}, expected {expected} (its pledges)")
    return problems
