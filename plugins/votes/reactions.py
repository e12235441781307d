"""Reaction ballots on single/approval polls, and reconciling them with a message's reactions.

Adding 1️⃣…🔟 on a poll message casts (single: that option; approval: adds it), removing
withdraws it. The database is the source of truth: tallies never count reactions.

Reconciling needs an adapter that can list a message's reactions. That is an optional
capability, detected by duck typing until the core declares it:

    async def list_reactions(self, ref: MessageRef) -> Mapping[str, Sequence[UserRef]]

(emoji → users who reacted, bots included with `is_bot=True`). For each open poll whose
adapter has it, the sweep replays what it missed while the bot was down: a member whose
reactions differ from a ballot that came from reactions (or who has no ballot) gets the ballot
the reactions say; a reaction ballot with no reaction left is withdrawn; ballots cast with
`!vote` are left alone (a command is a deliberate act). A single-choice member with several
keycaps keeps their stored choice if it is among them, else is left unchanged. The console
and in-memory adapters cannot list, so there the database simply stands.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.api import Community, Member, ReactionEvent, UserError, UserRef
from plugins.votes import store
from plugins.votes.models import Poll
from plugins.votes.render import KEYCAPS

if TYPE_CHECKING:
    from plugins.votes.service import VotesService

log = logging.getLogger("ruche.votes.reactions")

_KEYCAP_INDEX = {k.replace("\ufe0f", ""): i for i, k in enumerate(KEYCAPS)}


def keycap_index(emoji: str) -> int | None:
    """1️⃣ → 0 … 🔟 → 9, with or without the emoji variation selector."""
    return _KEYCAP_INDEX.get(emoji.replace("\ufe0f", ""))


def _decode(choice: str | None) -> list[int]:
    return [] if choice is None else [int(o) for o in json.loads(choice)]


def _encode(options: Sequence[int]) -> str | None:
    return json.dumps(sorted(set(options)), separators=(",", ":")) if options else None


def apply(poll: Poll, previous: str | None, option: int, added: bool) -> str | None:
    """The choice after one reaction change (pure): the core of reaction ballots."""
    current = _decode(previous)
    if poll.method == "single":
        if added:
            return _encode([option])
        return None if current == [option] else previous
    if added:
        if option in current:
            return previous
        if poll.max_choices is not None and len(current) >= poll.max_choices:
            return previous  # one reaction too many: ignored, the ballot stays valid
        return _encode([*current, option])
    remaining = [o for o in current if o != option]
    return previous if remaining == current else _encode(remaining)


async def on_reaction(svc: VotesService, event: ReactionEvent, community: Community,
                      member: Member) -> None:
    """A member's reaction on a poll message (the core never passes bots' reactions)."""
    option = keycap_index(event.emoji)
    if option is None or member.is_bot:
        return
    poll = await svc.poll_for_message(event.message)
    if poll is None or not poll.is_open or not svc.reaction_ballots(poll) \
            or option >= len(poll.options):
        return
    changed = {"value": False}

    def update(previous: str | None) -> str | None:
        new = apply(poll, previous, option, event.added)
        changed["value"] = new != previous
        return new

    try:
        weight = await svc.weight(poll, member.id)
        await svc.write(poll, member.id, update, source="reaction", weight=weight)
    except UserError:
        return  # closed meanwhile: a reaction cannot be answered, and nothing changed
    if changed["value"]:
        await svc.ballot_changed(poll, member.id, withdrawn=not event.added)
    else:
        svc.live.touch(poll.id)  # nothing to show, but the write bumped the revision


def _lister(svc: VotesService, poll: Poll) -> Any:
    if poll.message is None:
        return None
    adapter = svc.bot.adapters.get(poll.message.platform)
    if adapter is None or not adapter.capabilities.list_reactions:
        return None  # an adapter that cannot list must never look like "nobody reacted"
    return getattr(adapter, "list_reactions", None)


async def reconcile_all(svc: VotesService) -> None:
    """Reconcile every open reaction poll not yet reconciled by this process."""
    for poll in await store.open_polls(svc.bot.db):
        if poll.id in svc.reconciled or not svc.reaction_ballots(poll):
            continue
        lister = _lister(svc, poll)
        if lister is None:
            continue
        try:
            await reconcile(svc, poll, await lister(poll.message))
            svc.reconciled.add(poll.id)
        except Exception:
            log.exception("reconciling poll %s failed; retried next sweep", poll.id,
                          extra={"plugin": "votes"})


async def reconcile(svc: VotesService, poll: Poll,
                    listed: Mapping[str, Sequence[UserRef]]) -> int:
    """Bring reaction ballots in line with the listed reactions; returns ballots changed."""
    bot = svc.bot
    assert poll.room is not None
    community = bot.communities.for_room(poll.room)
    wanted: dict[int, set[int]] = {}
    for emoji, users in listed.items():
        option = keycap_index(emoji)
        if option is None or option >= len(poll.options):
            continue
        for user in users:
            if user.is_bot:
                continue
            member = await bot.identity.member_for(user, community)
            if not member.is_bot:
                wanted.setdefault(member.id, set()).add(option)
    stored = {int(r["member_id"]): (str(r["choice"]), str(r["source"]))
              for r in await store.reaction_ballots(bot.db, poll.id)}
    changes = 0
    for member_id in sorted(set(wanted) | set(stored)):
        choice, source = stored.get(member_id, (None, "reaction"))
        if source != "reaction":
            continue
        target = _target(poll, choice, wanted.get(member_id, set()))
        if target == choice:
            continue
        await svc.write(poll, member_id, _constant(target), source="reaction",
                        weight=await svc.weight(poll, member_id))
        await svc.ballot_changed(poll, member_id, withdrawn=target is None)
        changes += 1
    return changes


def _constant(choice: str | None) -> Callable[[str | None], str | None]:
    return lambda _previous: choice


def _target(poll: Poll, choice: str | None, options: set[int]) -> str | None:
    """What the reactions say a member's ballot should be (None: no ballot)."""
    if not options:
        return None
    if poll.method == "single":
        if len(options) == 1:
            return _encode(list(options))
        return choice  # several keycaps: keep the stored choice, whatever it is
    if poll.max_choices is not None and len(options) > poll.max_choices:
        return choice
    return _encode(sorted(options))
