"""Lazy gettext-style messages translated at send time, so one reply can go to rooms in any locale.

Usage in a module (the catalog meta-test finds these assignments, so define them per module)::

    from bot.i18n import plural_translatable, translatable

    _ = translatable("tips")
    _n = plural_translatable("tips")

    await ctx.reply(_("Sent {amount} to {member}.", amount=5, member="bob"))
    await ctx.reply(_n("{n} idea", "{n} ideas", count))

Catalogs are plain ``.po`` files read with babel (no compiled ``.mo``):
``<package>/locales/<lang>/LC_MESSAGES/<domain>.po``; the core's own strings use the ``core``
domain in ``bot/locales``.
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

from babel.messages.pofile import read_po, unescape

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


def _declares_plural_forms(text: str) -> bool:
    """Whether the catalog's own header has `Plural-Forms` (babel fills in a locale rule if not)."""
    found = _PO_HEADER.search(text)
    if found is None:
        return False
    header = "".join(unescape(part) for part in _PO_STRING.findall(found.group(1)))
    return any(line.split(":", 1)[0].strip().lower() == "plural-forms"
               for line in header.splitlines() if ":" in line)


def _clamped(rule: Callable[[int], int], last: int) -> Callable[[int], int]:
    """A rule whose extra categories (CLDR's "many", "other"…) use a catalog's last form."""
    return lambda n: min(rule(n), last)


def _load_po(path: Path, locale: str, domain: str) -> _Catalog:
    """Read a .po file with babel, keeping only entries a translator finished (not fuzzy).

    The catalog's own `Plural-Forms` header says how many forms it has and how to pick one.
    Without it babel's rule for the locale applies, and that rule changes between babel
    releases (2.19 gives French, Spanish, Italian… a third form, CLDR's "many"): a catalog
    written with fewer forms then uses its last form for the extra categories, which are all
    plural ones, rather than falling back to English.
    """
    raw = path.read_bytes()
    catalog = read_po(io.BytesIO(raw), locale=locale, domain=domain)
    messages: dict[str, tuple[str, ...]] = {}
    written = 0
    for message in catalog:
        if not message.id or message.fuzzy or message.context is not None:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        strings = message.string
        forms = tuple(strings) if isinstance(strings, tuple | list) else (strings,)
        if not any(forms):
            continue
        messages[str(msgid)] = tuple(str(s) for s in forms)
        if isinstance(message.id, tuple | list):
            written = max(written, max(i for i, form in enumerate(forms) if form) + 1)
    try:
        plural = gettext.c2py(str(catalog.plural_expr))
        num_plurals = int(catalog.num_plurals)
    except (ValueError, TypeError):
        logger.warning("i18n.bad_plural_forms path=%s expr=%r", path, catalog.plural_expr)
        return _Catalog(messages, _english_plural, 2)
    declared = _declares_plural_forms(raw.decode(str(catalog.charset or "utf-8"), "replace"))
    if not declared and 0 < written < num_plurals:
        logger.warning("i18n.no_plural_forms path=%s locale_forms=%d catalog_forms=%d: add a"
                       " Plural-Forms header", path, num_plurals, written)
        plural, num_plurals = _clamped(plural, written - 1), written
    return _Catalog(messages, plural, num_plurals)


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
