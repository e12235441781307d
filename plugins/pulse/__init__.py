"""Pulse (holoptism): the community sees itself — `!pulse`, digests, a live web dashboard.

It learns everything from other plugins' events and read hooks (`count_ideas`,
`latest_ideas`, `list_polls`, `poll_tally`, `list_funding_rounds`, `get_leaderboard`,
`get_account_balance`, `get_currency`, `idea_ratings`; for `!me` and personal digests:
`member_ideas`, `polls_voted`, `member_pledges`, `get_balance`, `member_flows`), never from
their tables; any of them may be disabled, and its part of the picture is then simply absent.
Thin hook implementations only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import Job, Permission, Plugin, Role, hookimpl
from plugins.pulse import digest, personal, personal_digest, store
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


class PulsePlugin(Plugin):
    """One instance per bot, holding its `PulseService`; other plugins' events are optional."""

    name = "pulse"
    config_class = PulseConfig
    migrations = migrations
    commands = (*COMMANDS, *personal.COMMANDS)

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = PulseService(bot)

    def permissions(self) -> list[Permission]:
        return [Permission("pulse.view", Role.MEMBER, "see the community's pulse")]

    def jobs(self) -> list[Job]:
        return [Job("pulse.digest", self._digest_job, DIGEST_INTERVAL, plugin="pulse")]

    async def _digest_job(self, bot: Bot) -> None:
        """Post the due digests (the community's and members' own), forget old records."""
        await digest.sweep(self.service)
        await personal_digest.sweep(self.service)
        await store.prune(bot.db, bot.now() - self.service.config().retention.total_seconds())

    @hookimpl(specname="register_config")
    def register_web_config(self) -> dict[str, type[Any]]:
        """`[web]`, the dashboard server's own top-level section, beside `[plugins.pulse]`."""
        return {"web": WebConfig}

    @hookimpl
    async def startup(self, bot: Bot) -> None:
        await self.service.start()

    @hookimpl
    async def shutdown(self, bot: Bot) -> None:
        await self.service.stop()

    # -- metrics: the core's command hooks (sync and cheap: they run on every command) --------

    @hookimpl
    def command_check(self, ctx: Context, command: Command) -> None:
        self.service.metrics.command_started(ctx)

    @hookimpl
    def on_command_completed(self, ctx: Context, command: Command) -> None:
        self.service.metrics.command_done(ctx, command.qualified_name, "ok")
        self.service.touch(ctx.community.id)  # supports, comments…: state the read hooks show

    @hookimpl
    def on_command_error(self, ctx: Context, command: Command | None,
                         error: BaseException) -> None:
        name = command.qualified_name if command is not None else "unknown"
        self.service.metrics.command_done(ctx, name, outcome_of(error))

    @hookimpl
    def on_event_ignored(self, kind: str) -> None:
        self.service.metrics.ignored.labels(kind).inc()

    # -- events of other plugins (each may be disabled) --------------------------------------

    @hookimpl(optionalhook=True)
    def on_idea_submitted(self, bot: Bot, idea: Idea) -> None:
        self.service.recorder.idea_submitted(idea)

    @hookimpl(optionalhook=True)
    def on_idea_status_changed(self, bot: Bot, change: IdeaStatusChange) -> None:
        self.service.recorder.status_changed(change)

    @hookimpl(optionalhook=True)
    def on_poll_opened(self, bot: Bot, poll: Poll) -> None:
        self.service.recorder.poll_opened(poll)

    @hookimpl(optionalhook=True)
    def on_ballot_cast(self, bot: Bot, ballot: BallotCast) -> None:
        if not ballot.withdrawn:  # counted per day for the activity picture, anonymously
            self.service.recorder.ballot(ballot.poll.community, ballot.poll.id)
        self.service.touch(ballot.poll.community)

    @hookimpl(optionalhook=True)
    def on_poll_closed(self, bot: Bot, poll: Poll, result: PollResult) -> None:
        self.service.recorder.poll_closed(poll, result)

    @hookimpl(optionalhook=True)
    def on_poll_cancelled(self, bot: Bot, poll: Poll) -> None:
        self.service.recorder.poll_cancelled(poll)

    @hookimpl(optionalhook=True)
    def on_ledger_entry(self, bot: Bot, entry: LedgerEntry) -> None:
        self.service.metrics.ledger(entry.reason, entry.amount)
        self.service.recorder.ledger_entry(entry)

    @hookimpl(optionalhook=True)
    def on_tip_sent(self, bot: Bot, tip: Tip) -> None:
        self.service.recorder.tip_sent(tip)

    @hookimpl(optionalhook=True)
    def on_funding_opened(self, bot: Bot, round: Any) -> None:
        self.service.recorder.funding(round, "open")

    @hookimpl(optionalhook=True)
    def on_pledge(self, bot: Bot, pledge: Any) -> None:
        self.service.recorder.pledge(pledge)
        community = getattr(getattr(pledge, "round", None), "community", None)
        if isinstance(community, str):
            self.service.touch(community)

    @hookimpl(optionalhook=True)
    def on_funding_succeeded(self, bot: Bot, round: Any, backers: Any) -> None:
        self.service.recorder.funding(round, "succeeded")

    @hookimpl(optionalhook=True)
    def on_funding_failed(self, bot: Bot, round: Any) -> None:
        self.service.recorder.funding(round, "failed")


plugin = PulsePlugin
