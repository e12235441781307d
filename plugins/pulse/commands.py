"""`!pulse`: the whole community in one short message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from bot.api import Context, OutgoingMessage, command, describe, group, requires
from plugins.pulse import me as mine
from plugins.pulse import personal_digest, store
from plugins.pulse.render import pulse_message
from plugins.pulse.texts import _

if TYPE_CHECKING:
    from plugins.pulse import PulsePlugin
    from plugins.pulse.service import PulseService


def service(ctx: Context) -> PulseService:
    """This bot's pulse service, held by the plugin instance that registered the command."""
    plugin: PulsePlugin = ctx.plugin
    return plugin.service


@command("pulse", names={"fr": "pouls"})
@requires("pulse.view")
async def pulse(ctx: Context) -> None:
    """See the community at a glance: ideas, polls, funding, tokens and thanks."""
    svc = service(ctx)
    snapshot = await svc.snapshot(ctx.community.id)
    cfg = svc.config(ctx.community.id)
    await ctx.reply(pulse_message(snapshot, ctx.t,
                                  closing_soon=cfg.closing_soon.total_seconds(),
                                  url=svc.dashboard_url(ctx.community.id)))


@command("me", names={"fr": "moi"})
@requires("pulse.view")
async def me(ctx: Context) -> None:
    """See what concerns you now: your ideas, votes to cast, rounds you back, your tokens."""
    svc = service(ctx)
    community = ctx.community.id
    cfg = svc.config(community)
    found = await mine.gather(ctx.bot, community, ctx.member.id,
                              closing_soon=cfg.closing_soon.total_seconds(),
                              money=await svc.money(community))
    if ctx.message.is_direct:
        await ctx.reply(mine.me_message(found, ctx.t, private=True))
        return
    caps = ctx.adapter.capabilities
    if caps.ephemeral and ctx.message.private_reply:
        await ctx.reply(mine.me_message(found, ctx.t, private=True))
        return
    if caps.direct_messages:  # only this member reads it: their anonymous ideas may show
        ref = await ctx.adapter.send_direct(
            ctx.message.author, OutgoingMessage(mine.me_message(found, ctx.t, private=True)))
        if ref is not None:
            ctx.replies.append(ref)
            return
    await ctx.reply(mine.me_message(found, ctx.t, private=False))


@group("digest", names={"fr": "résumé"})
async def digest_group(ctx: Context) -> None:
    """Your own digest of what concerns you, privately."""
    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command))


@digest_group.subcommand("me", names={"fr": "moi"})
@requires("pulse.view")
async def digest_me(ctx: Context,
                    period: Literal["daily", "weekly", "off"] | None = None) -> None:
    """Get what concerns you privately each day or week, only when something changed."""
    svc = service(ctx)
    community, member = ctx.community.id, ctx.member.id
    if period is None:
        current = await store.subscription(ctx.bot.db, community, member)
        await ctx.reply(_("Your personal digest: {period}.", period=current or "off"))
        return
    await personal_digest.subscribe(svc, community, member, period)
    if period == "off":
        await ctx.reply(_("Your personal digest is off."))
    elif period == "daily":
        await ctx.reply(_("You will get a private digest at the end of each day when "
                          "something changed for you."))
    else:
        await ctx.reply(_("You will get a private digest at the end of each week when "
                          "something changed for you."))


COMMANDS = (pulse, me, digest_group)
