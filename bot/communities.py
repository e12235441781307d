"""Which community a room belongs to, and each community's language and prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Community, RoomRef

if TYPE_CHECKING:
    from bot.app import Bot


class Communities:
    """Room → community map from `[communities.*]`, with per-community chat overrides."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._room_map: dict[str, str] = {}
        self._cache: dict[str, Community] = {}
        #: Communities seen before a config reload emptied the cache, still known.
        self._seen: set[str] = set()
        self.reload()

    def reload(self) -> None:
        """Rebuild the room map from the config and forget cached communities (config reload)."""
        self._room_map = {spec: cid for cid, section in self.bot.config.communities.items()
                          for spec in section.rooms}
        self._seen |= set(self._cache)
        self._cache = {}

    def id_for(self, room: RoomRef) -> str:
        """Configured community of a room, else one community per guild/room by default."""
        keys = [f"{room.platform}:{room.id}"]
        if room.guild:
            keys += [f"{room.platform}:{room.guild}", f"{room.platform}-space:{room.guild}"]
        for key in keys:
            if key in self._room_map:
                return self._room_map[key]
        if room.platform == "console":
            return "console"
        if room.guild:
            return f"{room.platform}:{room.guild}"
        return f"{room.platform}:{room.id}"

    def for_room(self, room: RoomRef) -> Community:
        return self.get(self.id_for(room))

    def get(self, community_id: str) -> Community:
        """The community with its effective locale and prefix (config, then chat overrides)."""
        cached = self._cache.get(community_id)
        if cached is not None:
            return cached
        cfg = self.bot.config
        section = cfg.communities.get(community_id)
        overrides = self.bot.settings.overrides(community_id)
        locale = str(overrides.get("bot.locale") or cfg.community_locale(community_id))
        prefix = str(overrides.get("bot.command_prefix") or cfg.community_prefix(community_id))
        name = (section.name if section and section.name else community_id)
        community = Community(community_id, name, locale, prefix)
        self._cache[community_id] = community
        return community

    def known_ids(self) -> list[str]:
        return sorted(set(self._room_map.values()) | set(self._cache) | self._seen)

    def invalidate(self, community_id: str) -> None:
        self._cache.pop(community_id, None)
