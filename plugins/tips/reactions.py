"""Tip by reaction: the community's emoji on someone's message tips its author."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import Community, Member, MessageRef, ReactionEvent, UserError, translatable

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.tips.service import TipsService

_ = translatable("tips")

TIP_PERMISSION = "tips.tip"
_VARIATION_SELECTORS = dict.fromkeys((0xFE0E, 0xFE0F))


def same_emoji(a: str, b: str) -> bool:
    """🪙 and 🪙︎ are the same reaction: platforms differ in variation selectors."""
    return a.strip().translate(_VARIATION_SELECTORS) == b.strip().translate(_VARIATION_SELECTORS)


def message_link(bot: Bot, ref: MessageRef) -> str:
    """A link to the message when the adapter can make one, else a platform-neutral reference."""
    adapter = bot.adapters.get(ref.platform)
    make = getattr(adapter, "message_link", None)
    if callable(make):
        try:
            link = make(ref)
        except Exception:
            link = None
        if isinstance(link, str) and link:
            return link
    return f"{ref.platform}:{ref.room_id}/{ref.id}"


def reaction_ref(event: ReactionEvent, member: Member) -> str:
    """One reaction tip per message and tipper: re-reacting never pays twice."""
    msg = event.message
    return f"reaction:{msg.platform}:{msg.room_id}:{msg.id}:member:{member.id}"


async def on_reaction(svc: TipsService, event: ReactionEvent, community: Community,
                      member: Member) -> None:
    """Tip the reacted message's author `reaction_tip_amount`; refusals reach the tipper alone."""
    bot = svc.bot
    pending = svc.seen(community.id, member.id)
    if pending is not None:
        await pending
    cfg = svc.config(community.id)
    if not event.added or cfg.reaction_tip_amount <= 0:
        return
    if not same_emoji(event.emoji, cfg.reaction_tip_emoji):
        return
    author = event.message_author
    if author is None or author.is_bot:
        return
    if not await bot.permissions.allowed(member, TIP_PERMISSION, community):
        await bot.notify_member(community.id, member.id,
                                _("You are not allowed to tip in this community."),
                                fallback_room=event.room)
        return
    receiver = await bot.identity.member_for(author, community)
    if receiver.id == member.id or receiver.is_bot:
        return
    try:
        await svc.tip(community.id, member, receiver, cfg.reaction_tip_amount,
                      ref=reaction_ref(event, member), link=message_link(bot, event.message),
                      via_reaction=True)
    except UserError as exc:
        await bot.notify_member(community.id, member.id, exc.message, fallback_room=event.room)
