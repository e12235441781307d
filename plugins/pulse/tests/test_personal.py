"""`!dashboard`: a private signed link to the member's own page; expiry, tampering, revocation."""

from __future__ import annotations

import base64
import re

from bot.adapters.base import Capabilities
from plugins.pulse.tests.conftest import MakePulse, Pulse, text_of


def link_in(text: str) -> str:
    found = re.search(r"(/me/\S+)", text)
    assert found, text
    return found.group(1)


async def ask(p: Pulse, who: str, line: str = "!dashboard") -> str:
    """The path of the link `who` received privately."""
    before = len(p.dms(who))
    await p.say(who, line)
    dms = p.dms(who)
    assert len(dms) == before + 1, dms
    return link_in(dms[-1])


async def test_the_link_opens_the_members_own_page(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    await p.say("alice", "!dashboard")
    assert p.room_texts()[-1] == "I sent you your link in a private message."
    dm = p.dms("alice")[-1]
    assert dm.startswith("🔗 Your page, valid 7 days: http://127.0.0.1:")
    assert "/me/" not in "".join(p.room_texts())  # never in the room
    status, html, headers = await p.get(link_in(dm))
    assert status == 200 and headers["Cache-Control"] == "no-store"
    text = text_of(html)
    assert "Your page in console" in text and "alice" in text
    assert "#1 “Community garden”" in text  # her own idea, from !me
    assert "Your tips, given and received" in html  # the network of her tips
    assert "You received 0 BZZ and gave 5 BZZ in tips." in html
    assert "Quiet room" not in text  # carol's anonymous idea


async def test_another_members_link_opens_only_their_page(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.seed()
    bob = await ask(p, "bob")
    status, html, _h = await p.get(bob)
    assert status == 200 and "Community garden" not in html
    # Rewriting bob's payload to name alice breaks the signature.
    payload, signature = bob.removeprefix("/me/").split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("\n")
    assert raw[1] == str(await p.member_id("bob"))
    forged = "\n".join([raw[0], str(await p.member_id("alice")), *raw[2:]])
    forged_payload = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    status, body, _h = await p.get(f"/me/{forged_payload}.{signature}")
    assert status == 403 and "invalid, expired or revoked" in body
    status, _b, _h = await p.get(bob[:-2] + ("AA" if not bob.endswith("AA") else "BB"))
    assert status == 403
    assert (await p.get("/me/garbage"))[0] == 403


async def test_a_link_expires(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True, pulse={"personal_link_ttl": "2d"})
    await p.say("alice", "hello")
    path = await ask(p, "alice")
    p.clock.advance(days=1.9)
    assert (await p.get(path))[0] == 200
    p.clock.advance(days=0.2)
    assert (await p.get(path))[0] == 403


async def test_revoke_turns_off_every_earlier_link(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    await p.say("alice", "hello")
    first, second = await ask(p, "alice"), await ask(p, "alice")
    bob = await ask(p, "bob")
    assert await p.say("alice", "!dashboard revoke") == (
        "Your personal dashboard links no longer work.")
    assert (await p.get(first))[0] == 403
    assert (await p.get(second))[0] == 403
    assert (await p.get(bob))[0] == 200  # bob's links are his own business
    fresh = await ask(p, "alice")
    assert (await p.get(fresh))[0] == 200


async def test_french_and_without_the_web_server(make_pulse: MakePulse) -> None:
    p = await make_pulse(raw={"bot": {"locale": "fr"}})
    assert await p.say("alice", "!tableau") == (
        "Le tableau de bord web n’est pas en service sur ce bot.")
    assert await p.say("alice", "!tableau revoquer") == (
        "Vos liens personnels vers le tableau de bord ne fonctionnent plus.")
    q = await make_pulse(web=True, raw={"bot": {"locale": "fr"}})
    await q.say("alice", "!tableau")
    assert q.room_texts()[-1] == "Je vous ai envoyé votre lien en privé."
    (dm,) = q.dms("alice")
    assert dm.startswith("🔗 Votre page, valable 7 jours : http://")
    status, html, _h = await q.get(link_in(dm))
    assert status == 200 and "Ce qui vous concerne" in html


async def test_no_private_channel_means_no_link(make_pulse: MakePulse) -> None:
    p = await make_pulse(web=True)
    p.tb.chat.adapter.capabilities = Capabilities(reactions=True, edits=True, files=True,
                                                  direct_messages=False)
    answer = await p.say("alice", "!dashboard")
    assert answer == ("I cannot write to you privately here: try `!dashboard` in a direct "
                      "message.")
    assert "/me/" not in answer
