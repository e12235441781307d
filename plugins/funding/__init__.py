"""Funding: all-or-nothing crowdfunding of accepted ideas with community tokens (SPEC §3.4).

Thin hook implementations; the rules live in `service.py` (open, pledge, unpledge) and
`settlement.py` (exactly-once settlement, the sweep), the SQL in `store.py`. Tokens stay in the
tips plugin's ledger, moved through its `transfer_tokens` hook; ideas are known through their
events. No other plugin's code or tables are touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from bot.api import Community, Job, Migrations, Permission, Role, Text, hookimpl, iso_columns
from plugins.funding import hookspecs, idea_events, integrity, render, settlement, store
from plugins.funding.commands import COMMANDS
from plugins.funding.config import FundingConfig
from plugins.funding.migrations import migrations
from plugins.funding.models import FundingRound
from plugins.funding.service import FundingService

if TYPE_CHECKING:
    from bot.api import Announcement, Bot, Command
    from plugins.ideas.models import Idea, IdeaMerged, IdeaStatusChange

__version__ = "1.0.0"

PERMISSIONS = (
    Permission("funding.pledge", Role.MEMBER, "pledge to funding rounds and withdraw pledges"),
    Permission("funding.open", Role.MEMBER, "open a funding round for your own accepted idea"),
    Permission("funding.moderate", Role.MODERATOR,
               "open rounds for any idea, name their wallet, and close rounds early"),
)


class FundingPlugin:
    """Registered as `funding`; per-bot state lives in its FundingService."""

    def service(self, bot: Bot) -> FundingService:
        """This bot's service, created on first use."""
        return bot.plugin_state("funding", FundingService)

    @hookimpl
    def register_hookspecs(self, pm: pluggy.PluginManager) -> None:
        pm.add_hookspecs(hookspecs)

    @hookimpl
    def register_config(self, bot: Bot) -> dict[str, type]:
        return {"plugins.funding": FundingConfig}

    @hookimpl
    def register_migrations(self, bot: Bot) -> Migrations:
        return migrations

    @hookimpl
    def register_permissions(self, bot: Bot) -> list[Permission]:
        return list(PERMISSIONS)

    @hookimpl
    def register_commands(self, bot: Bot) -> list[Command]:
        return list(COMMANDS)

    @hookimpl
    def register_jobs(self, bot: Bot) -> list[Job]:
        interval = self.service(bot).config().sweep_interval.total_seconds()
        return [Job("funding.sweep", settlement.sweep, interval, plugin="funding")]

    # -- what the ideas plugin tells us -------------------------------------------------------

    @hookimpl(optionalhook=True)
    async def on_idea_submitted(self, bot: Bot, idea: Idea) -> None:
        await idea_events.seen(self.service(bot), idea)

    @hookimpl(optionalhook=True)
    async def on_idea_status_changed(self, bot: Bot, change: IdeaStatusChange) -> None:
        await idea_events.status_changed(self.service(bot), change)

    @hookimpl(optionalhook=True)
    async def on_idea_accepted(self, bot: Bot, idea: Idea) -> None:
        await idea_events.seen(self.service(bot), idea)

    @hookimpl(optionalhook=True)
    async def on_idea_merged(self, bot: Bot, merge: IdeaMerged) -> None:
        await idea_events.merged(self.service(bot), merge)

    @hookimpl(optionalhook=True)
    async def describe_idea(self, bot: Bot, idea: Idea) -> Text | None:
        svc = self.service(bot)
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
        return await self.service(bot).rounds(community, states, 1000)

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
        return await settlement.render_announcement(self.service(bot), announcement)

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

plugin = FundingPlugin()
