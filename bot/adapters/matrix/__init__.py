"""The Matrix platform plugin: config schema, migrations, and the adapter built only when configured.

The package's entry point (`DEFAULT_PLUGINS["matrix"]`), like a Home Assistant component: the
plugin and `[platforms.matrix]` live here, the adapter in the modules beside it. This module must
stay importable without matrix-nio (cold start of the console bot, and a meta-test asserting
`import bot.app` loads no `nio`): `adapter.py`, and nio with it, is imported lazily.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot import hookimpl
from bot.config import Secret
from bot.plugin import Plugin
from bot.storage import Migrations, Tx

if TYPE_CHECKING:
    from bot.app import Bot


USER_ID = re.compile(r"@[^:\s]+:\S+")
#: `!id:server`, a room v12 id without server (`!hash`), or an alias `#name:server`.
ROOM_ID = re.compile(r"![^:\s]+(?::\S+)?|#[^:\s]+:\S+")
TRUSTED_DEVICE = re.compile(r"(@[^:\s]+:\S+)\s+([A-Za-z0-9_\-]+)(?:\s+([A-Za-z0-9+/=]+))?")

TrustPolicy = Literal["tofu", "all", "verified-only"]


@dataclass(frozen=True)
class MatrixConfig:
    """[platforms.matrix]: one bot account on one homeserver (see docs/matrix.md)."""

    homeserver: str = ""
    user_id: str = ""
    access_token: Secret | None = None
    password: Secret | None = None
    device_name: str = "Ruche"
    #: Where the session (device id, token from a password login) and E2EE keys live;
    #: "" means `<[bot] data_dir>/matrix`.
    store_dir: str = ""
    encryption: bool = True
    #: Passphrase that encrypts the E2EE key store at rest.
    pickle_key: Secret | None = None
    #: Unknown devices: "tofu" trusts a device the first time it is seen (a later key change is
    #: refused), "all" shares keys with every device without trusting it, "verified-only" shares
    #: keys only with `trusted_devices`.
    trust: TrustPolicy = "tofu"
    #: "@user:server DEVICEID [ED25519KEY]" entries, trusted under every policy.
    trusted_devices: list[str] = field(default_factory=list)
    #: Invites accepted automatically: glob patterns on the inviter ("*", "@*:example.org").
    auto_join: list[str] = field(default_factory=list)
    #: Rooms (ids or aliases) joined at startup.
    rooms: list[str] = field(default_factory=list)
    #: Spaces whose child rooms form one community (RoomRef.guild = the space id).
    spaces: list[str] = field(default_factory=list)
    moderator_power_level: int = 50
    admin_power_level: int = 100
    #: Other bots in the rooms: never counted as voters, tippers or supporters.
    ignore_users: list[str] = field(default_factory=list)
    #: Bot messages as m.notice (the Matrix convention for bots, so other bots never answer them).
    notices: bool = True
    sync_timeout: timedelta = timedelta(seconds=30)
    request_timeout: timedelta = timedelta(seconds=30)
    #: Connection failures tolerated inside one request before the sync loop backs off.
    max_timeouts: int = 3
    #: Ceiling of the reconnect backoff (1 s, 2 s, 4 s… up to this).
    max_backoff: timedelta = timedelta(seconds=60)
    #: Rate-limited (429) requests retried after the server's retry_after_ms.
    rate_limit_retries: int = 5
    #: Timeline events per room fetched by a sync (the first one after a restart: catch_up_messages).
    timeline_limit: int = 50
    #: After a restart: the newest messages per room read back (0: none), and their age bound.
    catch_up_messages: int = 100
    catch_up_age: timedelta = timedelta(hours=1)

    def validate(self) -> list[str]:
        """Catch at check-config what would otherwise fail at the first login attempt."""
        problems: list[str] = []
        if not re.fullmatch(r"https?://\S+", self.homeserver):
            problems.append("homeserver: expected an http(s):// URL like https://matrix.example.org")
        if not USER_ID.fullmatch(self.user_id):
            problems.append("user_id: expected a Matrix user id like @ruche:example.org")
        if self.access_token is None and self.password is None:
            problems.append("access_token: set access_token (or password) for the bot account")
        if not 0 <= self.moderator_power_level <= self.admin_power_level:
            problems.append("moderator_power_level: must be between 0 and admin_power_level")
        for spec in self.trusted_devices:
            if not TRUSTED_DEVICE.fullmatch(spec.strip()):
                problems.append(f"trusted_devices: {spec[:60]!r} is not '@user:server DEVICEID'")
        for key, rooms in (("rooms", self.rooms), ("spaces", self.spaces)):
            problems += [f"{key}: {room[:60]!r} is not a room id (!id:server) or alias"
                         for room in rooms if not ROOM_ID.fullmatch(room)]
        for name, value in (("sync_timeout", self.sync_timeout),
                            ("request_timeout", self.request_timeout),
                            ("max_backoff", self.max_backoff)):
            if value.total_seconds() <= 0:
                problems.append(f"{name}: must be greater than 0")
        if self.max_timeouts < 0:
            problems.append("max_timeouts: must not be negative")
        if self.rate_limit_retries < 0:
            problems.append("rate_limit_retries: must not be negative")
        if not 1 <= self.timeline_limit <= 1000:
            problems.append("timeline_limit: must be between 1 and 1000")
        if not 0 <= self.catch_up_messages <= 1000:
            problems.append("catch_up_messages: must be between 0 (off) and 1000")
        if self.catch_up_age.total_seconds() < 0:
            problems.append("catch_up_age: must not be negative")
        return problems

    def store_path(self, data_dir: str) -> Path:
        """One directory per account, so two bots sharing a data dir never mix their keys."""
        base = Path(self.store_dir) if self.store_dir else Path(data_dir) / "matrix"
        return base / re.sub(r"[^A-Za-z0-9_.\-]", "_", self.user_id.lstrip("@"))


migrations = Migrations("matrix")


@migrations.step(1, "sync token, reactions, direct rooms, polls")
async def _initial(tx: Tx) -> None:
    await tx.execute(
        "CREATE TABLE matrix_sync (account TEXT PRIMARY KEY, next_batch TEXT NOT NULL,"
        " updated_at REAL NOT NULL)"
    )
    # A redaction only names the event it removes: keep what each reaction was about.
    await tx.execute(
        "CREATE TABLE matrix_reactions (event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL,"
        " target_id TEXT NOT NULL, emoji TEXT NOT NULL, sender TEXT NOT NULL,"
        " target_sender TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL)"
    )
    await tx.execute(
        "CREATE TABLE matrix_direct_rooms (account TEXT NOT NULL, user_id TEXT NOT NULL,"
        " room_id TEXT NOT NULL, PRIMARY KEY (account, user_id))"
    )
    await tx.execute(
        "CREATE TABLE matrix_polls (event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL,"
        " sender TEXT NOT NULL, answers TEXT NOT NULL, max_selections INTEGER NOT NULL,"
        " ended INTEGER NOT NULL DEFAULT 0)"
    )
    await tx.execute(
        "CREATE TABLE matrix_poll_ballots (poll_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " answers TEXT NOT NULL, ts REAL NOT NULL, PRIMARY KEY (poll_id, user_id))"
    )


class MatrixPlugin(Plugin):
    """Registers `[platforms.matrix]`, its tables, and the adapter when the section exists."""

    name = "matrix"
    config_class = MatrixConfig
    config_section = "platforms.matrix"
    migrations = migrations

    @hookimpl
    def register_adapters(self, bot: Bot) -> list[Any]:
        platforms = bot.config.raw.get("platforms", {})
        if not isinstance(platforms, dict) or "matrix" not in platforms:
            return []
        from bot.adapters.matrix.adapter import MatrixAdapter  # nio loads only when Matrix is on

        config = bot.config.section("platforms.matrix", MatrixConfig)
        return [MatrixAdapter(config, data_dir=bot.config.bot.data_dir)]

    @hookimpl
    def on_config_reloaded(self, bot: Bot, changed: list[str]) -> None:
        """Power levels and `ignore_users` apply live (core live keys); the rest at restart."""
        adapter = bot.adapters.get("matrix")
        if adapter is None or not {f"platforms.matrix.{key}" for key in POLICY_KEYS} & set(changed):
            return
        from bot.adapters.matrix.adapter import MatrixAdapter

        if isinstance(adapter, MatrixAdapter):
            adapter.apply_policy(bot.config.section("platforms.matrix", MatrixConfig))


#: The keys of `[platforms.matrix]` a config reload applies.
POLICY_KEYS = ("moderator_power_level", "admin_power_level", "ignore_users")


plugin = MatrixPlugin
