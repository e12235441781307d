"""How the Matrix adapter reads a sync: timeline events to the core, invites, spaces, late keys.

A mixin of `MatrixAdapter` (adapter.py), split out to keep both modules small: this half turns
what nio parsed into calls of `bot.dispatch_*`, through the pure translation layer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, ClassVar

from nio import (
    AsyncClient,
    InviteMemberEvent,
    MatrixRoom,
    MegolmEvent,
    SpaceGetHierarchyResponse,
    SyncResponse,
)
from nio.exceptions import EncryptionError

from bot.adapters.matrix import MatrixConfig
from bot.adapters.matrix.crypto import Trust
from bot.adapters.matrix.sender import MatrixSendError, Sender
from bot.adapters.matrix.store import MatrixStore
from bot.adapters.matrix.translate import (
    PLATFORM,
    Invite,
    MatrixRaw,
    Policy,
    ReactionRecord,
    RoomView,
    ballot_reactions,
    event_kind,
    invite_for,
    parse_poll_response,
    parse_poll_start,
    poll_reference,
    reaction_record,
    redacted_id,
    selection,
    to_deleted,
    to_join,
    to_leave,
    to_message,
    to_reaction,
    tombstone_successor,
)
from bot.model import RoomMoved, RoomRef

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.matrix")

#: An undecryptable event is retried after each sync this long (its key may come late).
UNDECRYPTED_TTL = 600.0


class Names(Mapping[str, str]):
    """Display names of a room's members, read on demand from nio's room state."""

    def __init__(self, room: MatrixRoom | None) -> None:
        self.room = room

    def __getitem__(self, user_id: str) -> str:
        user = self.room.users.get(user_id) if self.room is not None else None
        if user is None or not user.display_name or user.display_name == user_id:
            raise KeyError(user_id)
        return str(user.display_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.room.users if self.room is not None else ())

    def __len__(self) -> int:
        return len(self.room.users) if self.room is not None else 0


class MatrixEvents:
    """Incoming side of the adapter; `MatrixAdapter.__init__` sets every attribute below."""

    bot: Bot
    config: MatrixConfig
    policy: Policy
    trust: Trust
    sender: Sender
    client: AsyncClient | None
    store: MatrixStore | None
    _direct: set[str]
    _space_of: dict[str, str]
    _creators: dict[str, frozenset[str]]
    _undecrypted: dict[str, tuple[str, MegolmEvent, float]]
    _requested_keys: set[str]
    _background: set[asyncio.Future[None]]

    def _client(self) -> AsyncClient:
        if self.client is None:
            raise MatrixSendError("not connected")
        return self.client

    def _space_ids(self) -> list[str]:
        specs = [spec.split(":", 1)[1] for section in self.bot.config.communities.values()
                 for spec in section.rooms if spec.startswith("matrix-space:")]
        return list(dict.fromkeys([*self.config.spaces, *specs]))

    # -- events ---------------------------------------------------------------------------------

    def space_of(self, room_id: str) -> str:
        """The configured space a room belongs to: live from the space's children (or the
        room's parents) when the bot is in them, else from the hierarchy read at connection."""
        rooms = self.client.rooms if self.client is not None else {}
        room = rooms.get(room_id)
        for space in self._space_ids():
            if space in rooms and room_id in rooms[space].children:
                return space
            if room is not None and space in room.parents:
                return space
        return self._space_of.get(room_id, "")

    def view(self, room_id: str) -> RoomView:
        """What translation needs about a room, from nio's current state."""
        room = self.client.rooms.get(room_id) if self.client is not None else None
        if room is None:
            return RoomView(room_id, space=self.space_of(room_id),
                            is_direct=room_id in self._direct)
        levels = room.power_levels
        return RoomView(
            room_id, name=room.display_name, space=self.space_of(room_id),
            is_direct=room_id in self._direct, levels=levels.users,
            default_level=int(levels.defaults.users_default), names=Names(room),
            encrypted=bool(room.encrypted), creators=self._creators.get(room_id, frozenset()),
        )

    async def _event(self, room_id: str, event: Any) -> None:
        """One timeline event: translated, then handed to the core (or kept for our own maps)."""
        if isinstance(event, MegolmEvent):
            self._defer_undecrypted(room_id, event)
            return
        source = getattr(event, "source", None)
        if not isinstance(source, dict):
            return
        sender, event_id = source.get("sender"), source.get("event_id")
        if isinstance(sender, str) and isinstance(event_id, str):
            self.sender.senders.remember(event_id, sender)
        if sender == self.config.user_id:
            return
        if self.client is not None and not await self.trust.sender_trusted(self.client, event):
            log.info("matrix: ignoring %s from an untrusted device of %s", event_id, sender)
            return
        kind = event_kind(source)
        handler = self._handlers.get(kind)
        if handler is not None:
            await handler(self, room_id, source)

    async def _on_message(self, room_id: str, source: dict[str, Any]) -> None:
        message = to_message(source, self.view(room_id), self.policy)
        if message is None:
            return
        raw = message.raw
        if isinstance(raw, MatrixRaw):
            if raw.thread_root:
                self.sender.threads.remember(message.ref.id, raw.thread_root)
            prefix = self.bot.communities.for_room(message.room).prefix
            if raw.msgtype == "m.notice" and message.text.lstrip().startswith(prefix):
                return  # notices come from bots; answering them makes bot loops
        await self.bot.dispatch_message(message)

    async def _on_reaction(self, room_id: str, source: dict[str, Any]) -> None:
        record = reaction_record(source, room_id)
        if record is None or self.store is None:
            return
        target_sender = await self.sender.sender_of(room_id, record.target_id)
        record = ReactionRecord(record.event_id, room_id, record.target_id, record.emoji,
                                record.sender, target_sender)
        await self.store.add_reaction(record)
        await self.bot.dispatch_reaction(to_reaction(record, self.view(room_id), self.policy))

    async def _on_redaction(self, room_id: str, source: dict[str, Any]) -> None:
        target = redacted_id(source)
        if target is None or self.store is None:
            return
        record = await self.store.pop_reaction(target)
        if record is not None:  # a reaction ballot or tip taken back: a removal
            await self.bot.dispatch_reaction(to_reaction(
                record, self.view(room_id), self.policy, added=False,
                event_id=str(source.get("event_id", ""))))
            return
        deleted = to_deleted(source, self.view(room_id), self.policy)
        if deleted is not None:
            await self.bot.dispatch_deleted(deleted)

    async def _on_poll_start(self, room_id: str, source: dict[str, Any]) -> None:
        poll = parse_poll_start(source, room_id)
        if poll is not None and self.store is not None:
            await self.store.save_poll(poll)

    async def _on_poll_response(self, room_id: str, source: dict[str, Any]) -> None:
        """A ballot from a native poll: reported as the keycap reactions it adds and removes."""
        response = parse_poll_response(source)
        if response is None or self.store is None:
            return
        known = await self.store.poll(response.poll_id)
        if known is None or known[1]:  # unknown poll, or ended: responses no longer count
            return
        poll = known[0]
        previous = await self.store.swap_ballot(response, selection(response, poll))
        if previous is None:
            return
        for reaction in ballot_reactions(response, poll, previous, self.view(room_id),
                                         self.policy):
            await self.bot.dispatch_reaction(reaction)

    async def _on_poll_end(self, room_id: str, source: dict[str, Any]) -> None:
        poll_id = poll_reference(source)
        if poll_id is None or self.store is None:
            return
        known = await self.store.poll(poll_id)
        if known is not None and known[0].sender == source.get("sender"):
            await self.store.end_poll(poll_id)

    async def _on_member(self, room_id: str, source: dict[str, Any]) -> None:
        join = to_join(source, self.view(room_id), self.policy)
        if join is not None:
            await self.bot.dispatch_join(join)
            return
        leave = to_leave(source, self.view(room_id), self.policy)
        if leave is not None:
            await self.bot.dispatch_leave(leave)

    async def _on_tombstone(self, room_id: str, source: dict[str, Any]) -> None:
        """A room upgrade: join the successor, which takes the old room's community."""
        successor = tombstone_successor(source)
        if successor is None or successor == room_id:
            return
        old = self.view(room_id).ref()
        client = self._client()
        response = await self.sender.call(lambda: client.join(successor))
        if getattr(response, "room_id", None) != successor:
            log.warning("matrix: room %s was upgraded to %s, which the bot could not join: %s; "
                        "invite the bot there", room_id, successor, response)
        else:
            log.info("matrix: room %s was upgraded; joined %s", room_id, successor)
        await self.bot.dispatch_room_moved(RoomMoved(old, RoomRef(PLATFORM, successor, old.name,
                                                                  self.space_of(successor)
                                                                  or old.guild)))

    _handlers: ClassVar[dict[str, Callable[[MatrixEvents, str, dict[str, Any]], Awaitable[None]]]] = {
        "message": _on_message,
        "reaction": _on_reaction,
        "redaction": _on_redaction,
        "poll.start": _on_poll_start,
        "poll.response": _on_poll_response,
        "poll.end": _on_poll_end,
        "member": _on_member,
        "tombstone": _on_tombstone,
    }

    # -- undecryptable events -------------------------------------------------------------------

    def _defer_undecrypted(self, room_id: str, event: MegolmEvent) -> None:
        """Its room key may arrive in a later sync: keep it, and ask the sender's devices."""
        self._undecrypted.setdefault(event.event_id, (room_id, event, time.monotonic()))
        client = self.client
        if client is not None and event.session_id not in self._requested_keys:
            self._requested_keys.add(event.session_id)
            self._spawn(self._request_key(client, event))

    async def _request_key(self, client: AsyncClient, event: MegolmEvent) -> None:
        try:
            await client.request_room_key(event)
        except Exception:  # already requested, or the homeserver is away: the TTL covers it
            log.debug("matrix: room key request failed", exc_info=True)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """A fire-and-forget task kept referenced until it ends."""
        future = asyncio.ensure_future(coro)
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    def _retry_undecrypted(self) -> dict[str, list[Any]]:
        """Events whose keys came since: decrypted now, grouped by room."""
        client = self.client
        found: dict[str, list[Any]] = {}
        if client is None or client.olm is None:
            return found
        now = time.monotonic()
        for event_id, (room_id, event, since) in list(self._undecrypted.items()):
            try:
                decrypted = client.decrypt_event(event)
            except EncryptionError:
                if now - since > UNDECRYPTED_TTL:
                    log.warning("matrix: no key arrived for %s in %s; dropped", event_id, room_id)
                    del self._undecrypted[event_id]
                continue
            del self._undecrypted[event_id]
            found.setdefault(room_id, []).append(decrypted)
        return found

    # -- invites and spaces ---------------------------------------------------------------------

    def _invites(self, response: SyncResponse) -> list[Invite]:
        invites = []
        for room_id, info in response.rooms.invite.items():
            for event in info.invite_state:
                if isinstance(event, InviteMemberEvent):
                    source = {"type": "m.room.member", "state_key": event.state_key,
                              "sender": event.sender, "content": event.content}
                    invite = invite_for(source, room_id, self.config.user_id)
                    if invite is not None:
                        invites.append(invite)
        return invites

    async def _on_invite(self, invite: Invite) -> None:
        """Join when the inviter matches `auto_join`; a direct invite marks the room as a DM."""
        if not any(fnmatchcase(invite.inviter, pattern) for pattern in self.config.auto_join):
            log.info("matrix: invite to %s from %s ignored (not in auto_join)",
                     invite.room_id, invite.inviter)
            return
        client = self._client()
        response = await self.sender.call(lambda: client.join(invite.room_id))
        if getattr(response, "room_id", None) != invite.room_id:
            log.warning("matrix: could not join %s: %s", invite.room_id, response)
            return
        log.info("matrix: joined %s (invited by %s)", invite.room_id, invite.inviter)
        if invite.is_direct and self.store is not None:
            self._direct.add(invite.room_id)
            await self.store.save_direct_room(invite.inviter, invite.room_id)

    async def _refresh_spaces(self) -> None:
        """Which joined rooms belong to a configured space (RoomRef.guild)."""
        client = self._client()
        mapping: dict[str, str] = {}
        for space in self._space_ids():
            response = await self.sender.call(lambda space=space: client.space_get_hierarchy(  # type: ignore[misc]
                space, max_depth=1))
            if not isinstance(response, SpaceGetHierarchyResponse):
                log.warning("matrix: cannot read space %s: %s", space, response)
                continue
            for room in response.rooms:
                room_id = room.get("room_id") if isinstance(room, dict) else None
                if isinstance(room_id, str) and room_id != space:
                    mapping[room_id] = space
        self._space_of = mapping
