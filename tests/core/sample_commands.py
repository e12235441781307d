"""A plugin used by the core tests to exercise the command framework."""

from __future__ import annotations

from datetime import timedelta

from bot import Member, Role, hookimpl
from bot.commands import (
    Amount,
    Context,
    Duration,
    Rest,
    UserError,
    command,
    cooldown,
    group,
    requires,
)
from bot.i18n import translatable
from bot.permissions import Permission

_ = translatable("core")


@command("echo")
async def echo(ctx: Context, text: Rest) -> None:
    """Repeat the text."""
    await ctx.reply(text)


@command("add")
async def add(ctx: Context, a: int, b: int = 0) -> None:
    """Add two numbers."""
    await ctx.reply(str(a + b))


@command("give")
async def give(ctx: Context, who: Member, amount: Amount, reason: Rest | None = None) -> None:
    """Pretend to give tokens."""
    await ctx.reply(f"{who.display_name} {amount} {reason or '-'}")


@group("thing")
async def thing(ctx: Context) -> None:
    """Things."""
    await ctx.reply("thing help")


@thing.subcommand("make")
async def make(ctx: Context, name: str, *items: str, size: int = 1, fast: bool = False,
               until: Duration | None = None) -> None:
    """Make a thing."""
    td = until.total_seconds() if isinstance(until, timedelta) else None
    await ctx.reply(f"{name} items={list(items)} size={size} fast={fast} until={td}")


@command("secret")
@requires("test.mod")
async def secret(ctx: Context) -> None:
    """Moderators only."""
    await ctx.reply("the secret")


@command("once")
@cooldown(1, 60)
async def once(ctx: Context) -> None:
    """Rate limited."""
    await ctx.reply("done")


@command("boom")
async def boom(ctx: Context) -> None:
    """Always fails with a bug."""
    raise RuntimeError("token=supersecret-value")


@command("refuse")
async def refuse(ctx: Context) -> None:
    """Always refuses."""
    raise UserError(_("Not enough {currency}.", currency="BZZ"))


class SamplePlugin:
    @hookimpl
    def register_commands(self, bot: object) -> list[object]:
        return [echo, add, give, thing, secret, once, boom, refuse]

    @hookimpl
    def register_permissions(self, bot: object) -> list[Permission]:
        return [Permission("test.mod", Role.MODERATOR)]


plugin = SamplePlugin()
