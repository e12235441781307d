"""Outgoing contents: Markdown → HTML with a plain fallback, pills, relations, edits, files, polls."""

from __future__ import annotations

from bot.adapters.matrix.render import (
    edit_content,
    file_content,
    markdown_to_html,
    mentioned_users,
    plain_text,
    poll_end_content,
    poll_start_content,
    reaction_content,
    room_text_content,
    text_content,
    with_relations,
)
from bot.adapters.matrix.translate import PollResponse, parse_poll_start, selection

SAMPLES = [
    "Pong!", "alice tipped bob 3 BZZ.", "**Balance**: 120 BZZ", "_idea_ #3 `code` here",
    "see [the wiki](https://x.org/a_b) or https://x.org/*x*", "thanks @Alice Smith and @bob:localhost",
    "a < b & c\nsecond **line** with @Alice Smith", "```\n@Alice Smith *raw*\n```", "x\x001\x00y",
    "snake_case_name and 2*3*4", "mail@example.org", "__bold__ *it* `a*b*` @Alice Smith!",
]


def test_plain_text_has_no_html_body() -> None:
    content = text_content("Pong!")
    assert content == {"msgtype": "m.notice", "body": "Pong!", "m.mentions": {}}
    assert "formatted_body" not in text_content("a < b & c\nsecond line")


def test_markdown_subset() -> None:
    assert markdown_to_html("**bold** and *it* and _it_") == \
        "<strong>bold</strong> and <em>it</em> and <em>it</em>"
    assert markdown_to_html("`!vote 3 <A>`") == "<code>!vote 3 &lt;A&gt;</code>"
    assert markdown_to_html("[site](https://x.org/a?b=1&c=2)") == \
        '<a href="https://x.org/a?b=1&amp;c=2">site</a>'
    assert markdown_to_html("one\ntwo") == "one<br>two"
    assert markdown_to_html("```\n**x** <y>\n```") == "<pre><code>**x** &lt;y&gt;</code></pre>"
    assert markdown_to_html("see https://x.org/a_b_c.") == \
        'see <a href="https://x.org/a_b_c">https://x.org/a_b_c</a>.'
    assert markdown_to_html("snake_case_name 2*3*4") == "snake_case_name 2*3*4"


def test_user_html_is_escaped_never_rendered() -> None:
    content = text_content("**<script>alert(1)</script>**")
    assert content["formatted_body"] == "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"
    assert content["body"] == "<script>alert(1)</script>"


def test_plain_fallback_drops_markers() -> None:
    assert plain_text("**Idea #3** [link](https://x.org)") == "Idea #3 link (https://x.org)"


def test_mention_pills_by_id_and_by_display_name() -> None:
    content = text_content("thanks @bob:localhost and @Alice Smith!",
                           pills={"@bob:localhost": "Bob"},
                           aliases={"Alice Smith": "@alice:localhost"})
    assert content["formatted_body"] == (
        'thanks <a href="https://matrix.to/#/@bob:localhost">Bob</a> and '
        '<a href="https://matrix.to/#/@alice:localhost">Alice Smith</a>!')
    assert content["m.mentions"] == {"user_ids": ["@bob:localhost", "@alice:localhost"]}
    assert content["body"] == "thanks @bob:localhost and @Alice Smith!"
    assert text_content("mail@example.org")["m.mentions"] == {}


def test_reply_and_thread_relations() -> None:
    assert with_relations({}, reply_to="$a") == {"m.relates_to": {"m.in_reply_to": {"event_id": "$a"}}}
    in_thread = with_relations({}, reply_to="$a", thread_root="$root")
    assert in_thread["m.relates_to"] == {"rel_type": "m.thread", "event_id": "$root",
                                         "is_falling_back": False,
                                         "m.in_reply_to": {"event_id": "$a"}}
    start = with_relations({}, thread_root="$root")
    assert start["m.relates_to"]["is_falling_back"] is True
    assert with_relations({"x": 1}) == {"x": 1}


def test_edit_replaces_with_new_content_and_pings_nobody() -> None:
    new = text_content("**2** votes @bob:localhost")
    edit = edit_content("$orig", new)
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$orig"}
    assert edit["m.new_content"]["body"] == "2 votes @bob:localhost"
    assert "m.relates_to" not in edit["m.new_content"]
    assert edit["body"].startswith("* ") and edit["formatted_body"].startswith("* ")
    assert edit["m.mentions"] == {}


def test_reaction_and_file_contents() -> None:
    assert reaction_content("$e", "👍") == {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": "$e", "key": "👍"}}
    clear = file_content("ledger.csv", 10, "text/csv", "Ledger", url="mxc://s/id")
    assert clear["url"] == "mxc://s/id" and clear["body"] == "Ledger"
    assert clear["filename"] == "ledger.csv" and clear["info"] == {"size": 10, "mimetype": "text/csv"}
    secret = file_content("l.csv", 1, "text/csv", encrypted={"url": "mxc://s/x", "key": {}})
    assert "url" not in secret and secret["file"]["url"] == "mxc://s/x" and secret["body"] == "l.csv"


def test_poll_content_round_trips_through_the_parser() -> None:
    content = poll_start_content("Lunch?", ["Pizza", "Salad", "Soup"], max_selections=5)
    poll = parse_poll_start({"type": "org.matrix.msc3381.poll.start", "event_id": "$p",
                             "sender": "@ruche:s", "content": content}, "!r:s")
    assert poll is not None
    assert poll.answers == ("1", "2", "3") and poll.labels == ("Pizza", "Salad", "Soup")
    assert poll.max_selections == 3
    assert selection(PollResponse("$r", "$p", "@a:s", ("3",), 1.0), poll) == (2,)
    assert "1. Pizza" in content["body"]
    end = poll_end_content("$p", "closed")
    assert end["m.relates_to"] == {"rel_type": "m.reference", "event_id": "$p"}


def test_names_are_matched_against_the_room_as_it_is_now() -> None:
    """The per-name-set pattern cache never serves a mention of a name the room no longer has,
    and sees a name that just joined."""
    room = {f"Member {i}": f"@m{i}:s" for i in range(100)}
    first = text_content("thanks @Member 7 and @Newcomer", aliases=room)
    assert mentioned_users("thanks @Member 7 and @Newcomer", room) == ["@m7:s"]
    assert "@Newcomer" in first["body"] and "m7:s" in first["formatted_body"]
    grown = {**room, "Newcomer": "@new:s"}
    assert mentioned_users("thanks @Member 7 and @Newcomer", grown) == ["@m7:s", "@new:s"]
    shrunk = {k: v for k, v in grown.items() if k != "Member 7"}
    assert mentioned_users("thanks @Member 7 and @Newcomer", shrunk) == ["@new:s"]
    assert mentioned_users("no mention here", grown) == []
    assert "@new:s" not in str(text_content("plain reply", aliases=grown))


def test_room_contents_ask_for_names_only_when_a_mention_is_possible() -> None:
    """The fast paths (no `@`, no Markdown character) render exactly what the full path does."""
    names = {"Alice Smith": "@alice:localhost", "Bob": "@bob:localhost"}
    pills = {user: name for name, user in names.items()}
    asked: list[bool] = []

    def aliases() -> dict[str, str]:
        asked.append(True)
        return names

    for text in SAMPLES:
        asked.clear()
        assert room_text_content(text, aliases) == text_content(
            text, pills=pills, aliases=names), text
        assert bool(asked) == ("@" in text), text
