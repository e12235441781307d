"""The web server: the dashboard page and its stream, access per community, /healthz, /metrics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.parser import text_string_to_metric_families

from plugins.pulse.metrics import CONTENT_TYPE
from plugins.pulse.tests.conftest import MakePulse, text_of

TOKEN = "a-long-enough-token-0123"


async def test_page_renders_every_section_without_javascript(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    status, html, headers = await p.get("/c/console")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert html.startswith('<!doctype html><html lang="en">')
    text = text_of(html)
    for section in ("pipeline", "polls", "flows", "leaderboard", "treasury", "activity"):
        assert f'<section id="{section}" class="card {section}" aria-labelledby="{section}-h">' \
            f'<h2 id="{section}-h">' in html, section
    for heading in ("Idea pipeline", "Open polls", "Who thanks whom", "Top balances",
                    "Treasury and circulation", "Recent activity"):
        assert heading in text, heading
    assert "open 2 " in text and "accepted 1 " in text and "rejected 1 " in text
    assert "#1 Community garden alice" in text
    assert "#4 Quiet room anonymous" in text
    assert "Pizza" in text and "Ahead: Pizza" in text
    assert "alice bob 5 BZZ 1" in text  # the token flow
    assert "Treasury" in text
    assert "alice 95 BZZ bob 5 BZZ" in text  # top balances: 50 + 50 for idea #2 − 5; 5
    assert "alice received 50 BZZ (grant)." in text


async def test_anonymous_authors_and_secret_ballots_never_reach_the_page(
        make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.say("zoe", "!idea submit Hidden wish | shh --anonymous")
    await p.say("zoe", "!idea support 1")
    await p.say("mod", '!poll new "Secret?" "Yes" "No" --anonymous')
    await p.say("yann", "!vote 1 No")
    await p.say("mod", '!poll new "Hidden?" "Up" "Down" --hidden')
    await p.say("yann", "!vote 2 Down")
    _status, html, _headers = await p.get("/c/console")
    stream = await p.first_event("/c/console/events")
    for shown in (html, stream):
        assert "Hidden wish" in shown and "Secret?" in shown
        assert "zoe" not in shown and "yann" not in shown
        assert "Results stay hidden until the poll closes." in shown
    assert "secret ballot" in text_of(html)
    # The moderator closes the secret poll: its totals appear, still without any voter.
    await p.say("mod", "!poll close 1")
    _status, html, _headers = await p.get("/c/console")
    assert "Winner: No" in text_of(html) and "yann" not in html


async def test_pending_ideas_stay_off_the_page(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, raw={"plugins": {"ideas": {"premoderation": True}}})
    await p.say("alice", "!idea submit Not yet public")
    _status, html, _headers = await p.get("/c/console")
    assert "Not yet public" not in html
    await p.say("mod", "!idea approve 1")
    _status, html, _headers = await p.get("/c/console")
    assert "Not yet public" in html


async def test_member_text_is_escaped(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.say("alice", "!idea submit <script>alert(1)</script> & co")
    _status, html, _headers = await p.get("/c/console")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


async def test_french_page_and_language_switch(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, raw={"bot": {"locale": "fr"}})
    await p.say("alice", "!idea submit Jardin")
    _s, html, _h = await p.get("/c/console")
    assert html.startswith('<!doctype html><html lang="fr">')
    assert "Parcours des idées" in html and "ouverte" in html
    _s, html, _h = await p.get("/c/console?lang=en")
    assert '<html lang="en">' in html and "Idea pipeline" in html
    assert 'data-stream="/c/console/events?lang=en"' in html


async def test_token_protected_and_private_communities(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, web_config={"tokens": {"console": TOKEN}})
    await p.say("alice", "hello")
    status, _body, headers = await p.get("/c/console")
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert (await p.get("/c/console?token=wrong-token-wrong-token"))[0] == 401
    status, html, _h = await p.get(f"/c/console?token={TOKEN}")
    assert status == 200
    assert f"/c/console/events?token={TOKEN}&amp;lang=en" in html
    assert (await p.get("/c/console/events"))[0] == 401
    status, _b, _h = await p.get("/c/console",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    _s, index, _h = await p.get("/")
    assert "/c/console" not in index  # protected dashboards are not listed
    closed = await make_pulse(web=True, web_config={"public": False})
    await closed.say("alice", "hello")
    assert (await closed.get("/c/console"))[0] == 404
    assert (await p.get("/c/nowhere"))[0] == 404


async def test_index_lists_public_dashboards(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.say("alice", "hello")
    status, html, _h = await p.get("/")
    assert status == 200 and 'href="/c/console"' in html


async def test_healthz_checks_the_database(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    status, body, headers = await p.get("/healthz")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert '"database": "up"' in body and '"console": true' in body

    async def broken(*_args: object) -> object:
        raise OSError("disk gone")

    p.bot.db.fetchval = broken
    status, body, _h = await p.get("/healthz")
    assert status == 503 and '"database": "down"' in body


async def test_metrics_in_prometheus_text_format(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    await p.say("alice", "!tip @bob 0")
    await p.say("alice", "!nosuchcommand")
    status, body, headers = await p.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    commands = {(s.labels["command"], s.labels["outcome"]): s.value
                for s in families["ruche_commands"].samples if s.name == "ruche_commands_total"}
    assert commands[("tip", "ok")] == 1
    assert commands[("tip", "bad_input")] == 1
    assert commands[("unknown", "unknown")] == 1
    assert commands[("idea submit", "ok")] == 4
    latency = families["ruche_command_duration_seconds"]
    counts = [s for s in latency.samples if s.name.endswith("_count")
              and s.labels["command"] == "idea submit"]
    assert counts and counts[0].value == 4
    ledger = {s.labels["reason"]: s.value for s in families["ruche_ledger_tokens"].samples
              if s.name == "ruche_ledger_tokens_total"}
    assert ledger["tip"] == 5 and ledger["grant"] == 50
    [open_polls] = families["ruche_open_polls"].samples
    assert open_polls.value == 1
    [adapter] = families["ruche_adapter_connected"].samples
    assert adapter.labels == {"platform": "console"} and adapter.value == 1


async def test_events_of_ignored_members_are_counted(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.say("bob", "hello")
    await p.say("mod", "!ignore @bob")
    assert await p.say("bob", "!pulse") == ""
    assert await p.say("bob", "!balance") == ""
    assert await p.say("bob", "just chatting") == ""
    _status, body, _h = await p.get("/metrics")
    families = {f.name: f for f in text_string_to_metric_families(body)}
    counted = {s.labels["kind"]: s.value for s in families["ruche_ignored_events"].samples
               if s.name == "ruche_ignored_events_total"}
    assert counted == {"command": 2, "message": 1}


async def test_metrics_token(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, web_config={"metrics_token": TOKEN})
    assert (await p.get("/metrics"))[0] == 401
    status, _b, _h = await p.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200


async def test_the_stream_sends_changed_sections_only(make_pulse: MakePulse) -> None:
    import asyncio
    import json

    import aiohttp

    p = await make_pulse(web=True)
    await p.say("alice", "hello")
    async with aiohttp.ClientSession() as session, \
            session.get(p.url + "/c/console/events") as response:
        first = await response.content.readuntil(b"\n\n")
        assert first.startswith(b"retry: 2000")
        full = json.loads((await response.content.readuntil(b"\n\n")).split(b"data: ", 1)[1])
        assert set(full["sections"]) >= {"pipeline", "polls", "activity", "updated"}
        await p.say("alice", "!idea submit Live one")
        chunk = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 2)
        update = json.loads(chunk.split(b"data: ", 1)[1])
        assert "Live one" in update["sections"]["pipeline"]
        assert "flows" not in update["sections"]  # unchanged sections are not resent
    assert p.svc.hub.clients == 0 or await _eventually(lambda: p.svc.hub.clients == 0)


async def _eventually(check) -> bool:  # type: ignore[no-untyped-def]
    import asyncio

    for _ in range(100):
        if check():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_web_config_is_validated(make_pulse: MakePulse) -> None:
    import pytest

    from bot.config import ConfigErrors

    with pytest.raises(ConfigErrors) as caught:
        await make_pulse(web=True, web_config={"tokens": {"console": "short"}, "port": 70000,
                                               "bind": "not an address"})
    report = str(caught.value)
    assert "tokens.console: use at least 16 characters" in report
    assert "port: must be between 0 and 65535" in report
    assert "bind: expected an IP address" in report
    assert "short" not in report  # a token is never echoed


def test_prometheus_client_waits_for_the_first_scrape() -> None:
    """A bot that starts and answers commands never imports prometheus_client (cold start)."""
    code = (
        "import asyncio, sys, tempfile\n"
        "from pathlib import Path\n"
        "from bot.testing import make_test_bot\n"
        "async def main():\n"
        "    with tempfile.TemporaryDirectory() as d:\n"
        "        tb = await make_test_bot(Path(d))\n"
        "        await tb.chat.say('alice', '!ping')\n"
        "        await tb.chat.say('alice', '!tip @bob 1')\n"
        "        loaded = 'prometheus_client' in sys.modules\n"
        "        await tb.stop()\n"
        "    print(loaded)\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[3], timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert CONTENT_TYPE == CONTENT_TYPE_PLAIN_0_0_4  # the spelled-out type is the library's
