"""A second matrix-nio client acting as a community member (E2EE capable, own key store)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    Event,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from .synapse import Account

ENCRYPTION = {"type": "m.room.encryption", "state_key": "",
              "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class Member:
    """Syncs in the background, records every timeline event, answers invites."""

    def __init__(self, url: str, account: Account, store: Path, *, auto_join: bool = True) -> None:
        store.mkdir(parents=True, exist_ok=True)
        self.account = account
        self.user_id = account.user_id
        config = AsyncClientConfig(max_timeouts=2, max_timeout_retry_wait_time=0.5,
                                   request_timeout=15, store_sync_tokens=False)
        self.client = AsyncClient(url, account.user_id, store_path=str(store), config=config)
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.events: list[tuple[str, Event]] = []
        self.invites: list[tuple[str, InviteMemberEvent]] = []
        self.auto_join = auto_join
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.client.add_event_callback(self._record, Event)
        self.client.add_event_callback(self._invited, InviteMemberEvent)

    async def _record(self, room: MatrixRoom, event: Event) -> None:
        self.events.append((room.room_id, event))
        async with self._changed:
            self._changed.notify_all()

    async def _invited(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        self.invites.append((room.room_id, event))
        if self.auto_join and event.state_key == self.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def start(self) -> None:
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        first = await self.client.sync(timeout=0, full_state=True)
        assert isinstance(first, SyncResponse), first
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await self.client.sync(timeout=3000)
                if self.client.outgoing_to_device_messages:
                    await self.client.send_to_device_messages()
                if self.client.should_upload_keys:
                    await self.client.keys_upload()
                if self.client.should_query_keys:
                    await self.client.keys_query()
                if self.client.should_claim_keys:
                    await self.client.keys_claim(self.client.get_users_for_key_claiming())
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.2)  # homeserver restarting: keep trying

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()

    # -- acting --------------------------------------------------------------------------------

    async def create_room(self, name: str, *, encrypted: bool = False, invite: tuple[str, ...] = (),
                          levels: dict[str, int] | None = None, is_direct: bool = False) -> str:
        override = {"users": dict(levels)} if levels else None  # room v12: creator is implicit
        response = await self.client.room_create(
            name=name, invite=list(invite), initial_state=[ENCRYPTION] if encrypted else [],
            power_level_override=override, is_direct=is_direct)
        assert isinstance(response, RoomCreateResponse), response
        await self.wait(lambda: response.room_id in self.client.rooms)
        return str(response.room_id)

    async def send(self, room_id: str, content: dict[str, Any],
                   event_type: str = "m.room.message") -> str:
        response = await self.client.room_send(room_id, event_type, content,
                                               ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        return await self.send(room_id, {"msgtype": "m.text", "body": text, **extra})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        return await self.send(room_id, {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": event_id, "key": key}}, "m.reaction")

    async def redact(self, room_id: str, event_id: str) -> None:
        await self.client.room_redact(room_id, event_id)

    async def upload(self, data: bytes) -> str:
        import io

        response, _keys = await self.client.upload(io.BytesIO(data), filesize=len(data))
        assert isinstance(response, UploadResponse), response
        return str(response.content_uri)

    # -- observing ------------------------------------------------------------------------------

    async def wait(self, predicate: Callable[[], Any], within: float = 15.0) -> Any:
        """Until `predicate()` is truthy (re-checked on every event and every 50 ms)."""

        async def poll() -> Any:
            while not (result := predicate()):
                async with self._changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
            return result

        return await asyncio.wait_for(poll(), within)

    def from_user(self, room_id: str, user_id: str, since: int = 0) -> list[Event]:
        return [e for r, e in self.events[since:] if r == room_id and e.sender == user_id]

    async def reply_to(self, room_id: str, event_id: str, sender: str,
                       within: float = 15.0) -> Event:
        """The first message from `sender` replying to `event_id`."""

        def find() -> Event | None:
            for r, e in self.events:
                rel = e.source.get("content", {}).get("m.relates_to", {})
                if (r == room_id and e.sender == sender
                        and rel.get("m.in_reply_to", {}).get("event_id") == event_id):
                    return e
            return None

        return await self.wait(find, within)

    async def ask(self, room_id: str, text: str, bot: str, within: float = 15.0) -> str:
        """Say something and return the body of the bot's reply to it."""
        event_id = await self.say(room_id, text)
        reply = await self.reply_to(room_id, event_id, bot, within)
        return str(reply.source["content"].get("body", ""))

    async def joined(self, room_id: str, user_id: str, within: float = 15.0) -> None:
        def done() -> bool:
            room = self.client.rooms.get(room_id)
            return bool(room and user_id in room.users and not room.users[user_id].invited)

        await self.wait(done, within)
