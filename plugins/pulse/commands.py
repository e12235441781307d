"""`!pulse`: the whole community in one short message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import Context, command, requires
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


COMMANDS = (pulse,)
