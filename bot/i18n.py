"""Lazy gettext-style messages translated at send time, so one reply can go to rooms in any locale.

Usage in a module (the catalog meta-test finds these assignments, so define them per module)::

    from bot.i18n import plural_translatable, translatable

    _ = translatable("tips")
    _n = plural_translatable("tips")

    await ctx.reply(_("Sent {amount} to {member}.", amount=5, member="bob"))
    await ctx.reply(_n("{n} idea", "{n} ideas", count))

Catalogs are plain ``.po`` files (no compiled ``.mo``):
``<package>/locales/<lang>/LC_MESSAGES/<domain>.po``; the core's own strings use the ``core``
domain in ``bot/locales``. A catalog that declares its ``Plural-Forms`` and holds nothing unusual
is read by a small reader here; babel (~50 ms to import and parse at startup) reads the others.
"""

from __future__ import annotations

import functools
import gettext
import io
import logging
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "CORE_DOMAIN",
    "CORE_LOCALES_DIR",
    "I18n",
    "PluralTranslator",
    "Text",
    "Translator",
    "plural_translatable",
    "translatable",
]

logger = logging.getLogger(__name__)

CORE_DOMAIN = "core"
CORE_LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SOURCE_LOCALE = "en"


def _english_plural(n: int) -> int:
    """Plural index for the source language, used when no catalog applies."""
    return 0 if n == 1 else 1


@dataclass(frozen=True)
class Text:
    """A message marked for translation but not yet translated, so the room's locale decides."""

    msgid: str
    domain: str
    kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    plural: str | None = None
    n: int | None = None

    def source(self) -> str:
        """The English (source) template for this message, singular or plural by `n`."""
        if self.plural is not None and self.n is not None and _english_plural(self.n) != 0:
            return self.plural
        return self.msgid

    def __str__(self) -> str:
        """English rendering, for logs and for platforms or tests that ignore locales."""
        rendered = _safe_format(self.source(), _render_kwargs(self.kwargs, str))
        return rendered if rendered is not None else self.msgid


class Translator(Protocol):
    """The `_` of a module: marks a message of a fixed domain."""

    def __call__(self, msgid: str, /, **kwargs: Any) -> Text: ...


class PluralTranslator(Protocol):
    """The `_n` of a module: marks a message with singular and plural forms; `{n}` is the count."""

    def __call__(self, singular: str, plural: str, n: int, /, **kwargs: Any) -> Text: ...


def translatable(domain: str) -> Translator:
    """Return `_` bound to `domain`, so call sites stay short and the domain is stated once."""

    def _(msgid: str, /, **kwargs: Any) -> Text:
        return Text(msgid, domain, dict(kwargs))

    return _


def plural_translatable(domain: str) -> PluralTranslator:
    """Return `_n` bound to `domain` for count-dependent messages (ngettext)."""

    def _n(singular: str, plural: str, n: int, /, **kwargs: Any) -> Text:
        return Text(singular, domain, {"n": n, **kwargs}, plural=plural, n=n)

    return _n


class _SafeFormatter(string.Formatter):
    """str.format without attribute/index access, so a bad translation cannot reach internals."""

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        """Allow only plain names ({amount}), never {x.attr} or {x[0]}."""
        if "." in field_name or "[" in field_name:
            raise ValueError(f"attribute or index access in placeholder {field_name!r}")
        return super().get_field(field_name, args, kwargs)


_FORMATTER = _SafeFormatter()


@functools.lru_cache(maxsize=4096)
def _plain_placeholders(template: str) -> bool:
    """True when every placeholder is a bare name, so C-speed `format_map` is safe to use."""
    try:
        return all(name is None or (name and "." not in name and "[" not in name)
                   for _text, name, _spec, _conv in _FORMATTER.parse(template))
    except ValueError:
        return False


def _safe_format(template: str, kwargs: Mapping[str, Any]) -> str | None:
    """Format `template`, returning None instead of raising on any placeholder problem."""
    try:
        if _plain_placeholders(template):
            return template.format_map(kwargs)
        return _FORMATTER.vformat(template, (), kwargs)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return None


def _render_kwargs(kwargs: Mapping[str, Any], render: Callable[[Text], str]) -> dict[str, Any]:
    """Replace nested Text values by their rendering in the same locale."""
    return {k: render(v) if isinstance(v, Text) else v for k, v in kwargs.items()}


@dataclass
class _Catalog:
    """The translated, non-fuzzy entries of one .po file plus its plural rule."""

    messages: dict[str, tuple[str, ...]]
    plural: Callable[[int], int]
    num_plurals: int


