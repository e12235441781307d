"""`!pulse`: the whole community in one short message."""

from __future__ import annotations

from bot.api import Context, command, requires
from plugins.pulse.render import pulse_message


@command("pulse")
@requires("pulse.view")
async def pulse(ctx: Context) -> None:
    """See the community at a glance: ideas, polls, funding, tokens and thanks."""
    from plugins.pulse import service_for

    svc = service_for(ctx.bot)
    snapshot = await svc.snapshot(ctx.community.id)
    cfg = svc.config(ctx.community.id)
    await ctx.reply(pulse_message(snapshot, ctx.t,
                                  closing_soon=cfg.closing_soon.total_seconds(),
                                  url=svc.dashboard_url(ctx.community.id)))


COMMANDS = (pulse,)
