"""Funding: all-or-nothing crowdfunding of accepted ideas with community tokens (SPEC §3.4).

Thin hook implementations; the rules live in `service.py` (open, pledge, unpledge) and
`settlement.py` (exactly-once settlement, the sweep), the SQL in `store.py`. Tokens stay in the
tips plugin's ledger, moved through its `transfer_tokens` hook; ideas are known through their
events. No other plugin's code or tables are touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    Job,
    Permission,
    Plugin,
    Role,
    Text,
    hookimpl,
    iso_columns,
    translatable,
)
from plugins.funding import hookspecs as funding_hookspecs
from plugins.funding import idea_events, integrity, render, settlement, store, updates
from plugins.funding.commands import COMMANDS
from plugins.funding.config import FundingConfig
from plugins.funding.migrations import migrations
from plugins.funding.models import FundingRound
from plugins.funding.service import FundingService

if TYPE_CHECKING:
    from bot.api import Announcement, Bot
    from plugins.ideas.models import Idea, IdeaMerged, IdeaStatusChange

__version__ = "1.0.0"

PERMISSIONS = (
    Permission("funding.pledge", Role.MEMBER, "pledge to funding rounds and withdraw pledges"),
    Permission("funding.open", Role.MEMBER, "open a funding round for your own accepted idea"),
    Permission("funding.moderate", Role.MODERATOR,
               "open rounds for any idea, name their wallet, and close rounds early"),
)


_ = translatable("funding")
#: Our audit actions in words (core hook `describe_audit_action`).
AUDIT_ACTIONS: dict[str, Text] = {
    "funding.open": _("opened, for an author,"),
    "funding.close": _("closed"),
}


class FundingPlugin(Plugin):
    """One instance per bot, holding its `FundingService`; hookimpls below are thin."""

    name = "funding"
    config_class = FundingConfig
    migrations = migrations
    hookspecs = funding_hookspecs
    commands = COMMANDS

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = FundingService(bot)

    def permissions(self) -> tuple[Permission, ...]:
        return PERMISSIONS

    def jobs(self) -> list[Job]:
        """The sweep, at the configured interval (read once the config is loaded)."""
        interval = self.bot.plugin_config(FundingConfig).sweep_interval.total_seconds()

        async def sweep(bot: Bot) -> None:
            await settlement.sweep(self.service)

        return [Job("funding.sweep", sweep, interval, plugin="funding")]

    # -- what the ideas plugin tells us -------------------------------------------------------

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        """`!audit` says which round a moderator opened or closed."""
        return AUDIT_ACTIONS.get(action)

    @hookimpl(optionalhook=True)
    async def on_idea_submitted(self, bot: Bot, idea: Idea) -> None:
        await idea_events.seen(self.service, idea)

    @hookimpl(optionalhook=True)
    async def on_idea_status_changed(self, bot: Bot, change: IdeaStatusChange) -> None:
        await idea_events.status_changed(self.service, change)

    @hookimpl(optionalhook=True)
    async def on_idea_accepted(self, bot: Bot, idea: Idea) -> None:
        await idea_events.seen(self.service, idea)

    @hookimpl(optionalhook=True)
    async def on_idea_merged(self, bot: Bot, merge: IdeaMerged) -> None:
        await idea_events.merged(self.service, merge)

    @hookimpl(optionalhook=True)
    async def describe_idea(self, bot: Bot, idea: Idea) -> Text | None:
        svc = self.service
        await idea_events.seen(svc, idea)
        round_id = await store.latest_round_id(bot.db, idea.community, idea.id)
        found = await svc.round(round_id) if round_id is not None else None
        if found is None:
            return None
        cfg = svc.config(idea.community)
        return render.describe(found, await svc.display_currency(idea.community),
                               float(bot.now()), bot.config.bot.timezone, cfg.bar_width)

    # -- what we answer -------------------------------------------------------------------------

    @hookimpl
    async def list_funding_rounds(self, bot: Bot, community: str,
                                  states: tuple[str, ...]) -> list[FundingRound]:
        return await self.service.rounds(community, states, 1000)

    @hookimpl
    async def member_pledges(self, bot: Bot, community: str,
                             member_id: int) -> list[tuple[FundingRound, int]]:
        """The member's own confirmed pledges on rounds still open or settling, per round."""
        found = []
        for round_id, total in await store.member_round_totals(bot.db, community, member_id):
            r = await self.service.round(round_id)
            if r is not None:
                found.append((r, total))
        return sorted(found, key=lambda pair: pair[0].deadline)

    @hookimpl
    async def fund_round_from_treasury(self, bot: Bot, community: str, idea_id: int,
                                       amount: int, reason: str, ref: str,
                                       memo: str) -> FundingRound | None:
        return await self.service.credit_from_treasury(community, idea_id, amount, reason,
                                                       ref, memo)

    @hookimpl
    async def idea_backers(self, bot: Bot, community: str, subject: str) -> list[int] | None:
        """The backers of the idea's latest round; None for a subject that is no idea."""
        raw = subject.removeprefix("idea:")
        if not subject.startswith("idea:") or not raw.isdigit():
            return None
        round_id = await store.latest_round_id(bot.db, community, int(raw))
        found = await self.service.round(round_id) if round_id is not None else None
        return [] if found is None else await updates.recipients(self.service, found)

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        await bot.db.atomic(lambda tx: store.relink(tx, community.id, old_member_id, member_id))

    @hookimpl
    async def check_integrity(self, bot: Bot) -> list[str] | None:
        return await integrity.check(bot) or None

    @hookimpl
    async def startup(self, bot: Bot) -> None:
        """A dead run's event claims are free before the first sweep (no lease to wait out)."""
        await settlement.release_stale_claims(bot)

    @hookimpl
    async def render_announcement(self, bot: Bot, announcement: Announcement) -> Any:
        """A round's outcome ("is funded", failed, merged), rendered when it is sent."""
        if announcement.namespace != "funding":
            return None
        return await settlement.render_announcement(self.service, announcement)

    @hookimpl
    async def export_data(self, bot: Bot, community: Community,
                          fmt: str) -> dict[str, list[dict[str, Any]]] | None:
        """Rounds, pledges and backers; instants in ISO 8601 UTC."""
        tables = await store.export_rows(bot.db, community.id)
        if not any(tables.values()):
            return None
        return {name: iso_columns(rows, _EXPORT_TIMES) for name, rows in tables.items()}


#: Epoch-seconds columns of the exported tables.
_EXPORT_TIMES = ("opened_at", "deadline", "settled_at", "created_at")

plugin = FundingPlugin
