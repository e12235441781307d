"""Anonymous authors stay hidden from members everywhere; authors hear of every status change."""

from __future__ import annotations

from bot.adapters.base import Capabilities
from plugins.ideas.tests.conftest import Harness, Start, known


def visible_to(h: Harness, name: str) -> list[str]:
    """Everything `name` could read: the room, and their own direct messages."""
    return [m.current for m in h.chat.sent if m.to is None or m.to == name]


async def test_anonymous_author_never_shown_to_members(start: Start) -> None:
    h = await start(support_threshold=2)
    await known(h, "bob")
    await h.say("alice", "!idea submit Secret garden | on the roof --anonymous")
    await h.say("alice", "!idea coauthor 1 @bob")
    await h.say("alice", "!idea comment 1 I would water it myself")
    for text in ("!idea list", "!idea list all", "!idea show 1", "!idea search garden",
                 "!idea search roof --page 1"):
        out = await h.say("carol", text)
        assert "alice" not in out and "anonymous" in out, (text, out)
    await h.say("carol", "!idea support 1")
    await h.say("dave", "!idea support 1")  # threshold: review, then a poll
    await h.votes.close(h.bot, h.votes.polls[0], yes=5, no=0)
    await h.say("mod", "!idea implement 1")
    show = await h.say("carol", "!idea show 1")
    assert "By anonymous" in show and "anonymous: I would water it myself" in show
    assert "Co-authors: bob" in show  # co-authors chose to be named
    for name in ("carol", "dave", "bob"):
        seen = "\n".join(visible_to(h, name))
        assert "alice" not in seen, (name, seen)
    # the author herself heard of every change, privately
    assert [t.split(" is now ")[1] for t in h.dms("alice")] == [
        "in review.", "being voted on.", "accepted: poll #1: 5 yes, 0 no", "implemented."]
    # payloads keep the real author for rewards, with the flag for consumers
    [accepted] = h.events.named("accepted")
    assert accepted.anonymous and accepted.author_id != 0


async def test_moderators_learn_the_author_in_private_only(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Whistle | blown --anonymous")
    h.chat.clear()
    await h.say("mod", "!idea show 1")
    assert all("alice" not in t for t in h.room_texts())
    assert h.dms("mod") == ["Idea #1 was submitted anonymously by alice (only moderators see "
                            "this)."]
    assert "alice" not in await h.say("mod", "!idea list")


async def test_no_room_mention_for_anonymous_authors_without_direct_messages(
        start: Start) -> None:
    h = await start()
    h.chat.adapter.capabilities = Capabilities(reactions=True, edits=True, files=True,
                                               direct_messages=False)
    await h.say("alice", "!idea submit Hidden --anonymous")
    await h.say("bob", "!idea submit Public")
    await h.say("mod", "!idea accept 1")
    await h.say("mod", "!idea accept 2")
    room = "\n".join(h.room_texts())
    assert "alice" not in room
    assert "@bob Your idea #2 “Public” is now accepted." in room


async def test_authors_and_coauthors_are_told_of_every_change(start: Start) -> None:
    h = await start()
    await known(h, "bob", "carol")
    await h.say("alice", "!idea submit Together")
    await h.say("alice", "!idea coauthor 1 @bob")
    await h.say("alice", "!idea coauthor 1 @carol")
    await h.say("mod", "!idea poll 1")
    await h.say("mod", "!idea accept 1 as voted in the assembly")
    await h.say("mod", "!idea implement 1")
    expected = ["Your idea #1 “Together” is now being voted on.",
                "Your idea #1 “Together” is now accepted: as voted in the assembly",
                "Your idea #1 “Together” is now implemented."]
    assert h.dms("alice") == expected
    assert h.dms("bob")[1:] == expected and h.dms("carol")[1:] == expected
    assert h.dms("mod") == []  # the moderator acted: told by the reply, not twice


async def test_the_actor_is_not_notified_of_their_own_change(start: Start) -> None:
    h = await start()
    await h.say("alice", "!idea submit Changed my mind")
    await h.say("alice", "!idea withdraw 1")
    assert h.dms("alice") == []


async def test_notifications_are_in_the_community_language(start: Start) -> None:
    h = await start(locale="fr")
    await h.say("alice", "!idea submit Four à pain --anonymous")
    await h.say("mod", "!idea reject 1 trop cher")
    assert h.dms("alice") == ["Votre idée n°1 « Four à pain » est maintenant rejetée : trop cher"]
