"""`[plugins.tips]`: every knob of the community currency, with its documented default.

All amounts are integers in the smallest unit (`amount_decimals` only changes how they are
shown): with `amount_decimals = 2`, `max_tip = 1000` means 10.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.api import limited, operator_only

MAX_DECIMALS = 6
MAX_AMOUNT = 2**53  # JSON/JS-exact, like the core's Amount converter


@dataclass
class TipsConfig:
    """The `[plugins.tips]` section; `!config plugins.tips.KEY VALUE` overrides per community."""

    # display
    currency: str = "BZZ"  # the token's name in every message
    amount_decimals: int = 0  # display precision; amounts stay integers in the smallest unit

    # tips
    max_tip: int = limited(1000)  # largest single tip
    daily_cap: int = 0  # most a member may give in tips per UTC day; 0 = no cap
    cooldown: timedelta | None = None  # least time between two tips of a member; unset = none
    reaction_tip_emoji: str = "🪙"  # reacting with it to someone's message tips them
    # amount of a reaction tip; 0 disables tipping by reaction
    reaction_tip_amount: int = limited(1)

    # allowance (universal dividend) and giving budget
    allowance_amount: int = limited(10)  # minted to each active member every period; 0 disables
    welcome_amount: int = limited(0)  # given once to a member the first time they are seen; 0 = off
    # periods are counted from 1970-01-01 UTC
    allowance_period: timedelta = operator_only(timedelta(days=1))
    active_window: timedelta = timedelta(days=30)  # "active" = seen (message, command, reaction) within
    # per-period budget that can only be tipped away, expires; 0 disables
    giving_budget: int = limited(0)

    # demurrage
    # fraction of each positive balance melted per period (0.01 = 1 %)
    demurrage_rate: float = limited(0.0)
    demurrage_period: timedelta = operator_only(timedelta(days=30))  # how often demurrage applies
    demurrage_destination: Literal["burn", "treasury"] = "burn"  # where melted tokens go

    # rewards (all paid from the treasury, all idempotent)
    # shared by the author and co-authors of an accepted idea
    idea_accepted_reward: int = limited(50)
    idea_implemented_reward: int = limited(100)  # shared likewise when the idea is implemented
    idea_funded_reward: int = limited(0)  # shared likewise when its funding round succeeds
    campaign_bounties: bool = True  # pay a closed campaign's bounty to its accepted ideas' authors
    # paid to each of the top_n most active members per period; 0 = off
    activity_reward: int = limited(20)
    activity_top_n: int = limited(3)  # how many members the activity reward goes to
    activity_period: timedelta = timedelta(days=7)  # the activity reward's period
    activity_weight_idea: int = 5  # score of an idea submitted
    activity_weight_support: int = 1  # score of a support given to an idea
    activity_weight_ballot: int = 1  # score of a ballot cast
    activity_weight_comment: int = 2  # score of a comment on an idea
    activity_weight_tip: int = 1  # score of a tip given

    # treasury and grants
    max_grant: int = limited(1000)  # largest single `!grant`
    # minted into the treasury once, when the community's ledger starts
    treasury_initial: int = operator_only(0)
    # mint what the treasury lacks for a reward or grant; false: rewards and grants fail when
    # the treasury is empty
    treasury_auto_mint: bool = operator_only(True)

    # mutual credit
    mutual_credit: bool = False  # no minting or burning: balances may go negative, sum to zero
    credit_limit: int = limited(100)  # in mutual credit, how far below zero a member may go

    # catch-up after downtime
    # most missed periods a sweep pays (or melts) after downtime
    max_catch_up: int = operator_only(366)

    def validate(self) -> list[str]:
        """Range checks; each message names its key so `ruche check-config` can point at it."""
        problems: list[str] = []
        if not self.currency.strip() or len(self.currency) > 16:
            problems.append("currency: must be 1 to 16 characters")
        if not 0 <= self.amount_decimals <= MAX_DECIMALS:
            problems.append(f"amount_decimals: must be between 0 and {MAX_DECIMALS}")
        positive = ("max_tip", "max_grant", "activity_top_n", "max_catch_up")
        for name in positive:
            value = getattr(self, name)
            if value > MAX_AMOUNT:
                problems.append(f"{name}: out of range, at most {MAX_AMOUNT}")
            elif value < 1:
                problems.append(f"{name}: must be a whole number ≥ 1")
        non_negative = (
            "daily_cap", "reaction_tip_amount", "allowance_amount", "welcome_amount",
            "giving_budget",
            "idea_accepted_reward", "idea_implemented_reward", "idea_funded_reward",
            "activity_reward",
            "activity_weight_idea", "activity_weight_support", "activity_weight_ballot",
            "activity_weight_comment", "activity_weight_tip", "treasury_initial", "credit_limit",
        )
        for name in non_negative:
            value = getattr(self, name)
            if value > MAX_AMOUNT:
                problems.append(f"{name}: out of range, at most {MAX_AMOUNT}")
            elif value < 0:
                problems.append(f"{name}: must be a whole number ≥ 0")
        if self.reaction_tip_amount > self.max_tip:
            problems.append("reaction_tip_amount: must not exceed max_tip")
        if not self.reaction_tip_emoji.strip() or len(self.reaction_tip_emoji) > 32:
            problems.append("reaction_tip_emoji: must be one emoji")
        if not 0.0 <= self.demurrage_rate < 1.0:
            problems.append("demurrage_rate: must be at least 0 and below 1 (0.01 = 1 %)")
        for name in ("allowance_period", "demurrage_period", "activity_period"):
            if getattr(self, name) < timedelta(minutes=1):
                problems.append(f"{name}: must be at least 1m")
        return problems
