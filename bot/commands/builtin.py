"""The core's own commands: help, ping, about, link, config, audit — a plugin like any other."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from bot import hookimpl, ignores, plugin_switches
from bot.commands.access import ACCESS_ACTIONS, perm_group, role_group
from bot.commands.context import Context
from bot.commands.converters import PositiveInt, Rest, Word
from bot.commands.decorators import command, requires
from bot.commands.errors import BadArgument, UnknownCommand
from bot.commands.model import Command, Group
from bot.commands.names import (
    by_local_name,
    every_path,
    local_name,
    local_path,
    local_usage,
    other_names,
)
from bot.config.chat import show_setting
from bot.durations import format_duration
from bot.i18n import Text, translatable
from bot.model import Community, Role
from bot.permissions import MANAGE, Permission
from bot.plugin import Plugin
from bot.status import read_status

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("core")

MAX_AUDIT = 50


async def _visible(ctx: Context, cmd: Command) -> bool:
    if cmd.hidden or not ctx.bot.switches.command_enabled(cmd, ctx.community.id):
        return False
    if cmd.permission is None:
        return True
    return await ctx.bot.permissions.allowed(ctx.member, cmd.permission, ctx.community)


async def _help_line(ctx: Context, cmd: Command) -> str:
    text = _domain_t(ctx, cmd, cmd.help)
    if isinstance(cmd, Group):
        subs = [local_name(s, ctx.locale)
                for s in by_local_name(cmd.unique_subcommands(), ctx.locale)
                if await _visible(ctx, s)]
        path = local_path(cmd, ctx.locale)
        usage = f"{ctx.prefix}{path} <{'|'.join(subs)}>" if subs else f"{ctx.prefix}{path}"
        return f"{usage} — {text}" if text else usage
    usage = local_usage(ctx, cmd)
    return f"{usage} — {text}" if text else usage


def _domain_t(ctx: Context, cmd: Command, msgid: str) -> str:
    """Translate a command's help text in its plugin's catalog."""
    return ctx.t(translatable(cmd.domain)(msgid)) if msgid else ""


@command("help", names={"fr": "aide"})
async def help_command(ctx: Context, topic: Rest | None = None) -> None:
    """List the commands, or explain one: help [command]."""
    if topic:
        cmd, rest = ctx.bot.router.resolve(topic.lstrip(ctx.prefix))
        here = ctx.community.id
        if cmd is None or rest.strip() or not ctx.bot.switches.command_enabled(cmd, here):
            word = topic.strip()[:40]
            names = every_path([c for c in ctx.bot.router.walk()
                                if ctx.bot.switches.command_enabled(c, here)])
            raise UnknownCommand(word, ctx.bot.router.suggest(word, names), ctx.prefix)
        await ctx.reply(await describe(ctx, cmd))
        return
    lines = [ctx.t(_("Commands (prefix {prefix}):", prefix=ctx.prefix))]
    for cmd in by_local_name(ctx.bot.router.commands(), ctx.locale):
        if await _visible(ctx, cmd):
            lines.append("• " + await _help_line(ctx, cmd))
    lines.append(ctx.t(_("Type {prefix}help <command> for details.", prefix=ctx.prefix)))
    await ctx.reply("\n".join(lines))


async def describe(ctx: Context, cmd: Command) -> str:
    """Usage, help text, aliases, permission and subcommands of one command."""
    lines: list[str] = []
    if isinstance(cmd, Group):
        lines.append(f"{ctx.prefix}{local_path(cmd, ctx.locale)} — "
                     f"{_domain_t(ctx, cmd, cmd.help)}")
        for sub in by_local_name(cmd.unique_subcommands(), ctx.locale):
            if await _visible(ctx, sub):
                lines.append(f"• {local_usage(ctx, sub)} — {_domain_t(ctx, sub, sub.help)}")
    else:
        lines.append(ctx.t(_("Usage: {usage}", usage=local_usage(ctx, cmd))))
        if cmd.help:
            lines.append(_domain_t(ctx, cmd, cmd.help))
        if cmd.description and ctx.locale == "en":
            lines.append(cmd.description)
    also = other_names(cmd, ctx.locale)
    if also:
        lines.append(ctx.t(_("Aliases: {aliases}", aliases=", ".join(also))))
    if cmd.permission:
        role = ctx.bot.permissions.default_role(cmd.permission)
        if role > Role.MEMBER:
            lines.append(ctx.t(_("Reserved to: {role}", role=ctx.t(ROLE_NAMES[role]))))
    return "\n".join(lines)


ROLE_NAMES = {Role.MEMBER: _("members"), Role.MODERATOR: _("moderators"),
              Role.ADMIN: _("admins")}


@command("ping", names={"fr": "ping"})
async def ping(ctx: Context) -> None:
    """Check that the bot is alive and answering."""
    await ctx.reply(_("Pong!"))


@command("about", names={"fr": "apropos"})
async def about(ctx: Context) -> None:
    """What this bot is, its version and loaded plugins."""
    bot = ctx.bot
    plugins = ", ".join(f"{p.name} {p.version}" for p in bot.plugins)
    await ctx.reply(_(
        "Ruche — ideas, votes, community tokens and rewards, on Discord, Matrix and the "
        "console.\nCommunity: {community} · language: {locale} · platforms: {platforms}\n"
        "Plugins: {plugins}",
        community=ctx.community.name, locale=ctx.locale,
        platforms=", ".join(sorted(bot.adapters)), plugins=plugins,
    ))


@command("link", names={"fr": "lier"})
@requires("core.link")
async def link(ctx: Context, code: str | None = None) -> None:
    """Link your accounts on two platforms: one wallet, one vote, one history."""
    bot = ctx.bot
    if code is None:
        new_code = await bot.identity.create_link_code(ctx.member, ctx.message.author.platform)
        text = ctx.t(_("Your link code is {code}. Within 10 minutes, type {prefix}link {code} "
                       "with your account on the other platform.", code=new_code,
                       prefix=ctx.prefix))
        ref = await ctx.whisper(text)
        if ref.room_id != ctx.message.room.id:
            await ctx.reply(_("I sent you a link code in a private message."))
        return
    if len(code) > 32:
        raise BadArgument(_("That is not a link code."))
    target = await bot.identity.redeem_link_code(code, ctx.member, ctx.message.author)
    await bot.hooks.notify("on_member_linked", bot=bot, community=ctx.community,
                           old_member_id=ctx.member.id, member_id=target)
    await bot.audit.record(ctx.community.id, ctx.member, "link",
                           f"member {ctx.member.id} linked into {target}")
    # From here on this account is the target member: `on_command_completed` (presence,
    # activity) must not bring the linked-away member back to life.
    ctx.member = dataclasses.replace(ctx.member, id=target)
    await ctx.reply(_("Linked: this account now shares the same wallet, votes and history."))


@command("config", names={"fr": "réglages"}, options={"reset": {"fr": "réinitialiser"}})
@requires("core.config")
async def config(ctx: Context, key: Annotated[str, Word()] | None = None,
                 value: Rest | None = None, *, reset: bool = False) -> None:
    """Show or change this community's settings (moderators)."""
    settings = ctx.bot.settings
    here = ctx.community.id
    if key is None:
        lines = [ctx.t(_("Settings of {community}:", community=ctx.community.name))]
        lines.extend(_setting_line(ctx, k) for k in settings.settable_keys())
        await ctx.reply("\n".join(lines))
        return
    if reset:
        await settings.reset(here, key, ctx.member)
        await ctx.reply(_("{key} is back to {value}.", key=key,
                          value=show_setting(settings.current(here, key))))
        return
    if value is None:
        await ctx.reply(_setting_line(ctx, key))
        return
    new = await settings.set(here, key, value, ctx.member)
    await ctx.reply(_("{key} set to {value} for this community.", key=key,
                      value=show_setting(new)))


