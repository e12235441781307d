"""Tips: the community currency — double-entry ledger, tips, allowance, demurrage, rewards.

Thin hook implementations; the rules live in `service.py`, the SQL in `store.py`, the
movements in `ledger.py`, the scheduled sweeps in `sweeps.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    IncomingMessage,
    Job,
    Member,
    Permission,
    Plugin,
    ReactionEvent,
    Role,
    Text,
    hookimpl,
    translatable,
)
from plugins.tips import guards, integrity, reactions, rewards, sweeps, transfers
from plugins.tips import hookspecs as tips_hookspecs
from plugins.tips.commands import COMMANDS
from plugins.tips.config import TipsConfig
from plugins.tips.migrations import migrations
from plugins.tips.models import LedgerEntry
from plugins.tips.reads import TipsReads
from plugins.tips.service import TipsService

if TYPE_CHECKING:
    from bot.api import Bot, Command, Context
    from plugins.ideas.models import CampaignClosed, Idea
    from plugins.votes.models import BallotCast

_ = translatable("tips")
SWEEP_INTERVAL = 60.0  # seconds; sweeps are idempotent, so running often only costs a query
ACTIVITY_COMMANDS = {"idea support": "support", "idea comment": "comment"}


class TipsPlugin(TipsReads, Plugin):  # read hooks for other plugins: reads.py
    """One instance per bot, holding its `TipsService` (caches are per bot); hookimpls are thin."""

    name = "tips"
    config_class = TipsConfig
    migrations = migrations
    hookspecs = tips_hookspecs
    commands = COMMANDS

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = TipsService(bot)

    def permissions(self) -> list[Permission]:
        return [
            Permission("tips.tip", Role.MEMBER, "tip members (command and reaction)"),
            Permission("tips.view", Role.MEMBER, "see balances, histories and leaderboards"),
            Permission("tips.grant", Role.MODERATOR, "pay members from the treasury"),
            Permission("tips.treasury", Role.MODERATOR, "see the treasury and money supply"),
            Permission("tips.export", Role.MODERATOR, "download the whole ledger"),
        ]

    def jobs(self) -> list[Job]:
        """The sweeps, each run on this bot's service."""
        svc = self.service
        return [
            Job("tips.allowance", lambda bot: sweeps.allowance_job(svc), SWEEP_INTERVAL,
                plugin="tips"),
            Job("tips.demurrage", lambda bot: sweeps.demurrage_job(svc), SWEEP_INTERVAL,
                plugin="tips"),
            Job("tips.activity", lambda bot: sweeps.activity_job(svc), SWEEP_INTERVAL,
                plugin="tips"),
        ]

    # -- presence and activity ----------------------------------------------------------------

    # Presence is noted on every message and command; these return None (nothing for the core
    # to await, so no task and no timeout) unless a write is due: they sit on the tip hot path.

    @hookimpl
    def on_message(self, bot: Bot, message: IncomingMessage, community: Community,
                   member: Member) -> Awaitable[None] | None:
        return self.service.seen(community.id, member.id)

    @hookimpl
    async def on_reaction(self, bot: Bot, event: ReactionEvent, community: Community,
                          member: Member) -> None:
        await reactions.on_reaction(self.service, event, community, member)

    @hookimpl
    def on_command_completed(self, ctx: Context, command: Command) -> Awaitable[None] | None:
        svc = self.service
        seen = svc.seen(ctx.community.id, ctx.member.id)
        kind = ACTIVITY_COMMANDS.get(command.qualified_name)
        if kind is None:
            return seen
        if kind == "support":  # one support per member and idea, however often repeated
            words = ctx.message.text.split()[2:]
            ref = f"{ctx.member.id}:{' '.join(words).lower()[:100]}"
        else:
            ref = f"{ctx.message.ref.platform}:{ctx.message.ref.id}"
        return _both(seen, svc.activity(ctx.community.id, ctx.member.id, kind, ref))

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        return _("paid from the treasury:") if action == "tips.grant" else None

    @hookimpl(optionalhook=True)
    async def on_idea_submitted(self, bot: Bot, idea: Idea) -> None:
        await self.service.activity(idea.community, idea.author_id, "idea", idea.subject)

    @hookimpl(optionalhook=True)
    async def on_ballot_cast(self, bot: Bot, ballot: BallotCast) -> None:
        if ballot.member_id is None or ballot.withdrawn:
            return
        await self.service.activity(ballot.poll.community, ballot.member_id, "ballot",
                                        f"poll:{ballot.poll.id}:member:{ballot.member_id}")

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        await self.service.link(community.id, old_member_id, member_id)

    # -- rewards --------------------------------------------------------------------------------

    @hookimpl(optionalhook=True)
    async def on_idea_accepted(self, bot: Bot, idea: Idea) -> None:
        svc = self.service
        total = svc.config(idea.community).idea_accepted_reward
        await rewards.reward_idea(svc, idea, "idea_accepted", total)

    @hookimpl(optionalhook=True)
    async def on_idea_implemented(self, bot: Bot, idea: Idea) -> None:
        svc = self.service
        total = svc.config(idea.community).idea_implemented_reward
        await rewards.reward_idea(svc, idea, "idea_implemented", total)

    @hookimpl(optionalhook=True)  # emitted by the funding plugin, which may be disabled
    async def on_funding_succeeded(self, bot: Bot, round: Any, backers: Any) -> None:
        await rewards.reward_funded(self.service, round)

    @hookimpl(optionalhook=True)
    async def describe_idea(self, bot: Bot, idea: Idea) -> Text | None:
        return await rewards.describe(self.service, idea)

    @hookimpl(optionalhook=True)
    async def on_campaign_closed(self, bot: Bot, campaign: CampaignClosed) -> None:
        await rewards.campaign_bounty(self.service, campaign)

    # -- the API other plugins call -----------------------------------------------------------

    @hookimpl
    async def award_tokens(self, bot: Bot, community: str, member_id: int, amount: int,
                           reason: str, ref: str) -> LedgerEntry:
        return await self.service.treasury.award(community, member_id, amount, reason, ref)

    @hookimpl
    async def charge_tokens(self, bot: Bot, community: str, member_id: int, amount: int,
                            reason: str, ref: str) -> LedgerEntry:
        return await self.service.treasury.charge(community, member_id, amount, reason, ref)

    @hookimpl
    async def get_balance(self, bot: Bot, community: str, member_id: int) -> int:
        return (await self.service.holdings(community, member_id)).balance

    @hookimpl
    async def transfer_tokens(self, bot: Bot, community: str, src: str, dst: str, amount: int,
                              reason: str, ref: str, memo: str) -> LedgerEntry:
        return await transfers.transfer(self.service, community, src, dst, amount, reason,
                                        ref, memo)

    @hookimpl
    async def get_account_balance(self, bot: Bot, community: str, account: str) -> int:
        return await transfers.account_balance(self.service, community, account)

    @hookimpl
    def get_currency(self, bot: Bot, community: str) -> tuple[str, int]:
        return transfers.currency(self.service, community)

    # -- operations -----------------------------------------------------------------------------

    @hookimpl
    async def validate_setting(self, bot: Bot, community: Community, key: str, old: Any,
                               new: Any) -> Text | None:
        return await guards.setting_refusal(self.service, community, key, old, new)

    @hookimpl
    async def check_integrity(self, bot: Bot) -> list[str]:
        return await integrity.check(self.service)

    @hookimpl
    async def export_data(self, bot: Bot, community: Community,
                          fmt: str) -> dict[str, list[dict[str, Any]]]:
        return await integrity.export(self.service, community.id)


async def _both(first: Awaitable[None] | None, second: Awaitable[None]) -> None:
    if first is not None:
        await first
    await second


plugin = TipsPlugin
