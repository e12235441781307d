"""What the group looks like now, gathered from other plugins' read hooks and pulse's records.

Nothing here reads another plugin's tables: ideas, polls, funding rounds, balances and the
treasury come from hooks answered with `first` (None = that plugin is disabled, and its
part of the picture is simply absent). Member ids become display names here, and only for
members chat shows by name: anonymous authors have none in the records to begin with.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from plugins.pulse import charts as pictures
from plugins.pulse import store
from plugins.pulse.charts import Charts
from plugins.pulse.config import PulseConfig
from plugins.pulse.store import Record

if TYPE_CHECKING:
    from bot.api import Bot

log = logging.getLogger("ruche.pulse")

#: The pipeline's columns, in the order an idea moves through them.
PIPELINE = ("open", "review", "voting", "accepted", "implemented", "rejected")
#: Record kinds listed as recent activity (ledger movements are only counted).
ACTIVITY_KINDS = ("idea", "status", "poll_opened", "poll_closed", "poll_cancelled", "tip",
                  "reward", "funding")
RECOGNITION_KINDS = ("tip", "reward")
#: Records that are ledger movements (a tip is recorded once, as a tip).
MOVEMENTS = ("ledger", "tip")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Money:
    """How the community writes amounts (the tips plugin says; plain numbers without it)."""

    currency: str = ""
    decimals: int = 0

    def __call__(self, amount: int) -> str:
        if self.decimals:
            sign = "-" if amount < 0 else ""
            whole, frac = divmod(abs(amount), 10 ** self.decimals)
            text = f"{sign}{whole}.{frac:0{self.decimals}d}"
        else:
            text = str(amount)
        return f"{text} {self.currency}".strip()


@dataclass(frozen=True, slots=True)
class IdeaCard:
    number: int
    title: str
    supporters: int
    author: str | None  # None: anonymous


@dataclass(frozen=True, slots=True)
class Column:
    status: str
    count: int
    ideas: tuple[IdeaCard, ...]


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    share: float  # 0…1 of the widest bar


@dataclass(frozen=True, slots=True)
class PollView:
    number: int
    question: str
    method: str
    status: str
    closes_at: float | None
    ballots: int | None  # None: hidden until the close
    bars: tuple[Bar, ...]
    leader: str | None  # the option ahead (or the winner once closed); None on a tie / none
    secret: bool


@dataclass(frozen=True, slots=True)
class FundingView:
    number: int
    title: str
    goal: int
    raised: int
    backers: int
    deadline: float
    state: str
    opened_at: float = 0.0

    @property
    def share(self) -> float:
        return min(1.0, self.raised / self.goal) if self.goal > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Flow:
    giver: str
    receiver: str
    amount: int
    tips: int
    share: float


@dataclass(frozen=True, slots=True)
class Ranked:
    name: str
    amount: int


@dataclass(frozen=True, slots=True)
class FeedbackView:
    """An implemented idea's feedback: how many rated it, and the average out of 5."""

    number: int
    title: str
    ratings: int
    average: float


@dataclass(frozen=True)
class Snapshot:
    """One community's picture at `at`; `None` parts: the plugin behind them is absent."""

    community: str
    name: str
    locale: str
    at: float
    money: Money
    counts: dict[str, int] | None
    pipeline: tuple[Column, ...]
    polls: tuple[PollView, ...] | None
    closed_polls: tuple[PollView, ...]
    funding: tuple[FundingView, ...] | None
    flows: tuple[Flow, ...]
    leaderboard: tuple[Ranked, ...]
    leaderboard_kind: str  # "balance" (tips answered) or "thanked" (pulse's own records)
    treasury: int | None
    moved_24h: tuple[int, int]  # (amount, ledger movements)
    tips_24h: tuple[int, int]  # (amount, tips)
    activity: tuple[Record, ...]
    names: dict[int, str] = field(default_factory=dict)
    idea_numbers: dict[str, int] = field(default_factory=dict)  # `idea:<id>` → #N (rewards)
    charts: Charts | None = None  # the pictures' numbers (None: built without them)
    feedback: tuple[FeedbackView, ...] | None = None  # None: the ideas plugin is absent

    def who(self, member_id: int | None) -> str | None:
        """A member's display name, None for nobody (anonymous)."""
        if member_id is None:
            return None
        return self.names.get(member_id, "?")