#: The header entry (`msgid ""` then `msgstr` and its quoted lines) at the top of a .po file.
_PO_HEADER = re.compile(r'^msgid ""[ \t]*\r?\nmsgstr((?:[ \t]*"(?:[^"\\\n]|\\.)*"[ \t]*\r?\n?)+)',
                        re.MULTILINE)
_PO_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


_PO_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_PO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(quoted: str) -> str:
    """The text of one quoted .po string, exactly as babel's `unescape` reads it."""
    inner = quoted[1:-1]
    if "\\" not in inner:
        return inner
    return _PO_ESCAPE.sub(lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), inner)


def _declares_plural_forms(text: str) -> bool:
    """Whether the catalog's own header has `Plural-Forms` (babel fills in a locale rule if not)."""
    found = _PO_HEADER.search(text)
    if found is None:
        return False
    header = "".join(_unescape(part) for part in _PO_STRING.findall(found.group(1)))
    return any(line.split(":", 1)[0].strip().lower() == "plural-forms"
               for line in header.splitlines() if ":" in line)


def _clamped(rule: Callable[[int], int], last: int) -> Callable[[int], int]:
    """A rule whose extra categories (CLDR's "many", "other"…) use a catalog's last form."""
    return lambda n: min(rule(n), last)


class _Unusual(Exception):
    """The fast reader met something only babel reads faithfully: babel reads the file."""


def _params(value: str) -> dict[str, str]:
    """`a=1; b=2` → {"a": "1", "b": "2"}, as babel reads a header's parameters (no quoting)."""
    if '"' in value or "\\" in value:
        raise _Unusual("quoted header parameter")
    params: dict[str, str] = {}
    for part in value.split(";"):
        name, _eq, val = part.partition("=")
        params[name.strip().lower()] = val.strip()
    return params


def _header(text: str) -> tuple[str, int]:
    """The plural expression and form count a catalog's header declares; it must be UTF-8."""
    plural: tuple[str, int] | None = None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[:1] in " \t":
            raise _Unusual("header line the mail parser would read otherwise")
        name, value = name.lower(), value.lstrip(" \t").rstrip("\r")
        if name == "content-type":
            charset = _params(value).get("charset", "").lower()
            if charset not in ("", "charset", "utf-8", "utf8"):
                raise _Unusual(f"charset {charset}")
        elif name == "plural-forms":
            params = _params(value)
            if "nplurals" not in params or "plural" not in params:
                raise _Unusual("incomplete Plural-Forms")
            try:
                plural = (params["plural"], int(params["nplurals"]))
            except ValueError:
                raise _Unusual("nplurals is not a number") from None
    if plural is None:
        raise _Unusual("no Plural-Forms: babel's rule for the locale applies")
    return plural


#: One .po entry: its msgid (and msgid_plural) parts, its msgstr[index] parts, its flags.
_Entry = tuple[list[list[str]], list[tuple[int, list[str]]], set[str]]


def _entries(raw: bytes) -> list[_Entry]:
    """The entries of a .po file, split the way babel's parser splits them."""
    entries: list[_Entry] = []
    ids: list[list[str]] = []
    strs: list[tuple[int, list[str]]] = []
    flags: set[str] = set()
    state = ""

    def finish() -> None:
        nonlocal ids, strs, flags, state
        if ids:
            if not strs:
                raise _Unusual("msgid without msgstr")
            entries.append((ids, strs, flags))
            ids, strs, flags, state = [], [], set(), ""

    for raw_line in raw.split(b"\n"):
        stripped = raw_line.strip()
        if not stripped:
            continue
        try:
            line = stripped.decode("utf-8")
        except UnicodeDecodeError:
            raise _Unusual("not UTF-8") from None
        if line[0] == "#":
            if line[1:2] in ("~", "-") or "\u2068" in line or "\u2069" in line:
                raise _Unusual("obsolete entry, conflict marker or isolated file name")
            finish()
            if line[1:2] == ",":
                flags.update(flag.strip() for flag in line[2:].lstrip().split(","))
        elif line[0] == '"':
            if state == "id":
                ids[-1].append(line)
            elif state == "str":
                strs[-1][1].append(line)
            else:
                raise _Unusual("string outside msgid and msgstr")
        else:
            keyword, _sp, arg = line.partition(" ")
            if keyword == "msgid":
                finish()
                ids, state = [[arg.strip()]], "id"
            elif keyword == "msgid_plural" and len(ids) == 1:
                ids.append([arg.strip()])
                state = "id"
            elif keyword == "msgstr" or (keyword.startswith("msgstr[") and keyword[-1] == "]"):
                try:
                    index = int(keyword[7:-1]) if keyword != "msgstr" else 0
                except ValueError:
                    raise _Unusual("bad msgstr index") from None
                strs.append((index, [arg.strip()] if arg != '""' else []))
                state = "str"
            else:
                raise _Unusual(f"keyword {keyword}")  # msgctxt, or what babel warns about
    finish()
    return entries


