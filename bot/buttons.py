"""Buttons on platforms without buttons: each becomes a reaction that runs the same command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Button, IncomingMessage, MessageRef, ReactionEvent

if TYPE_CHECKING:
    from bot.app import Bot

COMMAND_PREFIX = "cmd:"
CACHE_LIMIT = 10_000


class ButtonReactions:
    """Remembers which reaction stands for which button, across restarts (a core table)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._cache: dict[tuple[str, str, str], str | None] = {}

    async def remember(self, ref: MessageRef, buttons: tuple[Button, ...]) -> None:
        """Store emoji → command for buttons the platform shows as reactions."""
        rows = [(ref.platform, ref.id, b.emoji, b.custom_id[len(COMMAND_PREFIX):], self.bot.now())
                for b in buttons if b.emoji and b.custom_id.startswith(COMMAND_PREFIX)]
        if not rows:
            return
        await self.bot.db.executemany(
            "INSERT INTO core_button_reactions (platform, message_id, emoji, command, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform, message_id, emoji) "
            "DO UPDATE SET command = excluded.command",
            rows,
        )
        for platform, message_id, emoji, command, _at in rows:
            self._remember_cached((platform, message_id, emoji), command)

    def _remember_cached(self, key: tuple[str, str, str], command: str | None) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = command

    async def command_for(self, event: ReactionEvent) -> str | None:
        """The command a reaction stands for, or None for an ordinary reaction."""
        key = (event.message.platform, event.message.id, event.emoji)
        if key not in self._cache:
            command = await self.bot.db.fetchval(
                "SELECT command FROM core_button_reactions "
                "WHERE platform = $1 AND message_id = $2 AND emoji = $3",
                *key,
            )
            self._remember_cached(key, command)
        return self._cache[key]

    @staticmethod
    def as_message(event: ReactionEvent, command: str, prefix: str) -> IncomingMessage:
        """The click, as the command typed by the member who reacted."""
        return IncomingMessage(
            ref=MessageRef(event.message.platform, event.room.id, f"button:{event.event_id}"),
            author=event.user,
            room=event.room,
            text=prefix + command,
            reply_to=event.message,
            role=event.role,
            platform_roles=event.platform_roles,
        )
