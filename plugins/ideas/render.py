"""How ideas and campaigns read in chat; the one place that decides what an author looks like."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.api import Text, format_duration, plural_translatable, translatable
from plugins.ideas.models import status_label
from plugins.ideas.store import CampaignRow, IdeaRow

_ = translatable("ideas")
_n = plural_translatable("ideas")

ANONYMOUS = _("anonymous")


def author(row: IdeaRow, names: dict[int, str], *, reveal: bool = False) -> Text | str:
    """The author's name, or “anonymous” unless `reveal` (a moderator reading in private)."""
    name = names.get(row.author_id, "?")
    if not row.anonymous:
        return name
    return _("anonymous ({name})", name=name) if reveal else ANONYMOUS


def commenter(row: IdeaRow, member_id: int, names: dict[int, str], *, reveal: bool) -> Text | str:
    """A comment's author; an anonymous author commenting on their own idea stays anonymous."""
    if row.anonymous and member_id == row.author_id:
        return author(row, names, reveal=reveal)
    return names.get(member_id, "?")


def supports(count: int) -> Text:
    return _n("{n} support", "{n} supports", count)


def ratings(count: int) -> Text:
    return _n("{n} rating", "{n} ratings", count)


def idea_line(row: IdeaRow, names: dict[int, str], *, reveal: bool = False) -> Text:
    """One line of a list or search result."""
    return _("#{number} [{status}] {title} — {supports} · by {author}",
             number=row.number, status=status_label(row.status), title=clip(row.title, 80),
             supports=supports(row.supporters), author=author(row, names, reveal=reveal))


def clip(text: str, limit: int) -> str:
    """Shorten for one-line displays."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def page_footer(page: int, has_more: bool, command: str) -> Text | None:
    """Where to go next, written as the command to type."""
    if not has_more:
        return None
    return _("More: {command} --page {page}", command=command, page=page + 1)


def when(timestamp: float, now: float, tz: str) -> Text:
    """A deadline as a local date and the time left (or “passed”)."""
    try:
        zone = ZoneInfo(tz)
    except Exception:
        zone = ZoneInfo("UTC")
    local = datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d %H:%M")
    left = timestamp - now
    if left <= 0:
        return _("{date} (passed)", date=local)
    minutes = math.ceil(left / 60)  # "7d", not "6d 23h", right after `--until 7d`
    return _("{date} (in {left})", date=local,
             left=format_duration(timedelta(minutes=minutes)))


def campaign_line(row: CampaignRow, now: float, tz: str) -> Text:
    """One campaign of `!campaign list`."""
    status = _("open") if row.status == "open" else _("closed")
    deadline: Text | str = when(row.closes_at, now, tz) if row.closes_at else _("no deadline")
    return _("{name} [{status}] — bounty {bounty} · until {deadline} · {ideas}{description}",
             name=row.name, status=status, bounty=row.bounty, deadline=deadline,
             ideas=_n("{n} idea", "{n} ideas", row.ideas),
             description=f" — {clip(row.description, 100)}" if row.description else "")
