"""A plugin written from docs/plugins.md alone (nothing else read): proof the page is enough.

`!quote add TEXT` keeps a quote, `!quote show N` reads one back, `!quote count` says how many
this bot stored since it started; `[plugins.quotes] max_length` bounds them, moderators may
`!quote forget N`, and a job trims to `keep` quotes. `tests/core/test_plugin_guide.py` runs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.api import (
    Bot,
    Context,
    Job,
    Migrations,
    Permission,
    Plugin,
    Positive,
    Rest,
    Role,
    Tx,
    UserError,
    group,
    hookimpl,
    requires,
    serial_pk,
    translatable,
)

if TYPE_CHECKING:
    from bot.api import Community, Member

_ = translatable("quotes")

migrations = Migrations("quotes")


@migrations.step(1, "quotes")
async def _create(tx: Tx) -> None:
    await tx.execute(f"CREATE TABLE quotes_quotes (id {serial_pk(tx.dialect)}, community TEXT"
                     " NOT NULL, author_id BIGINT NOT NULL, text TEXT NOT NULL)")


@dataclass(frozen=True)
class QuotesConfig:
    """[plugins.quotes]"""

    max_length: int = 200
    keep: int = 1000
    trim_every: timedelta = timedelta(hours=1)

    def validate(self) -> list[str]:
        problems = []
        if self.max_length < 1:
            problems.append("max_length: must be at least 1")
        if self.keep < 1:
            problems.append("keep: must be at least 1")
        return problems


class Quotes:
    """The rules; one per bot, so `added` counts this bot's quotes only."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.added = 0

    @functools.cached_property
    def defaults(self) -> QuotesConfig:
        """Read on first use: the plugin exists before the config is loaded."""
        return self.bot.plugin_config(QuotesConfig)

    async def add(self, community: str, author: Member, text: str) -> int:
        """Store a quote within the community's length limit; its number."""
        limit = self.bot.plugin_config(QuotesConfig, community).max_length
        if len(text) > limit:
            raise UserError(_("A quote has at most {limit} characters.", limit=limit))

        async def op(tx: Tx) -> int:
            await tx.execute("INSERT INTO quotes_quotes (community, author_id, text)"
                             " VALUES ($1, $2, $3)", community, author.id, text)
            return int(await tx.fetchval("SELECT MAX(id) FROM quotes_quotes"))

        number = await self.bot.db.atomic(op)
        self.added += 1
        return number

    async def show(self, community: str, number: int) -> str:
        text = await self.bot.db.fetchval(
            "SELECT text FROM quotes_quotes WHERE community = $1 AND id = $2", community, number)
        if text is None:
            raise UserError(_("There is no quote {n}.", n=number))
        return str(text)

    async def forget(self, community: str, number: int) -> None:
        await self.bot.db.execute("DELETE FROM quotes_quotes WHERE community = $1 AND id = $2",
                                  community, number)

    async def trim(self) -> int:
        """Keep the newest `keep` quotes; how many went."""
        keep = self.defaults.keep
        before = int(await self.bot.db.fetchval("SELECT COUNT(*) FROM quotes_quotes"))
        await self.bot.db.execute(
            "DELETE FROM quotes_quotes WHERE id NOT IN"
            " (SELECT id FROM quotes_quotes ORDER BY id DESC LIMIT $1)", keep)
        return before - int(await self.bot.db.fetchval("SELECT COUNT(*) FROM quotes_quotes"))


def quotes(ctx: Context) -> Quotes:
    plugin: QuotesPlugin = ctx.plugin
    return plugin.quotes


@group("quote")
async def quote(ctx: Context) -> None:
    """Keep the community's best lines."""
    await ctx.reply(_("Use quote add, show, count or forget."))


@quote.subcommand("add")
async def add(ctx: Context, text: Rest) -> None:
    """Keep a quote."""
    number = await quotes(ctx).add(ctx.community.id, ctx.member, text)
    await ctx.reply(_("Quote {n} kept.", n=number))


@quote.subcommand("show")
async def show(ctx: Context, number: Positive) -> None:
    """Show a quote."""
    await ctx.reply(await quotes(ctx).show(ctx.community.id, number))


@quote.subcommand("count")
async def count(ctx: Context) -> None:
    """How many quotes this bot kept since it started."""
    await ctx.reply(_("{n} quotes since start.", n=quotes(ctx).added))


@quote.subcommand("forget")
@requires("quotes.forget")
async def forget(ctx: Context, number: Positive) -> None:
    """Forget a quote (moderators)."""
    await quotes(ctx).forget(ctx.community.id, number)
    await ctx.reply(_("Quote {n} forgotten.", n=number))


class QuotesPlugin(Plugin):
    """One instance per bot, holding its `Quotes`."""

    name = "quotes"
    config_class = QuotesConfig
    migrations = migrations
    commands = (quote,)

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.quotes = Quotes(bot)
        self.joined: list[str] = []

    def permissions(self) -> list[Permission]:
        return [Permission("quotes.forget", Role.MODERATOR, "forget a quote")]

    def jobs(self) -> list[Job]:
        every = self.bot.plugin_config(QuotesConfig).trim_every.total_seconds()

        async def trim(bot: Bot) -> int:
            return await self.quotes.trim()

        return [Job("quotes.trim", trim, every, plugin="quotes")]

    @hookimpl
    async def on_member_join(self, community: Community, member: Member) -> None:
        self.joined.append(member.display_name)


plugin = QuotesPlugin
