"""Votes: polls with deadlines, five methods, secret ballots and reaction ballots.

The hookimpls below are thin: the rules are in service.py (polls, ballots), closing.py
(ending polls exactly once), reactions.py, spend.py (quadratic tokens) and tallies/.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    Job,
    Member,
    MessageDeleted,
    Permission,
    Plugin,
    ReactionEvent,
    Role,
    Text,
    hookimpl,
    iso_columns,
    translatable,
)
from plugins.votes import closing, reactions, spend, store
from plugins.votes import hookspecs as votes_hookspecs
from plugins.votes.commands import COMMANDS
from plugins.votes.config import ROLES, VotesConfig
from plugins.votes.migrations import migrations
from plugins.votes.models import Poll, PollRequest
from plugins.votes.reads import VotesReads
from plugins.votes.service import VotesService, voter_key

if TYPE_CHECKING:
    from bot.api import Announcement, Bot, Tx

__version__ = "1.0.0"


_ = translatable("votes")
#: Our audit actions in words (core hook `describe_audit_action`).
AUDIT_ACTIONS: dict[str, Text] = {
    "votes.close": _("closed someone's"),
    "votes.cancel": _("cancelled someone's"),
}


class VotesPlugin(VotesReads, Plugin):  # read hooks for other plugins: reads.py
    """One instance per bot, holding its `VotesService`; hookimpls below are thin."""

    name = "votes"
    config_class = VotesConfig
    migrations = migrations
    hookspecs = votes_hookspecs
    commands = COMMANDS

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = VotesService(bot)

    def permissions(self) -> list[Permission]:
        cfg = self.bot.plugin_config(VotesConfig)
        return [
            Permission("votes.create", cfg.create_min_role, "open polls"),
            Permission("votes.vote", Role.MEMBER, "vote in polls"),
            Permission("votes.manage", Role.MODERATOR, "close or cancel anyone's poll"),
        ]

    def jobs(self) -> list[Job]:
        cfg = self.bot.plugin_config(VotesConfig)

        async def sweep(bot: Bot) -> int:
            return await closing.sweep(self.service)

        return [Job("votes.sweep", sweep, cfg.sweep_interval.total_seconds(), plugin="votes")]

    # -- lifecycle and core events ------------------------------------------------------------

    @hookimpl
    async def startup(self, bot: Bot) -> None:
        """The service, and the claims a dead run left, freed before the first sweep."""
        await closing.release_stale_claims(self.service)

    @hookimpl
    async def shutdown(self, bot: Bot) -> None:
        await self.service.live.close()

    @hookimpl
    async def on_reaction(self, bot: Bot, event: ReactionEvent, community: Community,
                          member: Member) -> None:
        await reactions.on_reaction(self.service, event, community, member)

    @hookimpl
    async def on_message_deleted(self, bot: Bot, event: MessageDeleted,
                                 community: Community) -> None:
        await self.service.message_deleted(event.message)

    @hookimpl
    def permission_allowed(self, bot: Bot, member: Member, permission: str,
                           community: Community) -> bool | None:
        """`create_role` may be overridden per community with `!config` (sync: a hot path)."""
        if permission != "votes.create":
            return None
        role = ROLES[bot.plugin_config(VotesConfig, community.id).create_role]
        if role == bot.permissions.default_role(permission):
            return None  # the registered default role decides
        # Differs from it after `!config`, or after a config reload changed the file's value.
        return member.role >= role

    @hookimpl
    def on_config_reloaded(self, bot: Bot, changed: list[str]) -> None:
        """The live tally, once made, copied its edit interval: give it the new one."""
        live = self.service.__dict__.get("live")  # the cached_property, if it was made
        if live is not None and "plugins.votes.tally_edit_interval" in changed:
            live.interval = self.service.config().tally_edit_interval

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        """Linked accounts share one vote: move ballots of open polls, never doubling one."""
        rows = await store.member_ballots_in_open_polls(bot.db, old_member_id)
        secret_polls = await store.open_secret_polls(bot.db, community.id)

        async def op(tx: Tx) -> None:
            for row in rows:
                await store.rekey_ballot(tx, int(row["poll_id"]), str(row["voter"]),
                                         voter_key(member_id, None), member_id)
            for row in secret_polls:
                await store.rekey_ballot(tx, int(row["id"]),
                                         voter_key(old_member_id, row["secret"]),
                                         voter_key(member_id, row["secret"]), None)
            await store.move_charges(tx, old_member_id, member_id)

        await bot.db.atomic(op)

    @hookimpl
    async def export_data(self, bot: Bot, community: Community, fmt: str) -> dict[str, Any]:
        """Polls and ballots (secret ones under their HMAC key only); instants in ISO 8601 UTC."""
        polls = store.as_dicts(await store.export_polls(bot.db, community.id))
        ballots = store.as_dicts(await store.export_ballots(bot.db, community.id))
        return {"votes_polls": iso_columns(polls, ("created_at", "closes_at", "closed_at")),
                "votes_ballots": iso_columns(ballots, ("cast_at",))}

    @hookimpl
    async def render_announcement(self, bot: Bot, announcement: Announcement) -> Any:
        """Final tallies and result posts, read from the poll when they are sent."""
        if announcement.namespace != "votes":
            return None
        return await closing.render_announcement(self.service, announcement)

    @hookimpl
    async def check_integrity(self, bot: Bot) -> list[str]:
        return await store.integrity_problems(bot.db)

    # -- our own hooks ------------------------------------------------------------------------

    @hookimpl
    async def open_poll(self, bot: Bot, request: PollRequest) -> Poll:
        """Other plugins (ideas) ask for a vote; refusals raise UserError to the caller."""
        return await self.service.open_poll(request)

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        """`!audit` says which poll a moderator ended."""
        return AUDIT_ACTIONS.get(action)

    @hookimpl(optionalhook=True)
    def describe_ledger_reason(self, reason: str) -> Text | None:
        """Quadratic votes paid in tokens show in `!history` in words."""
        return spend.REASONS.get(reason)

    @hookimpl(trylast=True)
    def ballot_weight(self, bot: Bot, poll: Poll, member_id: int) -> int:
        """Everyone's ballot weighs 1 unless another plugin answers first."""
        return 1


plugin = VotesPlugin
