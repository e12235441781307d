"""Core hook specifications: the whole contract between the core and every plugin.

Each spec declares how the core calls it — `@hookspec(call="notify" | "collect" | "verdicts")`
or `@hookspec(firstresult=True)` for `first` — and what an implementation returns:
`Maybe[T]`, the value or (from an `async def`) an awaitable of it; `bot/hooks.py` awaits it.
The full contract of each hook (when it runs, what it may return) is in docs/hooks.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from bot.hooks import HookspecMarker, Maybe

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.announcement import Announcement
    from bot.app import Bot
    from bot.commands.context import Context
    from bot.commands.model import Command
    from bot.config import Config
    from bot.i18n import Text
    from bot.model import (
        Community,
        IncomingMessage,
        Member,
        MemberJoin,
        MemberLeave,
        MessageDeleted,
        OutgoingMessage,
        ReactionEvent,
    )
    from bot.permissions import Permission
    from bot.scheduler import Job
    from bot.storage import Migrations

hookspec = HookspecMarker("ruche")


@hookspec(call="notify")
def register_hookspecs(pm: pluggy.PluginManager) -> None:
    """Add a plugin's own hook specifications before any hook is called."""


@hookspec(call="collect")
def register_config(bot: Bot) -> Maybe[dict[str, type] | None]:
    """Return `{section_path: dataclass}` so the core validates and serves the plugin's config."""


@hookspec(call="collect")
def register_migrations(bot: Bot) -> Maybe[Migrations | list[Migrations] | None]:
    """Return the plugin's `Migrations` so they run at startup and with `ruche db migrate`."""


@hookspec(call="collect")
def register_adapters(bot: Bot) -> Maybe[Adapter | list[Adapter] | None]:
    """Return platform adapters to run, built from the loaded configuration."""


@hookspec(call="collect")
def register_commands(bot: Bot) -> Maybe[Command | list[Command] | None]:
    """Return the plugin's commands and command groups."""


@hookspec(call="collect")
def register_permissions(bot: Bot) -> Maybe[Permission | list[Permission] | None]:
    """Return the `Permission`s the plugin's commands check, with their default role."""


@hookspec(call="collect")
def register_jobs(bot: Bot) -> Maybe[Job | list[Job] | None]:
    """Return scheduled `Job`s (periodic sweeps that also run at startup)."""


@hookspec(call="notify")
def startup(bot: Bot) -> Maybe[None]:
    """Run once after migrations, before adapters take events."""


@hookspec(call="notify")
def shutdown(bot: Bot) -> Maybe[None]:
    """Run once after adapters stopped taking events, before the database closes."""


@hookspec(call="notify")
def on_config_reloaded(bot: Bot, old: Config, changed: list[str]) -> Maybe[None]:
    """Refresh what a plugin copied from the config at start-up: the file was re-read."""


@hookspec(call="notify")
def on_message(
    bot: Bot, message: IncomingMessage, community: Community, member: Member
) -> Maybe[None]:
    """See every message that is not a command (after de-duplication and bot filtering)."""


@hookspec(call="notify")
def on_reaction(
    bot: Bot, event: ReactionEvent, community: Community, member: Member
) -> Maybe[None]:
    """See every reaction added or removed by a human member."""


@hookspec(call="notify")
def on_event_ignored(bot: Bot, community: Community, member: Member, kind: str) -> Maybe[None]:
    """Observe an event dropped because its member is ignored (metrics); nothing answered."""


@hookspec(call="notify")
def on_member_join(
    bot: Bot, event: MemberJoin, community: Community, member: Member
) -> Maybe[None]:
    """Welcome or register a member who joined one of the community's rooms."""


@hookspec(call="notify")
def on_member_leave(
    bot: Bot, event: MemberLeave, community: Community, member: Member
) -> Maybe[None]:
    """Observe a member who left, was kicked or banned (every account gone; data stays)."""


@hookspec(call="notify")
def on_message_deleted(bot: Bot, event: MessageDeleted, community: Community) -> Maybe[None]:
    """React to a deleted or redacted message (a plugin's own message may need re-posting)."""


@hookspec(call="notify")
def on_member_linked(
    bot: Bot, community: Community, old_member_id: int, member_id: int
) -> Maybe[None]:
    """Move a plugin's data from a member id that was linked into another account."""


@hookspec(call="verdicts")
def command_check(ctx: Context, command: Command) -> Maybe[bool | None]:
    """Return False to refuse a command before it runs (any False denies)."""


@hookspec(call="notify")
def on_command_error(
    ctx: Context, command: Command | None, error: BaseException
) -> Maybe[None]:
    """Observe a command that failed (the member has already been answered)."""


@hookspec(call="notify")
def on_command_completed(ctx: Context, command: Command) -> Maybe[None]:
    """Observe a command that ran to completion (metrics, activity rewards)."""


@hookspec(firstresult=True)
def describe_audit_action(bot: Bot, action: str) -> Maybe[Text | None]:
    """Say a plugin's audit action (`tips.grant`) in words for `!audit`; None if not ours."""


@hookspec(call="verdicts")
def permission_allowed(
    bot: Bot, member: Member, permission: str, community: Community
) -> Maybe[bool | None]:
    """Return False to deny, True to allow, None to leave it to the default role."""


@hookspec(call="verdicts")
def validate_setting(
    bot: Bot, community: Community, key: str, old: Any, new: Any
) -> Maybe[Text | str | None]:
    """Return a reason (str or Text) to refuse a `!config` change that would break an invariant."""


@hookspec(firstresult=True)
def render_announcement(
    bot: Bot, announcement: Announcement
) -> Maybe[OutgoingMessage | Text | str | None]:
    """Return the message (OutgoingMessage, Text or str) of one of the plugin's outbox rows."""


@hookspec(call="collect")
def check_integrity(bot: Bot) -> Maybe[list[str] | None]:
    """Return a list of invariant violations (empty when healthy) for `ruche db check`."""


@hookspec(call="collect")
def export_data(
    bot: Bot, community: Community, fmt: str
) -> Maybe[dict[str, list[dict[str, object]]] | None]:
    """Return `{name: rows}` of the plugin's data for `ruche export`."""
