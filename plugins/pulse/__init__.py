"""Pulse (holoptism): the community sees itself — `!pulse`, digests, a live web dashboard.

It learns everything from other plugins' events and read hooks (`count_ideas`,
`latest_ideas`, `list_polls`, `poll_tally`, `list_funding_rounds`, `get_leaderboard`,
`get_account_balance`, `get_currency`), never from their tables; any of them may be disabled, and
its part of the picture is then simply absent. Thin hook implementations only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import Job, Migrations, Permission, Role, hookimpl
from plugins.pulse import digest, store
from plugins.pulse.commands import COMMANDS
from plugins.pulse.config import PulseConfig, WebConfig
from plugins.pulse.metrics import outcome_of
from plugins.pulse.migrations import migrations
from plugins.pulse.service import PulseService

if TYPE_CHECKING:
    from bot.api import Bot, Command, Context
    from plugins.ideas.models import Idea, IdeaStatusChange
    from plugins.tips.models import LedgerEntry, Tip
    from plugins.votes.models import BallotCast, Poll, PollResult

__version__ = "1.0.0"

DIGEST_INTERVAL = 300.0  # seconds between digest sweeps (a digest is due once a day at most)

def service_for(bot: Bot) -> PulseService:
    """This bot's pulse service (tests run several bots in one process)."""
    return bot.plugin_state("pulse", PulseService)


async def _digest_job(bot: Bot) -> None:
    svc = service_for(bot)
    await digest.sweep(svc)
    await store.prune(bot.db, bot.now() - svc.config().retention.total_seconds())


class PulsePlugin:
    """Registered as `pulse`; implements other plugins' events as optional hooks."""

    @hookimpl
    def register_config(self, bot: Bot) -> dict[str, type]:
        return {"plugins.pulse": PulseConfig, "web": WebConfig}

    @hookimpl
    def register_migrations(self, bot: Bot) -> Migrations:
        return migrations

    @hookimpl
    def register_permissions(self, bot: Bot) -> list[Permission]:
        return [Permission("pulse.view", Role.MEMBER, "see the community's pulse")]

    @hookimpl
    def register_commands(self, bot: Bot) -> list[Command]:
        return list(COMMANDS)

    @hookimpl
    def register_jobs(self, bot: Bot) -> list[Job]:
        return [Job("pulse.digest", _digest_job, DIGEST_INTERVAL, plugin="pulse")]

    @hookimpl
    async def startup(self, bot: Bot) -> None:
        await service_for(bot).start()

    @hookimpl
    async def shutdown(self, bot: Bot) -> None:
        svc = bot.drop_plugin_state("pulse")
        if svc is not None:
            await svc.stop()

    # -- metrics: the core's command hooks (sync and cheap: they run on every command) --------

    @hookimpl
    def command_check(self, ctx: Context, command: Command) -> None:
        service_for(ctx.bot).metrics.command_started(ctx)

    @hookimpl
    def on_command_completed(self, ctx: Context, command: Command) -> None:
        svc = service_for(ctx.bot)
        svc.metrics.command_done(ctx, command.qualified_name, "ok")
        svc.touch(ctx.community.id)  # supports, comments…: state the read hooks show

    @hookimpl
    def on_command_error(self, ctx: Context, command: Command | None,
                         error: BaseException) -> None:
        name = command.qualified_name if command is not None else "unknown"
        service_for(ctx.bot).metrics.command_done(ctx, name, outcome_of(error))

    # -- events of other plugins (each may be disabled) --------------------------------------

    @hookimpl(optionalhook=True)
    def on_idea_submitted(self, bot: Bot, idea: Idea) -> None:
        service_for(bot).recorder.idea_submitted(idea)

    @hookimpl(optionalhook=True)
    def on_idea_status_changed(self, bot: Bot, change: IdeaStatusChange) -> None:
        service_for(bot).recorder.status_changed(change)

    @hookimpl(optionalhook=True)
    def on_poll_opened(self, bot: Bot, poll: Poll) -> None:
        service_for(bot).recorder.poll_opened(poll)

    @hookimpl(optionalhook=True)
    def on_ballot_cast(self, bot: Bot, ballot: BallotCast) -> None:
        service_for(bot).touch(ballot.poll.community)  # only the tally changes; no record

    @hookimpl(optionalhook=True)
    def on_poll_closed(self, bot: Bot, poll: Poll, result: PollResult) -> None:
        service_for(bot).recorder.poll_closed(poll, result)

    @hookimpl(optionalhook=True)
    def on_poll_cancelled(self, bot: Bot, poll: Poll) -> None:
        service_for(bot).recorder.poll_cancelled(poll)

    @hookimpl(optionalhook=True)
    def on_ledger_entry(self, bot: Bot, entry: LedgerEntry) -> None:
        svc = service_for(bot)
        svc.metrics.ledger(entry.reason, entry.amount)
        svc.recorder.ledger_entry(entry)

    @hookimpl(optionalhook=True)
    def on_tip_sent(self, bot: Bot, tip: Tip) -> None:
        service_for(bot).recorder.tip_sent(tip)

    @hookimpl(optionalhook=True)
    def on_funding_opened(self, bot: Bot, round: Any) -> None:
        service_for(bot).recorder.funding(round, "open")

    @hookimpl(optionalhook=True)
    def on_pledge(self, bot: Bot, pledge: Any) -> None:
        community = getattr(getattr(pledge, "round", None), "community", None)
        if isinstance(community, str):
            service_for(bot).touch(community)

    @hookimpl(optionalhook=True)
    def on_funding_succeeded(self, bot: Bot, round: Any, backers: Any) -> None:
        service_for(bot).recorder.funding(round, "succeeded")

    @hookimpl(optionalhook=True)
    def on_funding_failed(self, bot: Bot, round: Any) -> None:
        service_for(bot).recorder.funding(round, "failed")


plugin = PulsePlugin()
