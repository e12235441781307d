"""Everything the bot sends to Matrix: rate-limit retries, E2EE preparation, DMs, uploads, polls."""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    ErrorResponse,
    MegolmEvent,
    OlmUnverifiedDeviceError,
    RoomCreateResponse,
    RoomGetEventResponse,
    RoomPreset,
    RoomSendResponse,
    UploadResponse,
)
from nio.api import RelationshipType
from nio.exceptions import EncryptionError

from bot.adapters.matrix import MatrixConfig
from bot.adapters.matrix.crypto import Trust
from bot.adapters.matrix.render import (
    edit_content,
    file_content,
    poll_end_content,
    poll_start_content,
    reaction_content,
    room_text_content,
    with_relations,
)
from bot.adapters.matrix.store import MatrixStore
from bot.adapters.matrix.translate import parse_poll_start, reaction_record

log = logging.getLogger("ruche.matrix")

T = TypeVar("T")

#: Longest wait the bot accepts from a 429 before giving up on that request.
MAX_RETRY_AFTER = 60.0
ROOM_WAIT = 15.0
#: How long a send to a room the bot just joined waits for the sync that brings it.
JOIN_WAIT = 5.0


class MatrixSendError(Exception):
    """The homeserver refused a request (after rate-limit retries)."""


def retry_after(response: object) -> float | None:
    """Seconds a 429 M_LIMIT_EXCEEDED asks us to wait, or None for any other answer."""
    if isinstance(response, ErrorResponse) and response.status_code in ("M_LIMIT_EXCEEDED", 429):
        return min((response.retry_after_ms or 1000) / 1000, MAX_RETRY_AFTER)
    return None


class LRU(dict[str, str]):
    """A bounded map of recent event ids (threads, senders): old entries fall off."""

    def __init__(self, size: int = 20000) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: str, value: str) -> None:
        self.pop(key, None)
        self[key] = value
        while len(self) > self.size:
            del self[next(iter(self))]