def _setting_line(ctx: Context, key: str) -> str:
    """`• plugins.tips.max_grant = 1000 (at most 5000)`: the value as written, and its rule."""
    settings = ctx.bot.settings
    line = f"• {key} = {show_setting(settings.current(ctx.community.id, key))}"
    rule = settings.rule(key)
    if rule == "operator":
        line += " " + ctx.t(_("(config file only)"))
    elif rule == "limited":
        line += " " + ctx.t(_("(at most {ceiling})", ceiling=show_setting(settings.ceiling(key))))
    return line


#: The core's own audit actions in words (plugins answer `describe_audit_action` for theirs).
CORE_ACTIONS: dict[str, Text] = {
    "config.set": _("changed a setting:"),
    "config.reset": _("reset a setting:"),
    "link": _("linked accounts:"),
    **ignores.AUDIT_ACTIONS,
    **plugin_switches.AUDIT_ACTIONS,
    **ACCESS_ACTIONS,
}


@command("audit", names={"fr": "journal"})
@requires("core.audit")
async def audit(ctx: Context, n: Annotated[int, PositiveInt()] = 10) -> None:
    """Show the latest moderator actions (moderators)."""
    bot = ctx.bot
    entries = await bot.audit.recent(ctx.community.id, min(n, MAX_AUDIT))
    if not entries:
        await ctx.reply(_("The audit log is empty."))
        return
    words: dict[str, Text | str] = dict(CORE_ACTIONS)
    for action in {e.action for e in entries} - set(words):
        said = await bot.hooks.first_safe("describe_audit_action", bot=bot, action=action)
        words[action] = said if said is not None else action
    handles = await _handles(ctx, {e.member_id for e in entries if e.member_id is not None})
    lines = [ctx.t(_("Latest moderator actions:"))]
    for e in entries:
        who = e.member_name + (f" ({handles[e.member_id]})" if e.member_id in handles else "")
        lines.append(f"• {_when(e.at)} {who}: {ctx.t(words[e.action])} {e.detail}".rstrip())
    await ctx.reply("\n".join(lines))


