"""The core's own config sections, with their defaults and range checks."""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_PREFIX_MAX = 5
_ROOM_SPEC = re.compile(r"(?P<platform>[a-z][a-z0-9-]*):(?P<id>\S+)")
_COMMUNITY_ID = re.compile(r"[A-Za-z0-9_-]+")
_SCHEMES = ("sqlite", "postgresql", "postgres")


def _prefix_problems(name: str, prefix: str) -> list[str]:
    """A command prefix must be short and typeable, or nobody can call the bot."""
    if not prefix or prefix != prefix.strip() or any(c.isspace() for c in prefix):
        return [f"{name}: must be non-empty and contain no spaces"]
    if len(prefix) > _PREFIX_MAX:
        return [f"{name}: must be at most {_PREFIX_MAX} characters"]
    return []


@dataclass(frozen=True)
class BotSection:
    """[bot]: identity and the defaults every community inherits."""

    name: str = "Ruche"
    command_prefix: str = "!"
    locale: Literal["en", "fr"] = "en"
    data_dir: str = "data"
    timezone: str = "UTC"

    def validate(self) -> list[str]:
        """Reject values that would only fail later, at the first command or scheduled job."""
        problems = _prefix_problems("command_prefix", self.command_prefix)
        if not self.name.strip():
            problems.append("name: must not be empty")
        if not self.data_dir.strip():
            problems.append("data_dir: must not be empty")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                f"timezone: unknown time zone {self.timezone!r} (use an IANA name like 'Europe/Paris')"
            )
        return problems


@dataclass(frozen=True)
class StorageSection:
    """[storage]: where the single source of truth lives."""

    url: str = "sqlite:///data/ruche.sqlite3"
    connect_timeout: float = 60.0

    def validate(self) -> list[str]:
        """Only SQLite and PostgreSQL are supported; the URL is never echoed (it may hold a password)."""
        problems: list[str] = []
        scheme, sep, rest = self.url.partition("://")
        if not sep or scheme.split("+", 1)[0].lower() not in _SCHEMES or not rest:
            problems.append("url: expected sqlite:///PATH or postgresql://HOST/DB")
        if self.connect_timeout < 0:
            problems.append("connect_timeout: must be 0 (no waiting) or more seconds")
        return problems


@dataclass(frozen=True)
class LoggingSection:
    """[logging]: verbosity and line format (json for log shippers)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


@dataclass(frozen=True)
class ConsoleSection:
    """[platforms.console]: the terminal room, on by default so `ruche run` works with no config."""

    enabled: bool = True
    room: str = "console"
    moderators: list[str] = field(default_factory=lambda: ["operator"])
    admins: list[str] = field(default_factory=lambda: ["operator"])

    def validate(self) -> list[str]:
        """An empty room name could not be addressed by `console:ROOM` room specs."""
        if not self.room.strip() or any(c.isspace() for c in self.room):
            return ["room: must be non-empty and contain no spaces"]
        return []


@dataclass(frozen=True)
class CommunitySection:
    """[communities.ID]: rooms from any platforms that share one ledger, ideas and polls."""

    name: str = ""
    locale: Literal["en", "fr"] | None = None
    prefix: str | None = None
    rooms: list[str] = field(default_factory=list)
    #: Plugins off in this community until an admin's `!plugin enable` (data is kept).
    disabled_plugins: list[str] = field(default_factory=list)
    #: Where announcements (idea status, poll results, funding outcomes, digests) are mirrored;
    #: None = every room in `rooms`, [] = only the room each announcement is made in.
    announce_rooms: list[str] | None = None

    def validate(self) -> list[str]:
        """Room specs are `platform:id`; catch malformed ones before the room map is built."""
        problems: list[str] = []
        if self.prefix is not None:
            problems += _prefix_problems("prefix", self.prefix)
        for spec in self.rooms:
            problems += [f"rooms: {p}" for p in _room_spec_problems(spec)]
        for spec in self.announce_rooms or []:
            problems += [f"announce_rooms: {p}" for p in _room_spec_problems(spec)]
        return problems

    def announcement_rooms(self) -> list[str]:
        """The room specs announcements are mirrored to (`announce_rooms`, else `rooms`)."""
        return list(self.rooms if self.announce_rooms is None else self.announce_rooms)


def _room_spec_problems(spec: str) -> list[str]:
    """Shape checks for the platforms the core knows; other platforms are checked by name later."""
    match = _ROOM_SPEC.fullmatch(spec)
    shown = spec if len(spec) <= 80 else spec[:77] + "..."
    if match is None:
        return [
            f"invalid room {shown!r}; expected PLATFORM:ID like 'discord:123' or 'matrix:!id:server'"
        ]
    platform, room_id = match["platform"], match["id"]
    if platform == "discord" and not (room_id.isascii() and room_id.isdigit()):
        return [f"invalid room {shown!r}; a Discord room is the numeric guild id"]
    # Room v12 ids have no server part (`!hash`); aliases always do (`#name:server`).
    if platform in ("matrix", "matrix-space") and (
        room_id[0] not in "!#" or (room_id[0] == "#" and ":" not in room_id)
    ):
        return [f"invalid room {shown!r}; expected a Matrix id like '!abc:example.org'"]
    return []


@dataclass(frozen=True)
class HooksSection:
    """[hooks]: how long one plugin's hook may run before the core gives up on it."""

    timeout: float = 10.0

    def validate(self) -> list[str]:
        """A zero or negative timeout would cancel every hook."""
        return [] if self.timeout > 0 else ["timeout: must be greater than 0"]


#: Top-level tables the core itself reads; adapters and plugins add theirs through schemas.
CORE_SECTIONS = frozenset(
    {"bot", "storage", "logging", "platforms", "plugins", "communities", "hooks", "limits"}
)
#: Core-owned sections by dotted path, for docs and the example-file test.
CORE_SCHEMAS: Mapping[str, type] = types.MappingProxyType(
    {
        "bot": BotSection,
        "storage": StorageSection,
        "logging": LoggingSection,
        "platforms.console": ConsoleSection,
        "communities.*": CommunitySection,
        "hooks": HooksSection,
    }
)

# --------------------------------------------------------------------------- conversion engine