class Sender:
    """Outgoing requests of one account; every call honours 429s and shares E2EE keys first."""

    def __init__(self, config: MatrixConfig, trust: Trust) -> None:
        self.config = config
        self.trust = trust
        self.client: AsyncClient | None = None
        self.store: MatrixStore | None = None
        self.threads = LRU()  # event id → thread root, so replies stay in their thread
        self.senders = LRU()  # event id → sender, for reactions' message_author
        self.aliases: Callable[[str], dict[str, str]] = lambda room_id: {}
        self._prepare_lock = asyncio.Lock()
        self._dm_lock = asyncio.Lock()

    @property
    def msgtype(self) -> str:
        return "m.notice" if self.config.notices else "m.text"

    def _client(self) -> AsyncClient:
        if self.client is None or not self.client.access_token:
            raise MatrixSendError("not connected to the homeserver yet")
        return self.client

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run one request, sleeping `retry_after_ms` on 429 up to `rate_limit_retries` times."""
        attempts = self.config.rate_limit_retries
        while True:
            response = await request()
            wait = retry_after(response)
            if wait is None or attempts <= 0:
                return response
            attempts -= 1
            log.warning("matrix: rate limited, retrying in %.1fs", wait)
            await asyncio.sleep(wait)

    async def _prepare(self, room_id: str) -> None:
        """Before an encrypted send: members known, their devices queried, trust applied."""
        client = self._client()
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted or client.olm is None:
            return
        async with self._prepare_lock:
            if not room.members_synced:
                await self.call(lambda: client.joined_members(room_id))
            if client.should_query_keys:
                await self.call(client.keys_query)
            self.trust.apply(client, list(room.users))

    async def room_send(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """Send one event (encrypted where the room is) and return its event id."""
        client = self._client()
        if client.olm is not None and room_id not in client.rooms:
            await self._wait_for(lambda: room_id in client.rooms, f"room {room_id}", JOIN_WAIT)
        for _attempt in range(3):
            await self._prepare(room_id)
            try:
                response = await self.call(lambda: client.room_send(
                    room_id, event_type, content,
                    ignore_unverified_devices=self.trust.share_with_unverified))
            except OlmUnverifiedDeviceError as exc:  # a device appeared during the send
                log.info("matrix: %s", exc)
                continue
            if isinstance(response, RoomSendResponse):
                self.senders.remember(response.event_id, client.user_id)
                return str(response.event_id)
            raise MatrixSendError(f"sending to {room_id} failed: {response}")
        raise MatrixSendError(f"sending to {room_id} failed: devices keep changing")

    # -- messages -------------------------------------------------------------------------------

    def content(self, room_id: str, text: str) -> dict[str, Any]:
        return room_text_content(text, lambda: self.aliases(room_id), msgtype=self.msgtype)

    async def send_text(self, room_id: str, text: str, *, reply_to: str | None = None,
                        thread_of: str | None = None) -> str:
        """A message, replying and threading like the message it answers."""
        root = None
        if thread_of:
            root = self.threads.get(thread_of, thread_of)
        elif reply_to:
            root = self.threads.get(reply_to)
        content = with_relations(self.content(room_id, text), reply_to=reply_to,
                                 thread_root=root)
        event_id = await self.room_send(room_id, "m.room.message", content)
        if root:
            self.threads.remember(event_id, root)
        return event_id

    async def edit(self, room_id: str, event_id: str, text: str) -> None:
        content = edit_content(event_id, self.content(room_id, text))
        await self.room_send(room_id, "m.room.message", content)

    async def react(self, room_id: str, event_id: str, emoji: str) -> None:
        await self.room_send(room_id, "m.reaction", reaction_content(event_id, emoji))

    async def send_file(self, room_id: str, filename: str, data: bytes, caption: str) -> str:
        """Upload (encrypted in an E2EE room) then post the file message."""
        client = self._client()
        room = client.rooms.get(room_id)
        encrypt = bool(room is not None and room.encrypted and client.olm is not None)
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response, keys = await self.call(lambda: client.upload(
            io.BytesIO(data), content_type=mimetype, filename=filename, encrypt=encrypt,
            filesize=len(data)))
        if not isinstance(response, UploadResponse):
            raise MatrixSendError(f"upload of {filename} failed: {response}")
        if encrypt and keys is not None:
            encrypted = dict(keys)
            encrypted["url"] = response.content_uri
            content = file_content(filename, len(data), mimetype, caption, encrypted=encrypted)
        else:
            content = file_content(filename, len(data), mimetype, caption,
                                   url=response.content_uri)
        return await self.room_send(room_id, "m.room.message", content)

    async def send_poll(self, room_id: str, question: str, options: list[str],
                        max_selections: int = 1) -> str:
        """A native MSC3381 poll whose answers are "1".."N"; responses become keycap reactions."""
        content = poll_start_content(question, options, max_selections)
        event_id = await self.room_send(room_id, "org.matrix.msc3381.poll.start", content)
        poll = parse_poll_start({"type": "org.matrix.msc3381.poll.start", "event_id": event_id,
                                 "sender": self._client().user_id, "content": content}, room_id)
        if poll is not None and self.store is not None:
            await self.store.save_poll(poll)
        return event_id

    async def end_poll(self, room_id: str, poll_id: str, text: str) -> None:
        """Close a poll: clients show it ended, and responses after it no longer count."""
        await self.room_send(room_id, "org.matrix.msc3381.poll.end", poll_end_content(poll_id, text))
        if self.store is not None:
            await self.store.end_poll(poll_id)

    async def annotations(self, room_id: str, event_id: str) -> list[tuple[str, str]]:
        """(emoji, sender) of the reactions currently on an event (redacted ones are gone)."""
        client = self._client()
        found: list[tuple[str, str]] = []
        try:
            async for event in client.room_get_event_relations(
                    room_id, event_id, RelationshipType.annotation):
                if isinstance(event, MegolmEvent) and client.olm is not None:
                    try:
                        event = client.decrypt_event(event)
                    except EncryptionError:
                        continue
                record = reaction_record(getattr(event, "source", {}), room_id)
                if record is not None:
                    found.append((record.emoji, record.sender))
        except AttributeError:  # an error response ends nio's iterator this way
            raise MatrixSendError(f"cannot list the reactions on {event_id}") from None
        return found

    # -- lookups --------------------------------------------------------------------------------

    async def sender_of(self, room_id: str, event_id: str) -> str:
        """Who sent an event (to tell whose message a reaction is on); "" if unknown."""
        known = self.senders.get(event_id)
        if known is not None:
            return known
        client = self._client()
        response = await self.call(lambda: client.room_get_event(room_id, event_id))
        if isinstance(response, RoomGetEventResponse):
            sender = str(getattr(response.event, "sender", "") or "")
            if sender:
                self.senders.remember(event_id, sender)
            return sender
        return ""

    async def direct_room(self, user_id: str) -> str:
        """The DM room with a user: the one we made before if still joined, else a new one."""
        if self.store is None:
            raise MatrixSendError("not started")
        client = self._client()
        async with self._dm_lock:
            room_id = await self.store.direct_room(user_id)
            if room_id and room_id in client.rooms:
                return room_id
            initial = [{"type": "m.room.encryption", "state_key": "",
                        "content": {"algorithm": "m.megolm.v1.aes-sha2"}}] \
                if self.config.encryption and client.olm is not None else []
            response = await self.call(lambda: client.room_create(
                is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat,
                initial_state=initial))
            if not isinstance(response, RoomCreateResponse):
                raise MatrixSendError(f"could not open a direct chat with {user_id}: {response}")
            room_id = str(response.room_id)
            await self.store.save_direct_room(user_id, room_id)
        await self._wait_for_member(room_id, user_id)
        return room_id

    async def _wait_for_member(self, room_id: str, user_id: str) -> None:
        """A new DM is usable once a sync brought its state with the invite: before that, the
        room key of an encrypted DM would be shared with nobody."""
        client = self._client()
        await self._wait_for(
            lambda: room_id in client.rooms and user_id in client.rooms[room_id].users,
            f"direct room {room_id}", ROOM_WAIT)

    @staticmethod
    async def _wait_for(ready: Callable[[], bool], what: str, within: float) -> None:
        """Until the sync loop brought some state (it runs on while handlers wait)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not ready():
            if loop.time() > deadline:
                raise MatrixSendError(f"{what} did not arrive in a sync")
            await asyncio.sleep(0.05)