async def _handles(ctx: Context, member_ids: set[int]) -> dict[int, str]:
    """`platform:user` of each member in this community, so two "Alex" are told apart."""
    if not member_ids:
        return {}
    marks = ", ".join(f"${i + 2}" for i in range(len(member_ids)))
    rows = await ctx.bot.db.fetch(
        "SELECT member_id, platform, user_id FROM core_identities WHERE community = $1 "
        f"AND member_id IN ({marks}) ORDER BY platform, user_id", ctx.community.id,
        *sorted(member_ids))
    found: dict[int, str] = {}
    for row in rows:
        found.setdefault(int(row["member_id"]), f"{row['platform']}:{row['user_id']}")
    return found


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


@command("status", names={"fr": "statut"})
@requires("core.status")
async def status(ctx: Context) -> None:
    """Uptime, version, platforms, database and errors of this bot (admins)."""
    st = await read_status(ctx.bot)
    database = ctx.t(_("reachable") if st.database_ok else _("UNREACHABLE"))
    errors = (ctx.t(_("{n} errors since start, the last at {when}", n=st.errors,
                      when=_when(st.last_error_at)))
              if st.last_error_at is not None else ctx.t(_("no error since start")))
    await ctx.reply(_(
        "Ruche {version} · up {uptime}\nPlatforms: {platforms} · database: {database} "
        "({state})\nAnnouncements waiting: {queue} · {errors}",
        version=st.version, uptime=format_duration(timedelta(seconds=int(st.uptime))),
        platforms=", ".join(st.platforms) or "—", database=st.database, state=database,
        queue=st.queue, errors=errors))


@command("lasterror", names={"fr": "dernière-erreur"})
@requires("core.status")
async def lasterror(ctx: Context) -> None:
    """The latest error this bot logged, in one line without secrets (admins)."""
    last = ctx.bot.last_error
    if last.at is None:
        await ctx.reply(_("No error since start."))
        return
    await ctx.reply(_("Last error, {when}, in {where}: {summary}\n{n} errors since start; the "
                      "operators have the details in the logs.", when=_when(last.at),
                      where=last.where, summary=last.summary, n=last.count))


class CorePlugin(Plugin):
    """The built-in commands and permissions of the core."""

    name = "core"
    commands = (help_command, ping, about, link, config, audit, status, lasterror, perm_group,
                role_group, *ignores.COMMANDS, *plugin_switches.COMMANDS)

    def permissions(self) -> list[Permission]:
        return [
            Permission("core.link", Role.MEMBER, "link platform accounts"),
            Permission("core.config", Role.MODERATOR, "change community settings"),
            Permission("core.audit", Role.MODERATOR, "read the audit log"),
            Permission("core.status", Role.ADMIN, "see the bot's status and last error"),
            ignores.PERMISSION,
            plugin_switches.PERMISSION,
            Permission(MANAGE, Role.ADMIN, "change permissions and roles (!perm, !role)"),
        ]

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        """Roles and member rules follow an account linked into another member."""
        await bot.permissions.move_member(community.id, old_member_id, member_id)


plugin = CorePlugin