def bars_of(poll: Any, result: Any) -> tuple[Bar, ...]:
    totals = tuple(float(t) for t in getattr(result, "totals", ()) or ())
    widest = max((abs(t) for t in totals), default=0.0)
    return tuple(Bar(label, totals[i] if i < len(totals) else 0.0,
                     (abs(totals[i]) / widest) if widest and i < len(totals) else 0.0)
                 for i, label in enumerate(poll.options))


def leader_of(poll: Any, result: Any) -> str | None:
    """The winner of a closed poll; the option strictly ahead in an open one."""
    if result is None:
        return None
    if poll.status == "closed":
        winner = result.winner
        return poll.options[winner] if winner is not None and winner < len(poll.options) else None
    totals = list(result.totals)
    if not totals or result.ballots == 0:
        return None
    top = max(totals)
    if totals.count(top) > 1:
        return None
    return str(poll.options[totals.index(top)])


async def poll_view(bot: Bot, poll: Any) -> PollView:
    result = await bot.hooks.first_safe("poll_tally", bot=bot, poll=poll)
    return PollView(
        number=int(poll.number), question=str(poll.question), method=str(poll.method),
        status=str(poll.status), closes_at=poll.closes_at,
        ballots=None if result is None else int(result.ballots),
        bars=() if result is None else bars_of(poll, result),
        leader=leader_of(poll, result), secret=bool(poll.anonymous))


async def _money(bot: Bot, community: str) -> Money:
    answer = await bot.hooks.first_safe("get_currency", bot=bot, community=community)
    if isinstance(answer, tuple) and len(answer) == 2:
        return Money(str(answer[0]), int(answer[1]))
    return Money()


async def _pipeline(bot: Bot, community: str, cfg: PulseConfig,
                    counts: dict[str, int]) -> list[tuple[str, int, list[Any]]]:
    """Per column: the status, how many ideas are in it, and the newest of them."""
    columns: list[tuple[str, int, list[Any]]] = []
    for status in PIPELINE:
        found: list[Any] = []
        if counts.get(status):
            found = list(await bot.hooks.first_safe(
                "latest_ideas", default=[], bot=bot, community=community, statuses=[status],
                limit=cfg.column_items))
        columns.append((status, int(counts.get(status, 0)), found))
    return columns