def _denormalize(parts: list[str]) -> str:
    """One string from its quoted lines."""
    return "".join(_unescape(part) for part in parts)


def _read_po(raw: bytes) -> tuple[list[tuple[str | tuple[str, ...], tuple[str, ...]]], str, int]:
    """Translated (msgid, forms) pairs, plural expression and form count, without babel.

    Raises _Unusual for whatever babel would read differently or complain about (no
    `Plural-Forms`, another charset, msgctxt, obsolete or duplicate entries, stray lines).
    """
    header: tuple[str, int] | None = None
    seen: set[str] = set()
    found: list[tuple[str | tuple[str, ...], tuple[str, ...]]] = []
    for ids, strs, flags in _entries(raw):
        msgid = _denormalize(ids[0])
        if not msgid and len(ids) == 1:
            if header is not None or found:
                raise _Unusual("header not first, or twice")
            if len(strs) != 1 or strs[0][0]:
                raise _Unusual("header with plural strings")
            header = _header(_denormalize(strs[0][1]))
            continue
        if msgid in seen:
            raise _Unusual("duplicate msgid")
        seen.add(msgid)
        if len(ids) == 1:
            if len(strs) != 1 or strs[0][0]:
                raise _Unusual("plural strings for a singular msgid")
            forms: tuple[str, ...] = (_denormalize(strs[0][1]),)
            key: str | tuple[str, ...] = msgid
        else:
            if header is None:
                raise _Unusual("plural entry before the header")
            strings = [""] * header[1]
            indexes = [index for index, _parts in strs]
            if len(set(indexes)) != len(indexes) or max(indexes) >= header[1]:
                raise _Unusual("repeated msgstr index, or more forms than nplurals")
            for index, parts in strs:
                strings[index] = _denormalize(parts)
            forms = tuple(strings)
            key = (msgid, _denormalize(ids[1]))
        if "fuzzy" not in flags:
            found.append((key, forms))
    if header is None:
        raise _Unusual("no header")
    return found, header[0], header[1]


def _load_po(path: Path, locale: str, domain: str) -> _Catalog:
    """Read a .po file, keeping only entries a translator finished (not fuzzy).

    The catalog's own `Plural-Forms` header says how many forms it has and how to pick one.
    Without it babel's rule for the locale applies, and that rule changes between babel
    releases (2.19 gives French, Spanish, Italian… a third form, CLDR's "many"): a catalog
    written with fewer forms then uses its last form for the extra categories, which are all
    plural ones, rather than falling back to English.
    """
    raw = path.read_bytes()
    try:
        found, expr, count = _read_po(raw)
    except _Unusual:
        return _load_po_with_babel(raw, path, locale, domain)
    return _catalog(found, expr, count, True, path)


def _catalog(found: list[tuple[str | tuple[str, ...], tuple[str, ...]]], expr: str,
             num_plurals: int, declared: bool, path: Path) -> _Catalog:
    """The lookup table and plural rule of the entries a reader found, whichever reader."""
    messages: dict[str, tuple[str, ...]] = {}
    written = 0
    for msgid, forms in found:
        if not any(forms):
            continue
        messages[str(msgid[0] if isinstance(msgid, tuple) else msgid)] = forms
        if isinstance(msgid, tuple):
            written = max(written, max(i for i, form in enumerate(forms) if form) + 1)
    try:
        plural = gettext.c2py(expr)
    except (ValueError, TypeError):
        logger.warning("i18n.bad_plural_forms path=%s expr=%r", path, expr)
        return _Catalog(messages, _english_plural, 2)
    if not declared and 0 < written < num_plurals:
        logger.warning("i18n.no_plural_forms path=%s locale_forms=%d catalog_forms=%d: add a"
                       " Plural-Forms header", path, num_plurals, written)
        plural, num_plurals = _clamped(plural, written - 1), written
    return _Catalog(messages, plural, num_plurals)


def _load_po_with_babel(raw: bytes, path: Path, locale: str, domain: str) -> _Catalog:
    """babel's reading of a catalog the fast reader does not take (its locale's plural rule)."""
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(raw), locale=locale, domain=domain)
    found: list[tuple[str | tuple[str, ...], tuple[str, ...]]] = []
    for message in catalog:
        if not message.id or message.fuzzy or message.context is not None:
            continue
        strings = message.string
        forms = tuple(str(s) for s in (strings if isinstance(strings, tuple | list)
                                       else (strings,)))
        ids = message.id
        found.append((tuple(str(i) for i in ids) if isinstance(ids, tuple | list) else str(ids),
                      forms))
    declared = _declares_plural_forms(raw.decode(str(catalog.charset or "utf-8"), "replace"))
    return _catalog(found, str(catalog.plural_expr), int(catalog.num_plurals), declared, path)


