"""Outgoing Matrix event contents: Markdown → HTML with a plain fallback, pills, replies, threads,
edits, reactions, files and polls. Pure functions (no nio), unit-tested on their output dicts.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.adapters.matrix.text import BARE_USER

HTML = "org.matrix.custom.html"

_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"
                     r"|(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_URL = re.compile(r"(?<![\"'=>\w])(https?://[^\s<]+[^\s<.,;:!?)\]'\"])")
_MARK = "\x00"
_STASHED = re.compile(f"{_MARK}(\\d+){_MARK}")


def _alias_pattern(text: str, aliases: Mapping[str, str]) -> re.Pattern[str] | None:
    """`@Display Name` of known members as one regex, or None when `text` cannot mention any.

    Most replies have no `@` at all, and a room's names change rarely: the pattern over every
    member (~250 µs to build for 100 names) is built once per set of names.
    """
    if "@" not in text or not aliases:
        return None
    return _names_pattern(frozenset(aliases))


@functools.lru_cache(maxsize=64)
def _names_pattern(names: frozenset[str]) -> re.Pattern[str] | None:
    """The regex for one set of display names, longest first (None when they are all blank)."""
    ordered = sorted((n for n in names if n.strip()), key=lambda n: (-len(n), n))
    if not ordered:
        return None
    return re.compile(r"(?<![\w@])@(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w:])")


def _inline(text: str, pills: Mapping[str, str], aliases: Mapping[str, str]) -> str:
    """One line of Markdown to HTML; code spans are protected from the other rules."""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"{_MARK}{len(stash) - 1}{_MARK}"

    # Each rule runs only when the character it needs is there: most lines need none.
    if "`" in text:
        text = _CODE.sub(lambda m: keep(f"<code>{html.escape(m.group(1), quote=False)}</code>"),
                         text)
    if "://" in text:
        text = _LINK.sub(lambda m: keep(f'<a href="{html.escape(m.group(2))}">'
                                        f"{html.escape(m.group(1), quote=False)}</a>"), text)
        text = _URL.sub(lambda m: keep(f'<a href="{html.escape(m.group(1))}">'
                                       f"{html.escape(m.group(1), quote=False)}</a>"), text)
    if "@" in text:
        text = BARE_USER.sub(
            lambda m: keep(pill(m.group(0), pills.get(m.group(0), m.group(0)))), text)
        by_name = _alias_pattern(text, aliases)
        if by_name is not None:
            text = by_name.sub(lambda m: keep(pill(aliases[m.group(1)], m.group(1))), text)
    text = html.escape(text, quote=False)
    if "*" in text or "_" in text:
        text = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", text)
        text = _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", text)
    if not stash:
        return text
    # A NUL-number-NUL written in the text itself is not a mark of ours: left as it is.
    return _STASHED.sub(lambda m: stash[int(m.group(1))] if int(m.group(1)) < len(stash)
                        else m.group(0), text)


def pill(user_id: str, label: str) -> str:
    """A mention pill as Matrix clients render it."""
    return (f'<a href="https://matrix.to/#/{html.escape(user_id)}">'
            f"{html.escape(label, quote=False)}</a>")


def markdown_to_html(text: str, pills: Mapping[str, str] | None = None,
                     aliases: Mapping[str, str] | None = None) -> str:
    """The small Markdown the bot writes (bold, italic, code, fenced code, links, line breaks)."""
    out: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            code = html.escape("\n".join(lines[index + 1:end]), quote=False)
            out.append(f"<pre><code>{code}</code></pre>")
            index = end + 1
            continue
        out.append(_inline(line, pills or {}, aliases or {})
                   + ("<br>" if index + 1 < len(lines) else ""))
        index += 1
    return "".join(out).removesuffix("<br>")


def plain_text(text: str) -> str:
    """The plain-body fallback: the Markdown markers a reader would otherwise see removed."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    return text.replace("```\n", "").replace("\n```", "")


def mentioned_users(text: str, aliases: Mapping[str, str] | None = None) -> list[str]:
    """User ids the text mentions, by id or by `@Display Name` of a room member."""
    found = BARE_USER.findall(text)
    by_name = _alias_pattern(text, aliases or {})
    if by_name is not None:
        found += [(aliases or {})[m.group(1)] for m in by_name.finditer(text)]
    return list(dict.fromkeys(found))


