"""After-commit side effects: the plugin's hook events and the authors' notifications."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.api import Text, Tx, translatable
from plugins.ideas.models import CampaignClosed, Idea, IdeaMerged, IdeaStatusChange, status_label

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("ideas")
log = logging.getLogger("ruche.ideas")

_SPECIFIC = {"accepted": "on_idea_accepted", "implemented": "on_idea_implemented"}


async def submitted(bot: Bot, idea: Idea) -> None:
    await bot.hooks.notify("on_idea_submitted", bot=bot, idea=idea)


async def status_changed(bot: Bot, change: IdeaStatusChange) -> None:
    """Emit the generic then the specific event, then send the notices recorded with it."""
    await bot.hooks.notify("on_idea_status_changed", bot=bot, change=change)
    idea = change.idea
    if change.new == "rejected":
        await bot.hooks.notify("on_idea_rejected", bot=bot, idea=idea, reason=change.reason)
    elif change.new in _SPECIFIC:
        await bot.hooks.notify(_SPECIFIC[change.new], bot=bot, idea=idea)
    await bot.outbox.flush("ideas")


async def record_status(bot: Bot, tx: Tx, change: IdeaStatusChange, now: float, *,
                        message: Text | None = None) -> None:
    """In the op that changes the status: the authors' notice (never the actor's) is recorded
    in the outbox, so it is sent at least once whatever happens after the commit."""
    await record_authors(bot, tx, change.idea, message or status_message(change),
                         f"status:{change.old}>{change.new}", now, skip=(change.by_member_id,))


async def record_authors(bot: Bot, tx: Tx, idea: Idea, text: Text, tag: str, now: float, *,
                         skip: Iterable[int | None] = ()) -> None:
    """One outbox notice per author and co-author: a direct message, else a mention in the
    idea's room (never for an anonymous author: only a direct message can reach them)."""
    skipped = set(skip)
    for member_id in dict.fromkeys((idea.author_id, *idea.coauthor_ids)):
        if member_id in skipped:
            continue
        room = None if idea.anonymous and member_id == idea.author_id else idea.room
        await bot.outbox.add(tx, "ideas", f"ideas:{tag}:{idea.id}:{now!r}:{member_id}",
                             community=idea.community, member_id=member_id, room=room,
                             text=text)


def status_message(change: IdeaStatusChange) -> Text:
    """What the authors read when their idea changes status."""
    idea = change.idea
    status = status_label(change.new)
    if change.reason:
        return _("Your idea #{number} “{title}” is now {status}: {reason}",
                 number=idea.number, title=idea.title, status=status, reason=change.reason)
    return _("Your idea #{number} “{title}” is now {status}.",
             number=idea.number, title=idea.title, status=status)


async def tell_authors(bot: Bot, idea: Idea, text: Text | str, *,
                       skip: Iterable[int | None] = ()) -> None:
    """Author and co-authors, by direct message, else a mention in the idea's room.

    An anonymous author is never mentioned in a room: only a direct message can reach them.
    """
    skipped = set(skip)
    for member_id in dict.fromkeys((idea.author_id, *idea.coauthor_ids)):
        if member_id in skipped:
            continue
        room = None if idea.anonymous and member_id == idea.author_id else idea.room
        try:
            await bot.notify_member(idea.community, member_id, text, room)
        except Exception:
            log.exception("could not notify member %s about idea %s", member_id, idea.id,
                          extra={"plugin": "ideas", "community": idea.community})


async def record_feedback_asks(bot: Bot, tx: Tx, idea: Idea, members: Iterable[int],
                               prefix: str) -> None:
    """In the op that marks the idea implemented: each supporter and backer (never an author,
    who cannot rate it) is asked privately, once, how it works for them."""
    authors = {idea.author_id, *idea.coauthor_ids}
    text = _("🛠️ Idea #{number} “{title}”, which you helped along, is implemented. How does "
             "it work for you? Answer with {prefix}idea feedback {number} RATING (1 to 5) and a "
             "comment if you like.", number=idea.number, title=idea.title, prefix=prefix)
    for member_id in dict.fromkeys(members):
        if member_id not in authors:
            await bot.outbox.add(tx, "ideas", f"ideas:feedback-ask:{idea.id}:{member_id}",
                                 community=idea.community, member_id=member_id, text=text)


async def record_merge(bot: Bot, tx: Tx, merge: IdeaMerged, change: IdeaStatusChange,
                       now: float) -> None:
    """In the merge op: a word to the source's authors and to the target's."""
    source, target = merge.source, merge.target
    await record_status(bot, tx, change, now, message=_(
        "Your idea #{number} “{title}” was merged into idea #{target}; its supporters and "
        "comments moved there.", number=source.number, title=source.title,
        target=target.number))
    await record_authors(bot, tx, target, _(
        "Idea #{number} was merged into your idea #{target} “{title}”: it now has "
        "{supporters} supporters.", number=source.number, target=target.number,
        title=target.title, supporters=target.supporters), f"merged:{source.id}", now,
        skip=(merge.by_member_id, source.author_id, *source.coauthor_ids))


async def merged(bot: Bot, merge: IdeaMerged, change: IdeaStatusChange) -> None:
    """The source's status change and the merge event; the notices were recorded with it."""
    await status_changed(bot, change)
    await bot.hooks.notify("on_idea_merged", bot=bot, merge=merge)


async def campaign_closed(bot: Bot, campaign: CampaignClosed) -> None:
    await bot.hooks.notify("on_campaign_closed", bot=bot, campaign=campaign)


async def record_announce(bot: Bot, tx: Tx, idea: Idea, text: Text, tag: str) -> None:
    """A message in the idea's room for changes no command reply covers (poll results)."""
    if idea.room is not None:
        await bot.outbox.add(tx, "ideas", f"ideas:{tag}:{idea.id}", community=idea.community,
                             room=idea.room, text=text)
