"""A third-party plugin, installed through the `ruche` entry point like any other."""

from __future__ import annotations

from dataclasses import dataclass

from bot.api import (
    Bot,
    Context,
    Member,
    Migrations,
    Plugin,
    Rest,
    Tx,
    command,
    hookimpl,
    translatable,
)

__version__ = "1.2.3"
_ = translatable("ruche_sample")

migrations = Migrations("sample")


@migrations.step(1, "greetings table")
async def _create(tx: Tx) -> None:
    await tx.execute("CREATE TABLE sample_greetings (member_id BIGINT NOT NULL, text TEXT NOT NULL)")


@dataclass(frozen=True)
class SampleConfig:
    """[plugins.sample]"""

    greeting: str = "Hello"

    def validate(self) -> list[str]:
        return [] if self.greeting.strip() else ["greeting: must not be empty"]


class Greetings:
    """The plugin's per-bot service: the rules, and a count kept in memory between commands."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.welcomed = 0

    async def greet(self, member: Member, text: str) -> int:
        """Store a greeting; return how many there are."""
        await self.bot.db.execute("INSERT INTO sample_greetings (member_id, text) VALUES ($1, $2)",
                                  member.id, text)
        return int(await self.bot.db.fetchval("SELECT COUNT(*) FROM sample_greetings"))


@command("greet", names={"fr": "saluer"})
async def greet(ctx: Context, text: Rest | None = None) -> None:
    """Greet and remember it."""
    plugin: SamplePlugin = ctx.plugin
    count = await plugin.greetings.greet(ctx.member, text or "")
    cfg = ctx.bot.plugin_config(SampleConfig, ctx.community.id)
    await ctx.reply(_("{greeting}, {name}! ({count} greetings so far)",
                      greeting=cfg.greeting, name=ctx.member.display_name, count=count))


class SamplePlugin(Plugin):
    """One instance per bot: it holds the bot's `Greetings`."""

    name = "sample"
    config_class = SampleConfig
    migrations = migrations
    commands = (greet,)

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.greetings = Greetings(bot)

    @hookimpl
    async def on_member_join(self, member: Member) -> None:
        """A core event: count the members who joined while this bot ran."""
        self.greetings.welcomed += 1


plugin = SamplePlugin
