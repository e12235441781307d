"""Which community a room belongs to, and each community's language and prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.model import Community, RoomRef

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.storage import Tx


class Communities:
    """Room → community map from `[communities.*]`, with per-community chat overrides."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._room_map: dict[str, str] = {}
        self._cache: dict[str, Community] = {}
        #: Communities seen before a config reload emptied the cache, still known.
        self._seen: set[str] = set()
        #: `platform:new room` → `platform:old room`, from room upgrades (core_room_moves).
        self._moved_from: dict[str, str] = {}
        self.reload()

    async def load_moves(self) -> None:
        """Read upgraded rooms' successors, so a restart keeps them in their community."""
        rows = await self.bot.db.fetch("SELECT platform, old_room, new_room FROM core_room_moves")
        self._moved_from = {f"{r['platform']}:{r['new_room']}": f"{r['platform']}:{r['old_room']}"
                            for r in rows}

    async def move_room(self, old: RoomRef, new: RoomRef) -> str:
        """A room was replaced by a successor: the successor joins the old room's community.

        Stored, so it survives a restart until the operator puts the new room in the config
        (the config wins once it names the new room). Returns the community id."""
        community = self.id_for(old)
        if f"{new.platform}:{new.id}" == f"{old.platform}:{old.id}":
            return community

        async def op(tx: Tx) -> None:
            await tx.execute("DELETE FROM core_room_moves WHERE platform = $1 AND old_room = $2",
                             old.platform, old.id)
            await tx.execute(
                "INSERT INTO core_room_moves (platform, old_room, new_room, moved_at) "
                "VALUES ($1, $2, $3, $4)", old.platform, old.id, new.id, self.bot.now())

        await self.bot.db.atomic(op)
        self._moved_from[f"{new.platform}:{new.id}"] = f"{old.platform}:{old.id}"
        return community

    def reload(self) -> None:
        """Rebuild the room map from the config and forget cached communities (config reload)."""
        self._room_map = {spec: cid for cid, section in self.bot.config.communities.items()
                          for spec in section.rooms}
        self._seen |= set(self._cache)
        self._cache = {}

    def id_for(self, room: RoomRef) -> str:
        """Configured community of a room, else one community per guild/room by default."""
        key = f"{room.platform}:{room.id}"
        if key not in self._room_map and key in self._moved_from:
            platform, _sep, old = self._moved_from[key].partition(":")
            return self._id_for_moved(RoomRef(platform, old, room.name, room.guild), {key})
        keys = [key]
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

    def _id_for_moved(self, old: RoomRef, seen: set[str]) -> str:
        """Follow a chain of upgrades back to a room the config (or the default) knows."""
        key = f"{old.platform}:{old.id}"
        if key in seen or key in self._room_map or key not in self._moved_from:
            return self.id_for(RoomRef(old.platform, old.id, old.name, old.guild)) \
                if key not in seen else f"{old.platform}:{old.id}"
        platform, _sep, older = self._moved_from[key].partition(":")
        return self._id_for_moved(RoomRef(platform, older, old.name, old.guild), seen | {key})

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
