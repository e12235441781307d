"""A test plugin recording what reaches the core, with commands covering the adapter's paths."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from bot import hookimpl
from bot.commands import Context, Positive, PositiveInt, Rest, command, group
from bot.commands.model import Command
from bot.model import (
    Button,
    Community,
    Member,
    MemberJoin,
    MemberLeave,
    MessageDeleted,
    MessageRef,
    OutgoingMessage,
    ReactionEvent,
    Role,
)
from bot.permissions import Permission


class IdeaNumber:
    """An idea number with suggestions, like the ideas plugin's converter could offer."""

    name = "number"

    async def convert(self, ctx: Context, raw: str) -> int:
        return await PositiveInt().convert(ctx, raw.removeprefix("#"))

    async def complete(self, ctx: Context, partial: str) -> list[tuple[str, int]]:
        ideas = {12: "Bee hotel", 13: "Honey fair", 21: "Pollinator garden"}
        return [(f"#{n} {title}", n) for n, title in ideas.items() if str(n).startswith(partial)]


@dataclass
class Recorder:
    """Plugin: records reactions, counts commands, keeps ballots."""

    reactions: list[ReactionEvent] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    ballots: dict[tuple[int, int], str] = field(default_factory=dict)
    posted: list[MessageRef] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    joins: list[MemberJoin] = field(default_factory=list)
    leaves: list[tuple[MemberLeave, int]] = field(default_factory=list)
    deleted: list[MessageDeleted] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def _commands(self) -> list[Command]:
        rec = self

        @command("count")
        async def count(ctx: Context) -> None:
            """Count this command (test)."""
            rec.counts["count"] += 1
            rec.roles.append(ctx.member.role)
            rec.changed.set()
            await ctx.reply(f"count {rec.counts['count']}")

        @command("slow")
        async def slow(ctx: Context, seconds: str = "0.3") -> None:
            """Answer late (test)."""
            await asyncio.sleep(float(seconds))
            await ctx.reply("slow done")

        @command("quiet")
        async def quiet(ctx: Context) -> None:
            """Answer nothing (test)."""
            rec.counts["quiet"] += 1

        @command("secret")
        async def secret(ctx: Context, seconds: str = "0") -> None:
            """Answer only to the member (test)."""
            await asyncio.sleep(float(seconds))
            await ctx.reply("only you", ephemeral=True)

        @command("ballot")
        async def ballot(ctx: Context, poll: Positive, *choices: str) -> None:
            """Cast a ballot (test)."""
            rec.ballots[(poll, ctx.member.id)] = " ".join(choices)
            rec.counts["ballot"] += 1
            rec.changed.set()
            await ctx.reply(f"ballot {' '.join(choices)} recorded", ephemeral=True)

        @command("post")
        async def post(ctx: Context) -> None:
            """Post a poll with buttons (test)."""
            ref = await ctx.send(OutgoingMessage("Poll #1: A or B?", buttons=(
                Button("A", "cmd:ballot 1 A", emoji="🅰️", style="primary"),
                Button("B", "cmd:ballot 1 B"),
                Button("Rank", "form:ballot 1"),
            )))
            rec.posted.append(ref)

        @command("discuss")
        async def discuss(ctx: Context) -> None:
            """Open a thread under a new message (test)."""
            ref = await ctx.send(OutgoingMessage("Idea #7: bee hotel"))
            rec.posted.append(ref)
            await ctx.bot.send(ctx.message.room, OutgoingMessage("first comment", thread_of=ref))
            await ctx.bot.send(ctx.message.room, OutgoingMessage("second comment",
                                                                 thread_of=ref))

        @command("export")
        async def export(ctx: Context) -> None:
            """Upload a file (test)."""
            await ctx.send_file("ledger.csv", b"member,balance\nalice,5\n", "Ledger export")

        @command("tally")
        async def tally(ctx: Context) -> None:
            """Post then edit a message (test)."""
            ref = await ctx.send(OutgoingMessage("tally: 0",
                                                 buttons=(Button("Refresh", "cmd:tally"),)))
            await ctx.bot.edit(ref, OutgoingMessage("tally: 1"))
            rec.posted.append(ref)

        @command("notify")
        async def notify(ctx: Context) -> None:
            """Tell the member privately (test)."""
            ok = await ctx.bot.notify_member(ctx.community.id, ctx.member.id, "psst",
                                             fallback_room=ctx.message.room)
            await ctx.reply(f"notified {ok}")

        @command("greet")
        async def greet(ctx: Context, who: Member, times: Positive, note: Rest | None = None,
                        *, loud: bool = False) -> None:
            """Greet a member (test)."""
            await ctx.reply(f"hello {who.display_name} x{times} note={note!r} loud={loud}")

        @command("pick")
        async def pick(ctx: Context, idea: IdeaNumber) -> None:
            """Pick an idea (test)."""
            await ctx.reply(f"picked {idea}")

        @command("modonly")
        async def modonly(ctx: Context) -> None:
            """Moderators only (test)."""
            await ctx.reply("moderator ok")

        modonly.permission = "test.mod"

        @group("tools")
        async def tools(ctx: Context) -> None:
            """Test tools (test)."""

        @tools.subcommand("echo")
        async def echo(ctx: Context, text: Rest) -> None:
            """Say the text back (test)."""
            await ctx.reply(f"echo {text!r}")

        @tools.group("deep")
        async def deep(ctx: Context) -> None:
            """Nested tools (test)."""

        @deep.subcommand("taste")
        async def taste(ctx: Context, flavour: Literal["sweet", "sour"] = "sweet") -> None:
            """Taste something (test)."""
            await ctx.reply(f"taste {flavour}")

        return [count, slow, quiet, secret, ballot, post, discuss, export, tally, notify, greet,
                pick, modonly, tools]

    @hookimpl
    def register_commands(self, bot: Any) -> list[Command]:
        return self._commands()

    @hookimpl
    def register_permissions(self, bot: Any) -> list[Permission]:
        return [Permission("test.mod", Role.MODERATOR, "test")]

    @hookimpl
    async def on_member_join(self, bot: Any, event: MemberJoin, community: Community,
                             member: Member) -> None:
        self.joins.append(event)

    @hookimpl
    async def on_member_leave(self, event: MemberLeave, member: Member) -> None:
        self.leaves.append((event, member.id))
        self.changed.set()

    @hookimpl
    async def on_message_deleted(self, event: MessageDeleted) -> None:
        self.deleted.append(event)
        self.changed.set()

    @hookimpl
    async def on_reaction(self, bot: Any, event: ReactionEvent, community: Community,
                          member: Member) -> None:
        self.reactions.append(event)
        self.changed.set()