class I18n:
    """Holds every domain's catalogs and renders Text for a locale; never raises while rendering."""

    def __init__(self, default_locale: str = SOURCE_LOCALE) -> None:
        """Start with the core domain loaded, since core replies exist in every bot."""
        self._catalogs: dict[str, dict[str, list[_Catalog]]] = {}
        self._default = SOURCE_LOCALE
        if CORE_LOCALES_DIR.is_dir():
            self.add_domain(CORE_DOMAIN, CORE_LOCALES_DIR)
        self._default = self.normalize_locale(default_locale)

    @property
    def default_locale(self) -> str:
        """Locale used when a room asks for one that is unknown."""
        return self._default

    def set_default_locale(self, locale: str) -> None:
        """`[bot] locale` changed by a config reload."""
        self._default = self.normalize_locale(locale)

    @property
    def locales(self) -> set[str]:
        """Every locale some catalog provides, plus the source language."""
        found = {SOURCE_LOCALE}
        for by_locale in self._catalogs.values():
            found.update(by_locale)
        return found

    def add_domain(self, domain: str, locales_dir: Path) -> set[str]:
        """Load `locales_dir/<lang>/LC_MESSAGES/<domain>.po` for each lang; return the locales read.

        A broken catalog is logged and skipped: a plugin's typo must not take the bot down.
        """
        loaded: set[str] = set()
        if not locales_dir.is_dir():
            return loaded
        for lang_dir in sorted(locales_dir.iterdir()):
            po_path = lang_dir / "LC_MESSAGES" / f"{domain}.po"
            if not po_path.is_file():
                continue
            locale = _canonical(lang_dir.name)
            try:
                catalog = _load_po(po_path, locale, domain)
            except Exception:
                logger.exception("i18n.catalog_unreadable path=%s", po_path)
                continue
            # Later directories win; each keeps its own plural rule.
            self._catalogs.setdefault(domain, {}).setdefault(locale, []).insert(0, catalog)
            loaded.add(locale)
        return loaded

    def normalize_locale(self, locale: str | None) -> str:
        """Map "fr_FR", "fr-CA", "FR" to an available locale ("fr"); unknown → the default."""
        if not locale:
            return self._default
        canonical = _canonical(locale)
        available = self.locales
        if canonical in available:
            return canonical
        language = canonical.split("_", 1)[0]
        if language in available:
            return language
        return self._default

    def translate(self, text: Text | str, locale: str | None) -> str:
        """Render `text` in `locale`, falling back to English, then to the raw msgid."""
        if not isinstance(text, Text):
            return text
        loc = self.normalize_locale(locale)
        translated = self._lookup(text, loc)
        kwargs = _render_kwargs(text.kwargs, lambda inner: self.translate(inner, loc))
        if translated is not None:
            rendered = _safe_format(translated, kwargs)
            if rendered is not None:
                return rendered
            logger.warning(
                "i18n.bad_translation domain=%s locale=%s msgid=%r",
                text.domain,
                loc,
                text.msgid,
            )
        rendered = _safe_format(text.source(), kwargs)
        if rendered is not None:
            return rendered
        logger.warning("i18n.bad_format domain=%s msgid=%r", text.domain, text.msgid)
        return text.msgid

    def _lookup(self, text: Text, locale: str) -> str | None:
        """The catalog's string for `text` in `locale`, or None when untranslated."""
        for catalog in self._catalogs.get(text.domain, {}).get(locale, ()):
            forms = catalog.messages.get(text.msgid)
            if forms:
                return _pick(catalog, forms, text)
        return None


def _pick(catalog: _Catalog, forms: tuple[str, ...], text: Text) -> str | None:
    """The form the catalog's plural rule picks for `text.n`; None if the translator left it out."""
    index = 0
    if text.plural is not None and text.n is not None:
        try:
            index = int(catalog.plural(abs(int(text.n))))
        except (TypeError, ValueError, ZeroDivisionError):
            index = 0
    if index >= len(forms) or not forms[index]:
        return None
    return forms[index]


def _canonical(locale: str) -> str:
    """Map "fr-FR" / "FR_fr" to "fr_FR": one spelling for directory names and room settings."""
    parts = locale.strip().replace("-", "_").split("_")
    head = parts[0].lower()
    tail = [p.upper() if len(p) == 2 else p for p in parts[1:] if p]
    return "_".join([head, *tail])
