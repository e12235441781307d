"""Matrix message bodies to plain text: reply fallbacks stripped, pills turned into user ids.

Pure functions on strings (no nio), shared by the translation layer and its tests.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

#: A user pill: `https://matrix.to/#/@user:server` (optionally URL-encoded, with a query).
PILL = re.compile(r"^https://matrix\.to/#/(@[^/?#\s]+:[^/?#\s]+)(?:[?/].*)?$")
#: A bare Matrix user id in text; the server part stops before trailing punctuation.
BARE_USER = re.compile(r"(?<![\w@/])@[a-z0-9._=/+\-]+:[A-Za-z0-9.\-]+(?::\d+)?(?<![.\-])")

_BLOCK = frozenset({"p", "div", "blockquote", "pre", "li", "ul", "ol", "h1", "h2", "h3", "h4",
                    "h5", "h6", "table", "tr"})
_VS16 = "\ufe0f"


def pill_user(href: str) -> str | None:
    """The user id a matrix.to link points at, or None for rooms, events and other links."""
    match = PILL.match(unquote(href.strip()))
    if match is None:
        return None
    user = match.group(1)
    return user if re.fullmatch(r"@[^:\s]+:\S+", user) else None


def strip_reply_fallback(body: str) -> str:
    """Drop the `> <@user> quoted` lines a reply starts with (the reply relation says it all)."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index] == "":
        index += 1
    return "\n".join(lines[index:])


class _HtmlToText(HTMLParser):
    """Text of a formatted body: pills become user ids, `<mx-reply>` disappears."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pills: list[tuple[str, str]] = []
        self._skip = 0  # inside <mx-reply>
        self._pill: str | None = None  # inside a pill anchor: its user id
        self._pill_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "mx-reply":
            self._skip += 1
            return
        if self._skip:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self._newline()
        elif tag == "a":
            user = pill_user(dict(attrs).get("href") or "")
            if user is not None:
                self._pill, self._pill_text = user, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "mx-reply":
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "a" and self._pill is not None:
            self.parts.append(self._pill)
            self.pills.append((self._pill, "".join(self._pill_text).strip()))
            self._pill = None
        elif tag in _BLOCK:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pill is not None:
            self._pill_text.append(data)
        else:
            self.parts.append(data)

    def _newline(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n"):
            self.parts.append("\n")

    def text(self) -> str:
        return "".join(self.parts).strip("\n")


def html_to_text(formatted: str) -> tuple[str, list[tuple[str, str]]]:
    """(plain text, [(user id, pill label)]) of an `org.matrix.custom.html` body."""
    parser = _HtmlToText()
    try:
        parser.feed(formatted)
        parser.close()
    except Exception:  # malformed HTML from a hostile client: fall back to the tags stripped
        return html.unescape(re.sub(r"<[^>]*>", "", formatted)), []
    return parser.text(), parser.pills


def normalize_emoji(key: str) -> str:
    """One spelling per emoji: a trailing VS16 on an emoji-by-default symbol is dropped (👍️ → 👍).

    Keycaps (1️⃣) and text-default symbols (❤️) keep their selector, as the other platforms send them.
    """
    key = key.strip()
    if len(key) == 2 and key.endswith(_VS16) and ord(key[0]) >= 0x1F000:
        return key[0]
    return key


KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")


def keycap(index: int) -> str | None:
    """The reaction emoji of poll option `index` (0-based), as the votes plugin uses them."""
    return KEYCAPS[index] if 0 <= index < len(KEYCAPS) else None