async def gather(bot: Bot, community: str, cfg: PulseConfig) -> Snapshot:
    """Everything the dashboard, `!pulse` and digests show about one community."""
    now = bot.now()
    info = bot.communities.get(community)
    counts = await bot.hooks.first_safe("count_ideas", bot=bot, community=community)
    columns: list[tuple[str, int, list[Any]]] = []
    if isinstance(counts, dict):
        columns = await _pipeline(bot, community, cfg, counts)
    else:
        counts = None
    open_polls = await bot.hooks.first_safe("list_polls", bot=bot, community=community,
                                            statuses=["open"], limit=20)
    polls = None if open_polls is None else tuple([await poll_view(bot, p) for p in open_polls])
    closed = await bot.hooks.first_safe("list_polls", default=[], bot=bot, community=community,
                                        statuses=["closed"], limit=3)
    closed_polls = tuple([await poll_view(bot, p) for p in closed])
    funding = await _funding(bot, community)
    drawn = await pictures.gather(
        bot.db, community, now, ZoneInfo(bot.config.bot.timezone),
        [(f.number, f.goal, f.raised, f.opened_at, f.deadline) for f in funding or ()])
    flows_raw = await store.flows(bot.db, community, now - cfg.flow_window.total_seconds(), 12)
    board, kind = await _leaderboard(bot, community, now)
    treasury = await _treasury(bot, community) if cfg.show_treasury else None
    moved = await store.totals(bot.db, community, MOVEMENTS, now - DAY, now + 1)
    tips = await store.totals(bot.db, community, ("tip",), now - DAY, now + 1)
    activity = await store.recent(bot.db, community, ACTIVITY_KINDS, cfg.activity_items)
    ids: list[int] = [int(i.author_id) for _s, _n, found in columns for i in found
                      if not i.anonymous]
    ids += [m for g, r, _a, _n in flows_raw for m in (g, r)]
    ids += [m for m, _a in board]
    ids += [m for r in activity for m in (r.actor, r.target) if m is not None]
    names = await bot.identity.names(ids)
    subjects = [r.title for r in activity if r.kind == "reward" and r.title.startswith("idea:")]
    numbers = await store.idea_numbers(bot.db, community, subjects)
    widest = max((a for _g, _r, a, _n in flows_raw), default=0)
    flows = tuple(Flow(names.get(g, "?"), names.get(r, "?"), a, n, a / widest if widest else 0)
                  for g, r, a, n in flows_raw)
    pipeline = [Column(status, count, tuple(
        IdeaCard(int(i.number), str(i.title), int(i.supporters),
                 None if i.anonymous else names.get(int(i.author_id), "?")) for i in found))
        for status, count, found in columns]
    return Snapshot(
        community=community, name=info.name, locale=info.locale, at=now,
        money=await _money(bot, community), counts=counts, pipeline=tuple(pipeline),
        polls=polls, closed_polls=closed_polls, funding=funding, flows=flows,
        leaderboard=tuple(Ranked(names.get(m, "?"), a) for m, a in board),
        leaderboard_kind=kind, treasury=treasury, moved_24h=moved, tips_24h=tips,
        activity=tuple(activity), names=names, idea_numbers=numbers,
        charts=drawn,
        feedback=await _feedback(bot, community, cfg.column_items))


async def _feedback(bot: Bot, community: str, limit: int) -> tuple[FeedbackView, ...] | None:
    """What users said of implemented ideas (`idea_ratings`), latest rated first."""
    found = await bot.hooks.first_safe("idea_ratings", bot=bot, community=community,
                                       limit=limit)
    if found is None:
        return None
    return tuple(FeedbackView(int(f.idea.number), str(f.idea.title), int(f.ratings),
                              float(f.average)) for f in found)


async def _funding(bot: Bot, community: str) -> tuple[FundingView, ...] | None:
    rounds = await bot.hooks.first_safe("list_funding_rounds", bot=bot, community=community,
                                        states=("open", "settling"))
    if rounds is None:
        return None
    views = []
    for r in rounds:
        try:
            views.append(FundingView(int(r.idea_number), str(r.title), int(r.goal),
                                     int(r.raised), int(r.backers), float(r.deadline),
                                     str(r.state), float(getattr(r, "opened_at", 0) or 0)))
        except (AttributeError, TypeError, ValueError):
            log.warning("pulse: unexpected funding round %r", type(r).__name__)
    return tuple(sorted(views, key=lambda v: v.deadline))


async def _leaderboard(bot: Bot, community: str,
                       now: float) -> tuple[Sequence[tuple[int, int]], str]:
    """Top balances from tips; without its answer, the most thanked in pulse's records."""
    top = await bot.hooks.first_safe("get_leaderboard", bot=bot, community=community,
                                     period="all", limit=10)
    if top is not None:
        return [(int(m), int(a)) for m, a in top], "balance"
    return await store.received(bot.db, community, now - 30 * DAY, 10), "thanked"


async def _treasury(bot: Bot, community: str) -> int | None:
    """The treasury account's balance, from tips (None when tips does not answer)."""
    value = await bot.hooks.first_safe("get_account_balance", bot=bot, community=community,
                                       account="treasury")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
