"""`!pulse`: the whole community in one short message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import Context, OutgoingMessage, command, requires
from plugins.pulse import me as mine
from plugins.pulse.render import pulse_message

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
        await ctx.reply(mine.me_message(found, ctx.t, private=True), ephemeral=True)
        return
    if caps.direct_messages:  # only this member reads it: their anonymous ideas may show
        ref = await ctx.adapter.send_direct(
            ctx.message.author, OutgoingMessage(mine.me_message(found, ctx.t, private=True)))
        if ref is not None:
            ctx.replies.append(ref)
            return
    await ctx.reply(mine.me_message(found, ctx.t, private=False), ephemeral=True)


COMMANDS = (pulse, me)
