"""The ideas plugin: open calls, supports, moderation, decisions by vote, co-creation.

Thin hook implementations; the rules live in `service.py`, `voting.py` and `campaigns.py`.
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
from plugins.ideas import campaigns, service, store, voting
from plugins.ideas import hookspecs as ideas_hookspecs
from plugins.ideas.commands import COMMANDS
from plugins.ideas.config import IdeasConfig
from plugins.ideas.migrations import migrations
from plugins.ideas.reads import IdeasReads

if TYPE_CHECKING:
    from bot.api import Bot

__version__ = "1.0.0"

PERMISSIONS = (
    Permission("ideas.submit", Role.MEMBER, "submit, edit, withdraw ideas and add co-authors"),
    Permission("ideas.support", Role.MEMBER, "support ideas"),
    Permission("ideas.comment", Role.MEMBER, "comment on ideas"),
    Permission("ideas.feedback", Role.MEMBER, "rate implemented ideas"),
    Permission("ideas.moderate", Role.MODERATOR,
               "approve, accept, reject, implement, merge and poll ideas; see anonymous authors"),
    Permission("ideas.campaigns", Role.MODERATOR, "open and close campaigns"),
)


_ = translatable("ideas")
#: Our audit actions in words (core hook `describe_audit_action`).
AUDIT_ACTIONS: dict[str, Text] = {
    "ideas.approve": _("approved idea"),
    "ideas.accept": _("accepted idea"),
    "ideas.reject": _("rejected idea"),
    "ideas.implement": _("marked as implemented idea"),
    "ideas.merge": _("merged ideas"),
    "ideas.poll": _("put to a vote idea"),
    "ideas.campaign_open": _("opened the campaign"),
    "ideas.campaign_close": _("closed the campaign"),
}


class IdeasPlugin(IdeasReads, Plugin):  # read hooks for other plugins: reads.py
    """One instance per bot; it keeps no state (the tables do), so hookimpls only delegate."""

    name = "ideas"
    config_class = IdeasConfig
    migrations = migrations
    hookspecs = ideas_hookspecs
    commands = COMMANDS

    def permissions(self) -> tuple[Permission, ...]:
        return PERMISSIONS

    def jobs(self) -> list[Job]:
        return [Job("ideas.campaigns", campaigns.close_due, interval=60, plugin="ideas")]

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        """`!audit` says what a moderator did to an idea or campaign."""
        return AUDIT_ACTIONS.get(action)

    @hookimpl(optionalhook=True)  # emitted by the votes plugin, which may be disabled
    async def on_poll_closed(self, bot: Bot, poll: Any, result: Any) -> None:
        await voting.poll_closed(bot, poll, result)

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        await service.relink(bot, community, old_member_id, member_id)

    @hookimpl
    async def export_data(self, bot: Bot, community: Community,
                          fmt: str) -> dict[str, list[dict[str, Any]]] | None:
        """The community's ideas, campaigns, comments and feedback; instants in ISO 8601 UTC."""
        tables = await store.export_rows(bot.db, community.id)
        if not any(tables.values()):
            return None  # nothing of this community
        return {name: iso_columns(rows, _EXPORT_TIMES) for name, rows in tables.items()}

    @hookimpl
    async def check_integrity(self, bot: Bot) -> list[str] | None:
        return await store.integrity_problems(bot.db) or None  # None: healthy


#: Epoch-seconds columns of the exported tables.
_EXPORT_TIMES = ("created_at", "updated_at", "closes_at", "closed_at")

plugin = IdeasPlugin
