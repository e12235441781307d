"""The dashboard's SVG pictures: well-formed, the seeded community's numbers, words for each."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from plugins.pulse import svg, templates
from plugins.pulse.charts import DAYS, funnel_of
from plugins.pulse.tests.conftest import MakePulse, Pulse, text_of

NS = {"s": "http://www.w3.org/2000/svg"}


def pictures(html: str) -> list[ET.Element]:
    """Every <svg> of some HTML, parsed as XML (a malformed one fails the parse)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def words(picture: ET.Element) -> tuple[str, str]:
    title = picture.find("s:title", NS)
    desc = picture.find("s:desc", NS)
    assert title is not None and desc is not None
    assert picture.get("role") == "img"
    assert picture.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return title.text or "", desc.text or ""


async def funded_community(make_pulse: MakePulse, **kwargs: object) -> Pulse:
    """The shared seed, plus a funding round on idea #2 with two pledges and a withdrawal."""
    p = await make_pulse(**kwargs)
    await p.seed()
    await p.say("mod", "!grant @bob 100 welcome")
    await p.say("mod", "!grant @carol 100 welcome")
    assert "100" in await p.say("alice", "!fund open 2 100 --until 7d")
    p.clock.advance(seconds=3600)
    await p.say("bob", "!pledge 2 30")
    p.clock.advance(seconds=3600)
    await p.say("carol", "!pledge 2 25")
    await p.say("carol", "!tip @alice 4 soup")
    return p


async def test_sections_draw_the_seeded_numbers(make_pulse: MakePulse) -> None:
    p = await funded_community(make_pulse)
    snapshot = await p.svc.snapshot("console")
    html = templates.sections(snapshot, lambda x: p.tb.bot.i18n.translate(x, "en"), p.svc.tz)
    activity, funnel = pictures(html["charts"])
    title, desc = words(activity)
    assert title == "Activity per day, last 30 days"
    assert desc.endswith(": Ideas 4, Ballots 1, Tips 2, Pledges 2.")
    assert len(activity.findall("s:rect[@class]", NS)) == 4  # one bar per series, all today
    title, desc = words(funnel)
    assert desc == ("Ideas that reached each stage or a later one: Submitted 4, Supported 1, "
                    "In vote 1, Accepted 1, Funded 0, Implemented 0.")
    counts = [t.text for t in funnel.findall("s:text[@class='count']", NS)]
    assert counts == ["4", "1", "1", "1", "0", "0"]
    # The same numbers, for screen readers, in a visually hidden table.
    hidden = text_of(html["charts"].split('class="sr-only"', 2)[2])
    assert "Submitted 4" in hidden and "Implemented 0" in hidden
    [network] = pictures(html["flows"])
    title, desc = words(network)
    assert desc.startswith("2 links between 3 members, 9 BZZ in all")
    assert len(network.findall("s:circle", NS)) == 3
    assert len(network.findall("s:line", NS)) == 2
    [round_] = pictures(html["funding"])
    title, desc = words(round_)
    assert title == "Pledges to idea #2 over time"
    assert desc == "55 BZZ pledged of a 100 BZZ goal, 2 changes recorded."
    path = round_.find("s:path[@class='raised']", NS)
    assert path is not None and path.get("d", "").count("V") == 3  # start, +30, +25, now
    assert "55 BZZ" in text_of(html["funding"])


async def test_pictures_in_french(make_pulse: MakePulse) -> None:
    p = await funded_community(make_pulse)
    snapshot = await p.svc.snapshot("console")
    html = templates.sections(snapshot, lambda x: p.tb.bot.i18n.translate(x, "fr"), p.svc.tz)
    activity, funnel = pictures(html["charts"])
    assert words(activity)[0] == "Activité par jour, 30 derniers jours"
    assert "Soumises 4" in words(funnel)[1]


async def test_a_withdrawn_pledge_and_days_without_news(make_pulse: MakePulse) -> None:
    p = await funded_community(make_pulse)
    await p.say("carol", "!unpledge 2")
    p.clock.advance(days=3)
    await p.say("alice", "!idea submit Later idea")
    snapshot = await p.svc.snapshot("console")
    charts = snapshot.charts
    assert charts is not None and len(charts.days) == DAYS
    assert charts.activity["idea"][-4:] == (4, 0, 0, 1)
    assert charts.activity["pledge"][-4] == 2  # a withdrawal is no new pledge
    series = charts.rounds[2]
    assert [v for _at, v in series.points] == [0, 30, 55, 30, 30]


def test_funnel_counts_the_furthest_stage() -> None:
    rows = [("idea", 1, "open"), ("status", 1, "review"), ("status", 1, "voting"),
            ("status", 1, "accepted"), ("funding", 1, "succeeded"),
            ("status", 1, "implemented"), ("idea", 2, "open"), ("status", 2, "accepted"),
            ("idea", 3, "open"), ("status", 3, "rejected"), ("funding", 2, "failed")]
    assert funnel_of(rows) == (("submitted", 3), ("supported", 2), ("voting", 2),
                               ("accepted", 2), ("funded", 1), ("implemented", 1))


def test_member_text_is_escaped_in_pictures() -> None:
    drawn = svg.network([("<b>x</b>", 'a"&', 3)], title="t<", desc="d&",
                        money=lambda n: f"{n} BZZ")
    root = ET.fromstring(drawn)
    assert [t.text for t in root.findall("s:text", NS)] == ["<b>x</b>", 'a"&']
    assert words(root) == ("t<", "d&")
    empty = ET.fromstring(svg.activity([], [], title="none", desc="nothing"))
    assert words(empty) == ("none", "nothing")


async def test_a_secret_ballot_is_counted_without_its_member(make_pulse: MakePulse) -> None:
    p = await make_pulse()
    await p.say("alice", '!poll new "Secret?" "Yes" "No" --duration 6h --anonymous')
    await p.say("bob", "!vote 1 Yes")
    await p.say("carol", "!vote 1 No")
    await p.svc.recorder.flush()
    rows = await p.tb.bot.db.fetch(
        "SELECT actor, target, amount, title, detail FROM pulse_events WHERE kind = 'ballot'")
    assert len(rows) == 2
    assert all(r["actor"] is None and r["target"] is None and r["detail"] == ""
               and r["title"] == "" for r in rows)
    snapshot = await p.svc.snapshot("console")
    assert snapshot.charts is not None and snapshot.charts.activity["ballot"][-1] == 2