def text_content(text: str, *, msgtype: str = "m.notice", pills: Mapping[str, str] | None = None,
                 aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A text message; the HTML body only when formatting or a pill makes it differ.

    `pills` labels user ids (display names); `aliases` maps display names to user ids so that
    `@Alice` written by a plugin becomes a real mention.
    """
    content: dict[str, Any] = {"msgtype": msgtype, "body": plain_text(text)}
    formatted = markdown_to_html(text, pills, aliases)
    if formatted != html.escape(text, quote=False).replace("\n", "<br>"):
        content["format"] = HTML
        content["formatted_body"] = formatted
    mentioned = mentioned_users(text, aliases)
    content["m.mentions"] = {"user_ids": mentioned} if mentioned else {}
    return content


def room_text_content(text: str, aliases: Callable[[], Mapping[str, str]], *,
                      msgtype: str = "m.notice") -> dict[str, Any]:
    """`text_content` for a room, asking for its members' names only when `text` has an `@`.

    Pills and `@Display Name` mentions both start with `@`; most replies have none, and the
    names map costs more than the rest of the rendering (one pass over the room's members,
    ~100 µs for 100 members, benchmarks/_platform.py)."""
    if "@" not in text:
        return text_content(text, msgtype=msgtype)
    names = aliases()
    pills = {user: name for name, user in names.items()}
    return text_content(text, msgtype=msgtype, pills=pills, aliases=names)


def with_relations(content: dict[str, Any], *, reply_to: str | None = None,
                   thread_root: str | None = None) -> dict[str, Any]:
    """Add a reply and/or a thread relation (a reply inside a thread stays in the thread)."""
    if thread_root:
        rel: dict[str, Any] = {"rel_type": "m.thread", "event_id": thread_root}
        if reply_to and reply_to != thread_root:
            rel["is_falling_back"] = False
            rel["m.in_reply_to"] = {"event_id": reply_to}
        else:
            rel["is_falling_back"] = True
            rel["m.in_reply_to"] = {"event_id": thread_root}
        content["m.relates_to"] = rel
    elif reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
    return content


def edit_content(target: str, new: dict[str, Any]) -> dict[str, Any]:
    """An m.replace edit: the new content inside, a `* …` fallback for old clients outside."""
    inner = {k: v for k, v in new.items() if k not in ("m.relates_to", "m.mentions")}
    content: dict[str, Any] = dict(inner)
    content["body"] = f"* {inner.get('body', '')}"
    if "formatted_body" in inner:
        content["formatted_body"] = f"* {inner['formatted_body']}"
    content["m.new_content"] = inner
    content["m.relates_to"] = {"rel_type": "m.replace", "event_id": target}
    content["m.mentions"] = {}  # an edit must not ping anyone again
    return content


def reaction_content(target: str, emoji: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": emoji}}


def file_content(filename: str, size: int, mimetype: str, caption: str = "", *,
                 url: str | None = None, encrypted: Mapping[str, Any] | None = None
                 ) -> dict[str, Any]:
    """An m.file message: `url` in clear rooms, the `file` key object in encrypted ones."""
    content: dict[str, Any] = {
        "msgtype": "m.file",
        "body": caption or filename,
        "filename": filename,
        "info": {"size": size, "mimetype": mimetype},
    }
    if encrypted is not None:
        content["file"] = dict(encrypted)
    else:
        content["url"] = url
    return content


def poll_start_content(question: str, options: list[str] | tuple[str, ...],
                       max_selections: int = 1, disclosed: bool = True) -> dict[str, Any]:
    """An MSC3381 poll, in the unstable form every current client reads, with a text fallback.

    Answer ids are "1".."N" so a response maps straight to the option number.
    """
    lines = [question] + [f"{i}. {o}" for i, o in enumerate(options, 1)]
    kind = "org.matrix.msc3381.poll." + ("disclosed" if disclosed else "undisclosed")
    return {
        "org.matrix.msc3381.poll.start": {
            "kind": kind,
            "max_selections": max(1, min(max_selections, len(options))),
            "question": {"org.matrix.msc1767.text": question},
            "answers": [{"id": str(i), "org.matrix.msc1767.text": o}
                        for i, o in enumerate(options, 1)],
        },
        "org.matrix.msc1767.text": "\n".join(lines),
        "body": "\n".join(lines),
    }


def poll_end_content(poll_id: str, text: str) -> dict[str, Any]:
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_id},
        "org.matrix.msc3381.poll.end": {},
        "org.matrix.msc1767.text": text,
        "body": text,
    }
