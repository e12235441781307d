"""Core hook specifications: the whole contract between the core and every plugin.

Implementations may be plain functions or coroutines; `bot/hooks.py` awaits them.
The full contract of each hook (when it runs, what it may return) is in docs/hooks.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from bot.announcement import Announcement
    from bot.app import Bot
    from bot.commands.context import Context
    from bot.commands.model import Command
    from bot.model import Community, IncomingMessage, Member, MemberJoin, ReactionEvent

hookspec = pluggy.HookspecMarker("ruche")


@hookspec
def register_hookspecs(pm: pluggy.PluginManager) -> None:
    """Add a plugin's own hook specifications before any hook is called."""


@hookspec
def register_config(bot: Bot) -> Any:
    """Return `{section_path: dataclass}` so the core validates and serves the plugin's config."""


@hookspec
def register_migrations(bot: Bot) -> Any:
    """Return the plugin's `Migrations` so they run at startup and with `ruche db migrate`."""


@hookspec
def register_adapters(bot: Bot) -> Any:
    """Return platform adapters to run, built from the loaded configuration."""


@hookspec
def register_commands(bot: Bot) -> Any:
    """Return the plugin's commands and command groups."""


@hookspec
def register_permissions(bot: Bot) -> Any:
    """Return the `Permission`s the plugin's commands check, with their default role."""


@hookspec
def register_jobs(bot: Bot) -> Any:
    """Return scheduled `Job`s (periodic sweeps that also run at startup)."""


@hookspec
def startup(bot: Bot) -> Any:
    """Run once after migrations, before adapters take events."""


@hookspec
def shutdown(bot: Bot) -> Any:
    """Run once after adapters stopped taking events, before the database closes."""


@hookspec
def on_message(bot: Bot, message: IncomingMessage, community: Community, member: Member) -> Any:
    """See every message that is not a command (after de-duplication and bot filtering)."""


@hookspec
def on_reaction(bot: Bot, event: ReactionEvent, community: Community, member: Member) -> Any:
    """See every reaction added or removed by a human member."""


@hookspec
def on_member_join(bot: Bot, event: MemberJoin, community: Community, member: Member) -> Any:
    """Welcome or register a member who joined one of the community's rooms."""


@hookspec
def on_member_linked(bot: Bot, community: Community, old_member_id: int, member_id: int) -> Any:
    """Move a plugin's data from a member id that was linked into another account."""


@hookspec
def command_check(ctx: Context, command: Command) -> Any:
    """Return False to refuse a command before it runs (any False denies)."""


@hookspec
def on_command_error(ctx: Context, command: Command | None, error: BaseException) -> Any:
    """Observe a command that failed (the member has already been answered)."""


@hookspec
def on_command_completed(ctx: Context, command: Command) -> Any:
    """Observe a command that ran to completion (metrics, activity rewards)."""


@hookspec
def permission_allowed(bot: Bot, member: Member, permission: str, community: Community) -> Any:
    """Return False to deny, True to allow, None to leave it to the default role."""


@hookspec
def validate_setting(bot: Bot, community: Community, key: str, old: Any, new: Any) -> Any:
    """Return a reason (str or Text) to refuse a `!config` change that would break an invariant."""


@hookspec
def render_announcement(bot: Bot, announcement: Announcement) -> Any:
    """Return the message (OutgoingMessage, Text or str) of one of the plugin's outbox rows."""


@hookspec
def check_integrity(bot: Bot) -> Any:
    """Return a list of invariant violations (empty when healthy) for `ruche db check`."""


@hookspec
def export_data(bot: Bot, community: Community, fmt: str) -> Any:
    """Return `{name: rows}` of the plugin's data for `ruche export`."""
