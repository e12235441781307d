"""Rewards paid from the treasury when ideas succeed and campaigns close; all idempotent.

Each reward is one op whose first movement carries the claim ref (`idea:42` for an accepted
idea's first recipient, `idea:42:member:<id>` for the others): a replayed event finds the claim
in the ledger and pays nothing. An idea's reward is shared as the ideas plugin says
(`split_idea_reward`: authors, credited contributors, first supporters); without its answer, by
the authors alone.
"""

from __future__ import annotations

from typing import Any

from bot.api import Text, translatable
from plugins.ideas.models import CampaignClosed, Idea
from plugins.tips import store
from plugins.tips.ledger import TREASURY, Movement, member_account
from plugins.tips.models import LedgerEntry, TransferRequest
from plugins.tips.money import fmt, split
from plugins.tips.service import TipsService

_ = translatable("tips")

WEIGHT_FIELDS = {
    "idea": "activity_weight_idea",
    "support": "activity_weight_support",
    "ballot": "activity_weight_ballot",
    "comment": "activity_weight_comment",
    "tip": "activity_weight_tip",
}


def authors_of(idea: Idea) -> list[int]:
    """Author first, then co-authors, each once."""
    return list(dict.fromkeys([idea.author_id, *idea.coauthor_ids]))


def idea_moves(idea: Idea, reason: str, total: int, claim: str,
               ref_prefix: str | None = None) -> list[Movement]:
    """`total` shared by the idea's authors; the first share carries the claim ref."""
    authors = authors_of(idea)
    prefix = ref_prefix or claim
    moves = []
    for i, (member_id, share) in enumerate(zip(authors, split(total, len(authors)),
                                               strict=True)):
        if share > 0:
            ref = claim if i == 0 else f"{prefix}:member:{member_id}"
            moves.append(Movement(TREASURY, member_account(member_id), share, reason, ref,
                                  memo=idea.title[:100], link=idea.subject))
    return moves


async def _allowed(svc: TipsService, community: str, moves: list[Movement]) -> list[Movement]:
    """Drop the shares another plugin vetoes (`validate_transfer`); the others are paid."""
    kept = []
    for mv in moves:
        request = TransferRequest(community, mv.src, mv.dst, mv.amount, mv.reason, mv.ref,
                                  mv.memo)
        if not await svc.vetoed(request):
            kept.append(mv)
    return kept


def shared_moves(idea: Idea, reason: str, total: int,
                 shares: list[tuple[int, int]]) -> list[Movement] | None:
    """One movement per recipient of `shares`; None when the shares do not add up to `total`."""
    clean = [(int(m), int(a)) for m, a in shares if int(a) > 0]
    if not clean or sum(a for _m, a in clean) != total or len({m for m, _a in clean}) != len(clean):
        return None
    claim = idea.subject
    return [Movement(TREASURY, member_account(member_id), amount, reason,
                     claim if i == 0 else f"{claim}:member:{member_id}",
                     memo=idea.title[:100], link=idea.subject)
            for i, (member_id, amount) in enumerate(clean)]


async def reward_idea(svc: TipsService, idea: Idea, reason: str,
                      total: int) -> list[LedgerEntry]:
    """Pay `total` for `reason` (idea_accepted, idea_implemented), shared by contribution."""
    if total <= 0:
        return []
    community = idea.community
    if await store.entry_exists(svc.bot.db, community, reason, idea.subject):
        return []  # paid already (the payout checks again in its op): no need to ask for shares
    shares = await svc.bot.hooks.first_safe("split_idea_reward", bot=svc.bot, idea=idea,
                                            total=total)
    moves = shared_moves(idea, reason, total, shares) if isinstance(shares, list) else None
    if moves is None:
        moves = idea_moves(idea, reason, total, idea.subject)
    return await svc.treasury.payout(community, await _allowed(svc, community, moves))


async def reward_funded(svc: TipsService, round: Any) -> list[LedgerEntry]:
    """Pay `idea_funded_reward` once per idea whose funding round succeeded, shared as the
    ideas plugin says; without its answer nothing is paid (a round does not name the authors)."""
    community = str(round.community)
    total = svc.config(community).idea_funded_reward
    idea = Idea(id=int(round.idea_id), community=community, number=int(round.idea_number),
                title=str(round.title), description="", status="accepted", author_id=0,
                anonymous=bool(round.anonymous))
    if total <= 0 or await store.entry_exists(svc.bot.db, community, "idea_funded",
                                              idea.subject):
        return []
    shares = await svc.bot.hooks.first_safe("split_idea_reward", bot=svc.bot, idea=idea,
                                            total=total)
    moves = shared_moves(idea, "idea_funded", total, shares) if isinstance(shares, list) else None
    if moves is None:
        return []
    return await svc.treasury.payout(community, await _allowed(svc, community, moves))


async def campaign_bounty(svc: TipsService, campaign: CampaignClosed) -> list[LedgerEntry]:
    """Share a closed campaign's bounty equally among its accepted ideas, then their authors."""
    cfg = svc.config(campaign.community)
    ideas = campaign.accepted_ideas
    if not cfg.campaign_bounties or campaign.bounty <= 0 or not ideas:
        return []
    claim = f"campaign:{campaign.name}"
    moves: list[Movement] = []
    for idea, share in zip(ideas, split(campaign.bounty, len(ideas)), strict=True):
        if share > 0:
            prefix = f"{claim}:{idea.subject}"
            moves += idea_moves(idea, "campaign_bounty", share, prefix, prefix)
    if moves:  # the whole bounty is claimed by its first movement
        first = moves[0]
        moves[0] = Movement(first.src, first.dst, first.amount, first.reason, claim,
                            first.memo, first.link)
    moves = await _allowed(svc, campaign.community, moves)
    return await svc.treasury.payout(campaign.community, moves)


def top_members(counts: list[tuple[int, str, int]], weights: dict[str, int],
                n: int) -> list[tuple[int, int]]:
    """(member, score) of the `n` best positive scores; ties go to the lower member id."""
    scores: dict[int, int] = {}
    for member_id, kind, count in counts:
        scores[member_id] = scores.get(member_id, 0) + weights.get(kind, 0) * count
    ranked = sorted(((m, s) for m, s in scores.items() if s > 0), key=lambda p: (-p[1], p[0]))
    return ranked[:n]


async def describe(svc: TipsService, idea: Idea) -> Text | None:
    """The line `!idea show` adds for a rewarded idea: the total and what each one received
    (an anonymous author is named "anonymous": the reply is public)."""
    paid = await store.rewards_by_member(svc.bot.db, idea.community, idea.subject)
    if not paid:
        return None
    cfg = svc.config(idea.community)
    names = await svc.bot.identity.names([m for m, _a in paid])
    anonymous = _("anonymous")
    fields: dict[str, object] = {}
    parts = []
    for i, (member_id, amount) in enumerate(paid):
        who: Text | str = (anonymous if idea.anonymous and member_id == idea.author_id
                           else names.get(member_id, "?"))
        fields[f"w{i}"] = who
        parts.append(f"{{w{i}}} {fmt(cfg, amount)}")
    received = Text(", ".join(parts), "tips", fields)
    return _("Rewards paid: {amount} {currency} ({received}).",
             amount=fmt(cfg, sum(a for _m, a in paid)), currency=cfg.currency,
             received=received)
