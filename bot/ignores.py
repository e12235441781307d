"""The ignore list: members whose commands, clicks and reactions the bot drops, per community.

The dispatcher asks `Ignores.drops(member)` for every event, so the list lives in memory: loaded
once at setup, updated when `!ignore` / `!unignore` change it. An entry with an end time stops
applying when that time passes (compared on each lookup); no job removes it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

from bot.commands.context import Context
from bot.commands.converters import Rest, Word
from bot.commands.decorators import command, requires
from bot.commands.errors import BadArgument, CheckFailure
from bot.durations import format_duration, parse_duration
from bot.i18n import Text, translatable
from bot.model import Member, Role
from bot.permissions import Permission
from bot.storage import Tx
from bot.storage.notify import ALL
from bot.text import visible

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("core")
log = logging.getLogger("ruche.ignores")

MAX_REASON = 200
#: The words `!ignore list` answers to, besides a member's mention.
LIST_WORDS = frozenset({"list", "liste"})

PERMISSION = Permission("moderation.ignore", Role.MODERATOR, "ignore or unignore a member")

#: `!audit` words for the actions recorded here.
AUDIT_ACTIONS: dict[str, Text] = {
    "moderation.ignore": _("ignored a member:"),
    "moderation.unignore": _("stopped ignoring a member:"),
}


@dataclass(frozen=True, slots=True)
class Ignored:
    """One entry of a community's ignore list."""

    member_id: int
    until: float | None
    reason: str
    by: int | None
    at: float

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until


