"""What keeps the dashboard's f-string HTML safe (docs/architecture.md, "The dashboard's HTML").

Two guards: every interpolation in `plugins/pulse/templates.py` goes through `esc()` or is on
a short reviewed list of values that cannot carry markup; and a snapshot with markup in every
text field renders without one unescaped tag or attribute break.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import Text
from plugins.pulse import templates
from plugins.pulse.state import (
    Bar,
    Column,
    Flow,
    FundingView,
    IdeaCard,
    Money,
    PollView,
    Ranked,
    Snapshot,
)
from plugins.pulse.store import Record

SOURCE = Path(templates.__file__).read_text(encoding="utf-8")

#: Interpolations that need no `esc()`, each with why. Anything else must be `esc(...)`.
REVIEWED = {
    # numbers (ints from the database, floats formatted by a numeric format spec)
    "idea.number", "col.count", "poll.number", "i", "f.number", "percent", "f.tips",
    "s.tips_24h[1]",
    # element ids, class names and language codes the code itself chose, never member input
    "section", "key", "code", "current",
    # dates the code formatted from a float
    "moment.isoformat(timespec='seconds')", "moment.strftime('%Y-%m-%d %H:%M')",
    # HTML this module built, whose own parts were escaped where they were made
    "_time(r.at, tz)", "parts['updated']", "parts[key]", "' · '.join(langs)", "items", "body",
    # percent-encoded into a URL (no quote, angle bracket or ampersand survives); the query
    # string is then escaped as a whole, `esc(params)`, for its attribute
    "quote(cid, safe='')", "quote(k)", "quote(v)",
}
NUMERIC_SPEC = re.compile(r"^[.\d]*[dfg%]$")


def interpolations() -> list[tuple[int, str, str]]:
    """(line, expression, format spec) of every `{…}` in an f-string of templates.py."""
    found = []
    for node in ast.walk(ast.parse(SOURCE)):
        if isinstance(node, ast.FormattedValue):
            spec = ""
            if node.format_spec is not None:
                assert isinstance(node.format_spec, ast.JoinedStr)
                spec = "".join(str(v.value) for v in node.format_spec.values
                               if isinstance(v, ast.Constant))
            found.append((node.lineno, ast.unparse(node.value), spec))
    return found


def test_every_interpolation_is_escaped_or_reviewed() -> None:
    found = interpolations()
    assert len(found) > 40  # the walk sees the module's f-strings
    unsafe = [f"templates.py:{line}: {{{expr}}}" for line, expr, spec in found
              if not expr.startswith("esc(") and expr not in REVIEWED
              and not NUMERIC_SPEC.match(spec)]
    assert unsafe == [], "interpolate member text through esc(), or review it in REVIEWED"


def test_the_reviewed_list_has_no_stale_entries() -> None:
    used = {expr for _line, expr, _spec in interpolations()}
    assert REVIEWED - used == set()


def test_esc_escapes_quotes_too() -> None:
    assert templates.esc('<a href="x" title=\'y\'>&') == \
        "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;"


EVIL = '"><img src=x onerror=alert(1)>\'<script>alert(2)</script>&amp;'


def hostile_snapshot() -> Snapshot:
    """Markup in every text a member (or an operator) can choose."""
    bars = (Bar(EVIL, 3, 1.0), Bar(EVIL, 1, 0.333))
    poll = PollView(number=1, question=EVIL, method=EVIL, status="open", closes_at=2000.0,
                    ballots=4, bars=bars, leader=EVIL, secret=False)
    closed = PollView(number=2, question=EVIL, method="single", status="closed",
                      closes_at=None, ballots=None, bars=(), leader=None, secret=True)
    records = tuple(Record("c", kind, f"k{kind}", 1000.0, actor=1, target=2, amount=5,
                           number=3, title=EVIL, detail=EVIL)
                    for kind in ("idea", "status", "poll_opened", "poll_closed", "tip",
                                 "reward", "funding", EVIL))
    return Snapshot(
        community=EVIL, name=EVIL, locale="en", at=1000.0, money=Money(currency=EVIL),
        counts={"open": 2},
        pipeline=(Column("open", 3, (IdeaCard(1, EVIL, 2, EVIL), IdeaCard(2, EVIL, 0, None))),
                  Column(EVIL, 0, ())),
        polls=(poll,), closed_polls=(closed,),
        funding=(FundingView(number=4, title=EVIL, goal=100, raised=30, backers=2,
                             deadline=90000.0, state="open"),),
        flows=(Flow(EVIL, EVIL, 10, 2, 1.0),), leaderboard=(Ranked(EVIL, 9),),
        leaderboard_kind="balance", treasury=50, moved_24h=(7, 1), tips_24h=(5, 1),
        activity=records, names={1: EVIL, 2: EVIL}, idea_numbers={EVIL: 3},
    )


def english(text: Text | str) -> str:
    return str(text)


def test_markup_in_every_field_stays_text() -> None:
    html = templates.page(hostile_snapshot(), english, ZoneInfo("UTC"), lang=EVIL,
                          stream=EVIL, query={"lang": EVIL, EVIL: EVIL})
    html += templates.index([(EVIL, EVIL)], english, EVIL)
    assert "<img" not in html and "<script>alert" not in html
    assert "&amp;amp;" in html  # escaped once, not left as an entity that decodes
    assert html.count("&lt;script&gt;") > 10
    elements = Elements()
    elements.feed(html)
    assert "img" not in {tag for tag, _attrs in elements.found}
    assert [attrs for tag, attrs in elements.found if tag == "script"] == \
        [[("src", "/static/pulse.js"), ("defer", None)]]
    # no attribute value was closed early by the payload's quotes: no handler attribute appeared
    names = {name for _tag, attrs in elements.found for name, _value in attrs}
    assert not [name for name in names if name.startswith("on") or name == "src=x"]


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))
