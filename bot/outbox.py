"""The announcement outbox: every announcement is delivered at least once, crash or not.

A plugin records what to announce with `bot.outbox.add(tx, …)` inside the transaction that
changes the state it announces, so the intent commits with the fact or not at all. After the
commit it calls `bot.outbox.deliver(keys)`; the `core.outbox` job (at startup, then every
`INTERVAL` seconds) re-drives whatever is still unsent. A delivery takes a lease on the row,
sends, and marks the row sent with the MessageRef it got.

At-least-once, not exactly-once: a process killed after the platform accepted a message and
before the row was marked sent posts it again at the next delivery: no adapter sends
idempotently yet (an edit row, being an edit, is harmless to replay). The MessageRef of each
post is stored with its row (`message_ref`). Leases are owned by a run
(`host/pid/run id`): at startup a run releases the leases of runs on the same host whose pid
is dead or is its own pid (a restarted container often reuses it), so a restart re-drives at
once; leases of other hosts (several processes on one PostgreSQL) wait for their expiry.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.announcement import (
    Announcement,
    decode_ref,
    decode_room,
    decode_text,
    encode_ref,
    encode_room,
    encode_text,
)
from bot.i18n import Text
from bot.model import MessageRef, OutgoingMessage, RoomRef
from bot.storage import Row, Tx

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.outbox")

#: Seconds between two re-drives of unsent announcements by the `core.outbox` job.
INTERVAL = 30.0
#: Seconds a delivery may hold a row before another process may take it over.
LEASE_SECONDS = 120.0
#: A failed delivery is retried after 5 s, 10 s, 20 s… and at least once an hour.
FIRST_RETRY, MAX_RETRY = 5.0, 3600.0
BATCH = 100

_COLUMNS = ("id, namespace, key, community, room, member_id, edit_ref, reply_to, text, "
            "payload, message_ref, attempts")


@dataclass(frozen=True, slots=True)
class RunOwner:
    """Who holds a lease: this host, this pid, this run (a Bot that started)."""

    host: str
    pid: int
    run: str

    def encode(self) -> str:
        return f"{self.host}/{self.pid}/{self.run}"

    @classmethod
    def parse(cls, raw: str) -> RunOwner | None:
        host, _sep, rest = raw.rpartition("/")
        host, _sep2, pid = host.rpartition("/")
        try:
            return cls(host, int(pid), rest)
        except ValueError:
            return None

    @classmethod
    def new(cls) -> RunOwner:
        return cls(socket.gethostname(), os.getpid(), os.urandom(6).hex())


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class Outbox:
    """Records announcements in a plugin's transaction; delivers them after the commit."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.owner = RunOwner.new()

    # -- what plugins call ----------------------------------------------------------------------

    async def add(self, tx: Tx, namespace: str, key: str, *, community: str,
                  room: RoomRef | None = None, member_id: int | None = None,
                  edit: MessageRef | None = None, reply_to: MessageRef | None = None,
                  text: Text | str | None = None,
                  payload: Mapping[str, Any] | None = None) -> str:
        """Record an announcement in `tx`; a key already recorded is kept as it was."""
        if room is None and member_id is None and edit is None:
            raise ValueError(f"announcement {key!r} has nowhere to go")
        rows = [(key, room, reply_to)]
        if room is not None and member_id is None and edit is None:
            rows += [(mirror_key(key, target), target, None)
                     for target in self.mirrors(community, room)]
        for row_key, row_room, row_reply in rows:
            await tx.execute(
                "INSERT INTO core_announcements (namespace, key, community, room, member_id, "
                "edit_ref, reply_to, text, payload, created_at, next_try_at) VALUES ($1, $2, "
                "$3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (key) DO NOTHING",
                namespace, row_key, community, encode_room(row_room), member_id,
                encode_ref(edit), encode_ref(row_reply), encode_text(text),
                json.dumps(dict(payload or {})), self.bot.now())
        return key

    def mirrors(self, community: str, room: RoomRef) -> list[RoomRef]:
        """The community's other announcement rooms a post in `room` is repeated in.

        `[communities.ID] announce_rooms` (default: every entry of `rooms`); entries of a
        platform not running, spaces, and what an adapter says is no room it can post in
        (a Discord guild id) are skipped; the post's own room (or guild) is never repeated."""
        section = self.bot.config.communities.get(community)
        if section is None:
            return []
        targets: list[RoomRef] = []
        for spec in dict.fromkeys(section.announcement_rooms()):
            platform, _sep, room_id = spec.partition(":")
            adapter = self.bot.adapters.get(platform)
            if adapter is None or (platform == room.platform
                                   and room_id in (room.id, room.guild)):
                continue
            is_room = getattr(adapter, "is_room", None)
            if is_room is not None and not is_room(room_id):
                continue
            targets.append(RoomRef(platform, room_id))
        return targets

    async def deliver(self, keys: Iterable[str]) -> int:
        """Send these announcements now (after their commit); returns how many went out."""
        sent = 0
        for key in keys:
            prefix = mirror_key(key, None)
            rows = await self.bot.db.fetch(
                f"SELECT {_COLUMNS} FROM core_announcements WHERE (key = $1 OR "
                "substr(key, 1, $2) = $3) AND sent_at IS NULL ORDER BY id",
                key, len(prefix), prefix)
            for row in rows:
                if await self._deliver(row):
                    sent += 1
        return sent

    async def pending(self, namespace: str | None = None) -> list[Announcement]:
        """Unsent announcements, oldest first (tests, `ruche db check`)."""
        rows = await self.bot.db.fetch(
            f"SELECT {_COLUMNS} FROM core_announcements WHERE sent_at IS NULL "
            "AND ($1 = '' OR namespace = $1) ORDER BY id", namespace or "")
        return [announcement(r) for r in rows]

    def stale_owner(self, raw: str | None) -> bool:
        """Whether a lease owner is a finished run of this host (plugins' own leases too)."""
        if not raw:
            return True
        owner = RunOwner.parse(raw)
        if owner is None or owner.host != self.owner.host or owner.run == self.owner.run:
            return False
        return owner.pid == self.owner.pid or not pid_alive(owner.pid)

    # -- the core job ---------------------------------------------------------------------------

    async def release_stale_leases(self) -> int:
        """At startup: free the rows a dead run of this host held, so they go out at once."""
        rows = await self.bot.db.fetch(
            "SELECT DISTINCT lease_owner FROM core_announcements WHERE sent_at IS NULL "
            "AND lease_owner IS NOT NULL")
        released = 0
        for row in rows:
            if self.stale_owner(row["lease_owner"]):
                released += await self.bot.db.execute(
                    "UPDATE core_announcements SET lease_owner = NULL, lease_until = NULL "
                    "WHERE lease_owner = $1 AND sent_at IS NULL", row["lease_owner"])
        return released

    async def flush(self, namespace: str) -> int:
        """Deliver a namespace's due announcements now (after a commit that recorded some)."""
        return await self.drain(namespace)

    async def drain(self, namespace: str = "") -> int:
        """Deliver every due announcement (the `core.outbox` job); returns how many went out."""
        sent = 0
        last = 0
        while True:
            rows = await self.bot.db.fetch(
                f"SELECT {_COLUMNS} FROM core_announcements WHERE sent_at IS NULL AND id > $1 "
                "AND next_try_at <= $2 AND (lease_until IS NULL OR lease_until < $2) "
                "AND ($4 = '' OR namespace = $4) ORDER BY id LIMIT $3",
                last, self.bot.now(), BATCH, namespace)
            for row in rows:
                last = int(row["id"])
                if await self._deliver(row):
                    sent += 1
            if len(rows) < BATCH:
                return sent

    # -- one delivery ---------------------------------------------------------------------------

    async def _claim(self, row_id: int) -> bool:
        now = self.bot.now()
        return await self.bot.db.execute(
            "UPDATE core_announcements SET lease_owner = $2, lease_until = $3 WHERE id = $1 "
            "AND sent_at IS NULL AND (lease_until IS NULL OR lease_until < $4)",
            row_id, self.owner.encode(), now + LEASE_SECONDS, now) == 1

    async def _deliver(self, row: Row) -> bool:
        item = announcement(row)
        if not await self._claim(item.id):
            return False  # another delivery (this process or another) has it
        try:
            done, ref = await self._send(item)
        except Exception as exc:
            log.exception("announcement %s failed; retried later", item.key,
                          extra={"plugin": item.namespace, "community": item.community})
            delay = min(FIRST_RETRY * 2 ** item.attempts, MAX_RETRY)
            await self.bot.db.execute(
                "UPDATE core_announcements SET attempts = attempts + 1, last_error = $2, "
                "next_try_at = $3, lease_owner = NULL, lease_until = NULL WHERE id = $1",
                item.id, f"{type(exc).__name__}: {exc}"[:500], self.bot.now() + delay)
            return False
        if not done:  # nothing can show it now (platform or plugin missing): later
            await self.bot.db.execute(
                "UPDATE core_announcements SET next_try_at = $2, lease_owner = NULL, "
                "lease_until = NULL WHERE id = $1", item.id, self.bot.now() + INTERVAL)
            return False
        await self.bot.db.execute(
            "UPDATE core_announcements SET sent_at = $2, message_ref = $3, lease_owner = NULL, "
            "lease_until = NULL WHERE id = $1", item.id, self.bot.now(), encode_ref(ref))
        return True

    async def _send(self, item: Announcement) -> tuple[bool, MessageRef | None]:
        """(delivered, what was posted); (False, None) when it cannot be shown yet."""
        bot = self.bot
        message = await self._render(item)
        if message is None:
            return False, None
        if not message.text:
            return True, None  # the plugin says there is nothing to say any more
        if item.member_id is not None:
            await bot.notify_member(item.community, item.member_id, message.text, item.room)
            return True, None  # unreachable members stay unreachable: not retried
        platform = item.edit.platform if item.edit is not None else \
            item.room.platform if item.room is not None else ""
        adapter = bot.adapters.get(platform)
        if adapter is None:
            return False, None
        if item.edit is not None:
            if not adapter.capabilities.edits:
                return True, None  # no edits on this platform: nothing to rewrite
            return True, await bot.edit(item.edit, message)
        assert item.room is not None
        return True, await bot.send(item.room, message)

    async def _render(self, item: Announcement) -> OutgoingMessage | None:
        """The Text it stores, else what the plugin's `render_announcement` returns."""
        content: Any = item.text
        if content is None:
            content = await self.bot.hooks.first("render_announcement", bot=self.bot,
                                                 announcement=item)
        if content is None:
            return None
        if content == "":
            return OutgoingMessage("")
        if isinstance(content, OutgoingMessage):
            if content.reply_to is None and item.reply_to is not None:
                return replace(content, reply_to=item.reply_to)
            return content
        locale = self.bot.communities.get(item.community).locale
        return OutgoingMessage(self.bot.i18n.translate(content, locale), reply_to=item.reply_to)


def mirror_key(key: str, room: RoomRef | None) -> str:
    """The outbox key of an announcement's copy in another room (None: the keys' prefix)."""
    return f"{key}|mirror|" + ("" if room is None else f"{room.platform}:{room.id}")


def announcement(row: Row) -> Announcement:
    """An Announcement from a row selected with the outbox's columns."""
    return Announcement(
        id=int(row["id"]), namespace=row["namespace"], key=row["key"],
        community=row["community"], room=decode_room(row["room"]),
        member_id=None if row["member_id"] is None else int(row["member_id"]),
        edit=decode_ref(row["edit_ref"]), reply_to=decode_ref(row["reply_to"]),
        text=decode_text(row["text"]), payload=json.loads(row["payload"]),
        message_ref=decode_ref(row["message_ref"]), attempts=int(row["attempts"]))
