"""A third-party plugin, installed through the `ruche` entry point like any other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.api import Context, Migrations, Rest, Tx, command, hookimpl, translatable

__version__ = "1.2.3"
_ = translatable("ruche_sample")

migrations = Migrations("sample")


@migrations.step(1, "greetings table")
async def _create(tx: Tx) -> None:
    await tx.execute("CREATE TABLE sample_greetings (member_id BIGINT NOT NULL, text TEXT NOT NULL)")


@dataclass
class SampleConfig:
    """[plugins.sample]"""

    greeting: str = "Hello"

    def validate(self) -> list[str]:
        return [] if self.greeting.strip() else ["greeting must not be empty"]


@command("greet")
async def greet(ctx: Context, text: Rest | None = None) -> None:
    """Greet and remember it."""
    cfg = ctx.bot.plugin_config("sample", ctx.community.id)
    await ctx.bot.db.execute("INSERT INTO sample_greetings (member_id, text) VALUES ($1, $2)",
                             ctx.member.id, text or "")
    count = await ctx.bot.db.fetchval("SELECT COUNT(*) FROM sample_greetings")
    await ctx.reply(_("{greeting}, {name}! ({count} greetings so far)",
                      greeting=cfg.greeting, name=ctx.member.display_name, count=count))


class SamplePlugin:
    @hookimpl
    def register_config(self, bot: Any) -> dict[str, type]:
        return {"plugins.sample": SampleConfig}

    @hookimpl
    def register_migrations(self, bot: Any) -> Migrations:
        return migrations

    @hookimpl
    def register_commands(self, bot: Any) -> list[Any]:
        return [greet]


plugin = SamplePlugin()
