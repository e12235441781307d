"""Command and option names in other languages: accepted everywhere, shown per locale.

A command declares its names beside the English one (`@command("tip", names={"fr": "pourboire"},
options={"period": {"fr": "periode"}})`). Every community accepts every name, so a member can
type what they know whatever the community's language; help and usage lines show the names of
the community's locale, and placeholders (`<member>`) are translated through the catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from bot.i18n import translatable

if TYPE_CHECKING:
    from bot.commands.context import Context
    from bot.commands.model import Command, Param

#: What Discord accepts as a command or option name (lowercase checked apart); `\w` is Unicode
#: letters, digits and `_`, so accented names (`idée`) are valid.
NAME = re.compile(r"^[-\w]{1,32}$")
#: A locale key of a names table: `fr`, `pt_BR`.
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


def fold(word: str) -> str:
    """Lowercase without accents (`Idée` → `idee`): the key names are looked up by, so a member
    may type accents or not."""
    if word.isascii():
        return word.lower()  # most words: nothing to strip
    decomposed = unicodedata.normalize("NFD", word.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def checked_names(names: Mapping[str, str] | None, what: str) -> dict[str, str]:
    """A names table validated at declaration, so a bad name fails at import, not in chat."""
    out: dict[str, str] = {}
    for locale, name in (names or {}).items():
        if not isinstance(locale, str) or not LOCALE.match(locale):
            raise ValueError(f"{what}: {locale!r} is not a locale such as 'fr' or 'pt_BR'")
        if not isinstance(name, str) or not NAME.match(name) or name != name.lower():
            raise ValueError(f"{what}: {locale} name {name!r} must be 1–32 lowercase letters, "
                             "digits, '-' or '_'")
        out[locale] = name
    return out


def name_in(names: Mapping[str, str], english: str, locale: str) -> str:
    """The name for `locale` (`fr_CA` falls back to `fr`), else the English one."""
    if locale in names:
        return names[locale]
    language = locale.split("_", 1)[0]
    return names.get(language, english)


def distinct(names: Iterable[str]) -> list[str]:
    """Names once each by their folded form, in order (`idée` and `idee` are one key)."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(fold(name), name)
    return list(seen.values())


def command_keys(cmd: Command) -> list[str]:
    """Every key a command answers to: its name, aliases and names in other languages, folded."""
    return [fold(n) for n in distinct((cmd.name, *cmd.aliases, *cmd.names.values()))]


def option_keys(param: Param) -> list[str]:
    """`--until`, `--jusqua`: every spelling of an option, folded."""
    return [fold(n) for n in distinct(option_text(name)
                                      for name in (param.name, *param.names.values()))]


def option_text(name: str) -> str:
    """A Python-style option name as members type it: `dry_run` → `--dry-run`."""
    return "--" + name.replace("_", "-")


def local_name(cmd: Command, locale: str) -> str:
    """A command's own word in `locale`."""
    return name_in(cmd.names, cmd.name, locale)


def by_local_name(commands: Iterable[Command], locale: str) -> list[Command]:
    """Commands in the alphabetical order of the names `locale` shows (accents aside)."""
    return sorted(commands, key=lambda c: fold(local_name(c, locale)))


def local_path(cmd: Command, locale: str) -> str:
    """`idée soumettre`: the qualified name with each word in `locale`."""
    words: list[str] = []
    node: Command | None = cmd
    while node is not None:
        words.append(local_name(node, locale))
        node = node.parent
    return " ".join(reversed(words))


def local_option(param: Param, locale: str) -> str:
    """`--jusqua` in a French community, `--until` elsewhere."""
    return option_text(name_in(param.names, param.name, locale))


def other_names(cmd: Command, locale: str) -> list[str]:
    """The names a command also answers to, besides the one shown in `locale`."""
    shown = fold(local_name(cmd, locale))
    return [n for n in distinct((cmd.name, *cmd.names.values(), *cmd.aliases))
            if fold(n) != shown]


def placeholder(ctx: Context, domain: str, label: str) -> str:
    """A usage placeholder (`member`, `duration`) in the community's language, from `domain`."""
    return ctx.t(translatable(domain)(label))


def converter_domain(param: Param) -> str:
    """The catalog of a converter's name: the module that defines the converter."""
    from bot.commands.model import module_domain

    return module_domain(type(param.converter).__module__)


def param_usage(ctx: Context, cmd: Command, param: Param) -> str:
    """A parameter of a usage line in the community's language (`<membre>`, `[--jusqua durée]`)."""
    if param.kind in ("flag", "option"):
        option = local_option(param, ctx.locale)
        if param.kind == "flag":
            return f"[{option}]"
        kind = placeholder(ctx, converter_domain(param), param.converter.name)
        return f"[{option} {kind}]"
    label = placeholder(ctx, cmd.domain, param.name.replace("_", "-"))
    if param.kind == "varargs":
        return f"<{label}…>"
    if param.kind == "rest":
        return f"<{label}…>" if param.required else f"[{label}…]"
    return f"<{label}>" if param.required else f"[{label}]"


def local_usage(ctx: Context, cmd: Command) -> str:
    """`!pourboire <membre> <montant> [raison…]` in a French community."""
    parts = [f"{ctx.prefix}{local_path(cmd, ctx.locale)}"]
    parts.extend(param_usage(ctx, cmd, p) for p in cmd.params)
    return " ".join(parts)


def every_path(commands: Iterable[Command]) -> list[str]:
    """Qualified names in every declared language, for did-you-mean over both."""
    out: list[str] = []
    for cmd in commands:
        prefixes = [""] if cmd.parent is None else every_path([cmd.parent])
        for prefix in prefixes:
            for name in distinct((cmd.name, *cmd.names.values())):
                out.append(f"{prefix} {name}".strip())
    return list(dict.fromkeys(out))
