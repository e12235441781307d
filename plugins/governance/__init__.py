"""Governance: the community changes its own settings and spends its treasury by vote.

The operator writes the constitution (`[plugins.governance]`, config.py); members propose
(`!propose config|spend`), the votes plugin runs the poll, and service.py applies a passed
proposal exactly once. Thin hookimpls below; other plugins are reached through hooks only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    Job,
    Member,
    Permission,
    Plugin,
    Text,
    hookimpl,
    iso_columns,
    translatable,
)
from plugins.governance import hookspecs as governance_hookspecs
from plugins.governance import store
from plugins.governance.commands import COMMANDS
from plugins.governance.config import ROLES, GovernanceConfig
from plugins.governance.migrations import migrations
from plugins.governance.service import SPEND_REASON, GovernanceService

if TYPE_CHECKING:
    from bot.api import Bot, Command, Context, IncomingMessage

__version__ = "1.0.0"

log = logging.getLogger("ruche.governance")

_ = translatable("governance")
#: Our audit actions in words (core hook `describe_audit_action`).
AUDIT_ACTIONS: dict[str, Text] = {
    "governance.config": _("changed a setting by vote:"),
    "governance.spend": _("paid from the treasury by vote:"),
}


class GovernancePlugin(Plugin):
    """One instance per bot, holding its `GovernanceService`."""

    name = "governance"
    config_class = GovernanceConfig
    migrations = migrations
    hookspecs = governance_hookspecs
    commands = COMMANDS

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = GovernanceService(bot)

    def permissions(self) -> list[Permission]:
        cfg = self.bot.plugin_config(GovernanceConfig)
        return [Permission("governance.propose", ROLES[cfg.proposer_role],
                           "propose setting changes and treasury spends to a vote")]

    def jobs(self) -> list[Job]:
        async def sweep(bot: Bot) -> None:
            await self.service.sweep()

        return [Job("governance.sweep", sweep, 60.0, plugin="governance")]

    @hookimpl
    def permission_allowed(self, bot: Bot, member: Member, permission: str,
                           community: Community) -> bool | None:
        """A community's own constitution may name another proposer role."""
        if permission != "governance.propose":
            return None
        role = self.service.constitution(community.id).proposer_min_role
        if role == bot.permissions.default_role(permission):
            return None
        return member.role >= role

    @hookimpl
    async def startup(self, bot: Bot) -> None:
        """Payments a dead run left in flight are finished before anything else; keys of the
        constitution no vote could ever change are named in the log for the operator."""
        for problem in self.service.unusable_keys():
            log.warning("plugins.governance: %s", problem, extra={"plugin": "governance"})
        await self.service.sweep()

    @hookimpl
    async def on_message(self, bot: Bot, message: IncomingMessage, community: Community,
                         member: Member) -> None:
        await self.service.seen(community.id, member.id)

    @hookimpl
    async def on_command_completed(self, ctx: Context, command: Command) -> None:
        await self.service.seen(ctx.community.id, ctx.member.id)

    @hookimpl(optionalhook=True)
    async def on_poll_closed(self, bot: Bot, poll: Any, result: Any) -> None:
        await self.service.poll_closed(poll, result)

    @hookimpl(optionalhook=True)
    async def on_poll_cancelled(self, bot: Bot, poll: Any) -> None:
        await self.service.poll_cancelled(poll)

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        return AUDIT_ACTIONS.get(action)

    @hookimpl(optionalhook=True)
    def describe_ledger_reason(self, reason: str) -> Text | None:
        """Treasury spends decided by vote show in `!history` in words."""
        return _("paid by vote") if reason == SPEND_REASON else None

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        await bot.db.atomic(lambda tx: store.relink(tx, community.id, old_member_id,
                                                     member_id))

    @hookimpl
    async def export_data(self, bot: Bot, community: Community,
                          fmt: str) -> dict[str, list[dict[str, Any]]] | None:
        """Proposals; instants in ISO 8601 UTC."""
        rows = await store.export_rows(bot.db, community.id)
        if not rows:
            return None
        return {"governance_proposals": iso_columns(rows, ("created_at", "closed_at"))}


plugin = GovernancePlugin