class Ignores:
    """The ignore list of every community, in memory; the database is written on each change."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._lists: dict[str, dict[int, Ignored]] = {}
        bot.fresh.subscribe("ignores", self.reload)

    async def load(self) -> None:
        """Read every community's list once (at setup); later changes update the memory copy."""
        self._lists = await self._read("")

    async def reload(self, community_id: str) -> None:
        """Re-read one community's list (ALL: every one) after another process changed it."""
        if community_id == ALL:
            self._lists = await self._read("")
        else:
            self._lists[community_id] = (await self._read(community_id)).get(community_id, {})

    async def _read(self, community_id: str) -> dict[str, dict[int, Ignored]]:
        """The stored lists, of one community or ("") of all."""
        rows = await self.bot.db.fetch(
            "SELECT community, member_id, ends_at, reason, by_member, created_at FROM core_ignores"
            " WHERE $1 = '' OR community = $1", community_id)
        lists: dict[str, dict[int, Ignored]] = {}
        for r in rows:
            until = None if r["ends_at"] is None else float(r["ends_at"])
            by = None if r["by_member"] is None else int(r["by_member"])
            lists.setdefault(str(r["community"]), {})[int(r["member_id"])] = Ignored(
                int(r["member_id"]), until, str(r["reason"]), by, float(r["created_at"]))
        return lists

    def is_ignored(self, community_id: str, member_id: int) -> bool:
        """Whether the member is on the community's list now (two dict lookups, no query)."""
        entries = self._lists.get(community_id)
        if not entries:
            return False
        entry = entries.get(member_id)
        return entry is not None and entry.active(self.bot.now())

    def drops(self, member: Member) -> bool:
        """Whether the dispatcher drops this member's event; moderators are never dropped."""
        return member.role < Role.MODERATOR and self.is_ignored(member.community, member.id)

    def entries(self, community_id: str) -> list[Ignored]:
        """The entries in force, oldest first."""
        now = self.bot.now()
        return sorted((e for e in self._lists.get(community_id, {}).values() if e.active(now)),
                      key=lambda e: e.at)

    async def add(self, community_id: str, target: Member, until: float | None, reason: str,
                  by: Member) -> Ignored:
        """Put (or put back) a member on the list; a second `!ignore` replaces the first."""
        entry = Ignored(target.id, until, reason, by.id, self.bot.now())

        async def op(tx: Tx) -> None:
            await tx.execute("DELETE FROM core_ignores WHERE community = $1 AND member_id = $2",
                             community_id, target.id)
            await tx.execute(
                "INSERT INTO core_ignores (community, member_id, ends_at, reason, by_member, "
                "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                community_id, target.id, until, reason, by.id, entry.at)

        await self.bot.db.atomic(op)
        self._lists.setdefault(community_id, {})[target.id] = entry
        await self.bot.fresh.publish("ignores", community_id)
        return entry

    async def remove(self, community_id: str, member_id: int) -> bool:
        """Take a member off the list; False if they were not on it (or it had expired)."""
        was = self.is_ignored(community_id, member_id)
        await self.bot.db.execute(
            "DELETE FROM core_ignores WHERE community = $1 AND member_id = $2",
            community_id, member_id)
        self._lists.get(community_id, {}).pop(member_id, None)
        await self.bot.fresh.publish("ignores", community_id)
        return was

    async def dropped(self, member: Member, kind: str) -> None:
        """Log and count one dropped event (the `on_event_ignored` hook feeds /metrics)."""
        log.debug("dropped a %s from ignored member %d in %s", kind, member.id,
                  member.community, extra={"community": member.community})
        bot = self.bot
        await bot.hooks.notify("on_event_ignored", bot=bot,
                               community=bot.communities.get(member.community),
                               member=member, kind=kind)


# -- commands -----------------------------------------------------------------------------------


async def _target(ctx: Context, raw: str) -> tuple[Member, str]:
    """The member a moderator named, with the platform handle `!audit` shows beside names."""
    user = ctx.adapter.parse_mention(raw.strip())
    member = await ctx.resolve_member(raw)
    if user is None or member is None:
        raise BadArgument(_("Unknown member: {raw}. Mention someone who has already "
                            "written here.", raw=visible(raw, 40)))
    return member, f"{user.platform}:{user.id}"


def _split_duration(rest: str) -> tuple[timedelta | None, str]:
    """`1d spamming` → (1 day, "spamming"); a first word starting with a digit is a duration."""
    first, _sep, after = rest.strip().partition(" ")
    if not first or not first[0].isdigit():
        return None, rest.strip()
    try:
        length = parse_duration(first)
    except ValueError:
        raise BadArgument(_("“{raw}” is not a duration: use forms like 3d, 2h30m or 45m.",
                            raw=visible(first, 40))) from None
    if length.total_seconds() <= 0:
        raise BadArgument(_("The duration must be longer than zero."))
    return length, after.strip()


@command("ignore", names={"fr": "ignorer"})
@requires(PERMISSION.name)
async def ignore(ctx: Context, member: Annotated[str, Word()],
                 duration_and_reason: Rest | None = None) -> None:
    """Make the bot ignore a member, for a while or until unignored; "ignore list" shows who."""
    if member.strip().lower() in LIST_WORDS and duration_and_reason is None:
        await _show_list(ctx)
        return
    target, handle = await _target(ctx, member)
    length, reason = _split_duration(duration_and_reason or "")
    if len(reason) > MAX_REASON:
        raise BadArgument(_("Text too long ({length} characters, at most {limit}).",
                            length=len(reason), limit=MAX_REASON))
    if target.id == ctx.member.id:
        raise CheckFailure(_("You cannot ignore yourself."))
    if target.is_bot:
        raise CheckFailure(_("{name} is a bot: bots are never listened to anyway.",
                             name=target.display_name))
    user = ctx.adapter.parse_mention(member.strip())
    role = await ctx.adapter.resolve_role(user, ctx.message.room) if user else Role.MEMBER
    if role >= Role.MODERATOR:
        raise CheckFailure(_("{name} is a moderator or an admin here: they cannot be ignored. "
                             "Change their role first.", name=target.display_name))
    bot = ctx.bot
    until = None if length is None else bot.now() + length.total_seconds()
    await bot.ignores.add(ctx.community.id, target, until, reason, ctx.member)
    span = format_duration(length) if length is not None else None
    detail = f"{target.display_name} ({handle})" + (f" for {span}" if span else "") + (
        f": {reason}" if reason else "")
    await bot.audit.record(ctx.community.id, ctx.member, "moderation.ignore", detail)
    if until is None:
        await ctx.reply(_("I now ignore {name}: their commands, buttons and reactions do "
                          "nothing until {prefix}unignore.", name=target.display_name,
                          prefix=ctx.prefix))
    else:
        await ctx.reply(_("I now ignore {name} until {when}: their commands, buttons and "
                          "reactions do nothing until then.", name=target.display_name,
                          when=_when(until)))


@command("unignore", names={"fr": "désignorer"})
@requires(PERMISSION.name)
async def unignore(ctx: Context, member: Annotated[str, Word()]) -> None:
    """Listen to an ignored member again."""
    target, handle = await _target(ctx, member)
    if not await ctx.bot.ignores.remove(ctx.community.id, target.id):
        await ctx.reply(_("{name} is not ignored.", name=target.display_name))
        return
    await ctx.bot.audit.record(ctx.community.id, ctx.member, "moderation.unignore",
                               f"{target.display_name} ({handle})")
    await ctx.reply(_("I listen to {name} again.", name=target.display_name))


async def _show_list(ctx: Context) -> None:
    entries = ctx.bot.ignores.entries(ctx.community.id)
    if not entries:
        await ctx.reply(_("Nobody is ignored here."))
        return
    ids = {e.member_id for e in entries} | {e.by for e in entries if e.by is not None}
    labels = await member_labels(ctx.bot, ctx.community.id, ids)
    lines = [ctx.t(_("Ignored members:"))]
    for e in entries:
        who = labels.get(e.member_id, f"#{e.member_id}")
        until = ctx.t(_("until {when}", when=_when(e.until)) if e.until is not None
                      else _("until unignored"))
        by = labels.get(e.by, "-") if e.by is not None else "-"
        line = f"• {who} — {until} — " + ctx.t(_("by {name}", name=by))
        if e.reason:
            line += f" — {e.reason}"
        lines.append(line)
    await ctx.reply("\n".join(lines))


async def member_labels(bot: Bot, community_id: str, ids: set[int]) -> dict[int, str]:
    """`Name (platform:handle)` of members, the way `!audit` names them."""
    if not ids:
        return {}
    marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
    names = await bot.identity.names(sorted(ids))
    rows = await bot.db.fetch(
        "SELECT member_id, platform, user_id FROM core_identities WHERE community = $1 "
        f"AND member_id IN ({marks}) ORDER BY platform, user_id", community_id, *sorted(ids))
    handles: dict[int, str] = {}
    for row in rows:
        handles.setdefault(int(row["member_id"]), f"{row['platform']}:{row['user_id']}")
    return {i: names.get(i, f"#{i}") + (f" ({handles[i]})" if i in handles else "")
            for i in ids}


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


COMMANDS = (ignore, unignore)
