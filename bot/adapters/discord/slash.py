"""The core's command tree as Discord application commands, and interactions back as text lines.

Pure (no discord.py): the sync payload and the rebuilt command line are what the tests pin down.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapters.discord.translate import clip, quote_arg
from bot.commands.converters import (
    Amount,
    Choice,
    DurationConverter,
    Integer,
    MemberConverter,
    PositiveInt,
    RestOfLine,
)
from bot.commands.model import Command, Group, Param
from bot.commands.names import converter_domain
from bot.i18n import Text, translatable

_ = translatable("core")
log = logging.getLogger("ruche.discord")

# Discord's application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER = 1, 2, 3, 4, 5, 6
CHAT_INPUT = 1
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_INT = 2**53
NAME = re.compile(r"^[-_\w]{1,32}$")

#: Component custom ids: `cmd:LINE` runs LINE; `form:LINE` asks for the rest of LINE in a modal.
COMMAND_PREFIX = "cmd:"
FORM_PREFIX = "form:"

#: A text in each other locale the bot speaks (`{"fr": "…"}`), for `*_localizations`.
Localize = Callable[[Text], dict[str, str]]

#: The locales Discord accepts in `name_localizations` and `description_localizations`.
DISCORD_LOCALES = frozenset({
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi",
    "th", "zh-CN", "ja", "zh-TW", "ko",
})


def _no_localization(text: Text) -> dict[str, str]:
    return {}


def discord_locale(locale: str) -> str | None:
    """Ruche's `fr` / `pt_BR` as Discord spells it (`fr`, `pt-BR`); None when Discord has none."""
    wanted = locale.replace("_", "-")
    if wanted in DISCORD_LOCALES:
        return wanted
    language = wanted.split("-", 1)[0]
    if language == "en":
        return None  # English is the default name, never a localization
    if language in DISCORD_LOCALES:
        return language
    return _REGIONS.get(language)


#: Discord's locale for a bare language it only knows by region.
_REGIONS = {"es": "es-ES", "pt": "pt-BR", "sv": "sv-SE", "zh": "zh-CN"}


def _localized(by_locale: Mapping[str, str], english: str, limit: int) -> dict[str, str]:
    """A `*_localizations` object: Discord's locale keys, only what differs from English."""
    out: dict[str, str] = {}
    for locale, text in sorted(by_locale.items()):
        key = discord_locale(locale)
        value = clip(text, limit)
        if key is not None and value and value != english:
            out.setdefault(key, value)
    return out


@dataclass(frozen=True, slots=True)
class Invocation:
    """What a slash interaction asks for: the command path, option values, the focused one."""

    path: tuple[str, ...]
    values: Mapping[str, Any]
    focused: str | None = None


# -- command tree → payload ---------------------------------------------------------------------


def option_name(param: Param) -> str:
    """Python parameter names are already valid Discord option names, once lowercased."""
    return param.name.lower()


def _is_member(param: Param) -> bool:
    """The core's Member converter, or a plugin's own that shows as `@member` in usage."""
    conv = param.converter
    return isinstance(conv, MemberConverter) or getattr(conv, "name", "") == "@member"


def _is_integer(param: Param) -> bool:
    conv = param.converter
    if isinstance(conv, Amount):
        return conv.decimals == 0
    return isinstance(conv, Integer) or getattr(conv, "name", "") == "number"


def _min_value(param: Param) -> int | None:
    conv = param.converter
    if isinstance(conv, PositiveInt | Amount) or not isinstance(conv, Integer):
        return 1  # Amount, PositiveInt and the plugins' "number" converters (idea/poll ids)
    return None


def _describe(param: Param, domain: str) -> Text:
    """Option descriptions are required by Discord; the converter's name is what usage shows."""
    conv = param.converter
    if param.kind == "flag":
        return _("switch this option on")
    if param.kind == "varargs":
        return _("one or more values separated by spaces")
    if _is_member(param):
        return _("a member")
    if isinstance(conv, DurationConverter):
        return _("a duration such as 3d, 2h30m or 45m")
    if isinstance(conv, RestOfLine):
        return _("text")
    kind = Text(getattr(conv, "name", "text"), converter_domain(param))
    return _("{name} ({kind})", name=Text(param.name.replace("_", "-"), domain), kind=kind)


def option_payload(param: Param, domain: str = "core",
                   localize: Localize = _no_localization) -> dict[str, Any]:
    """One typed option: integer, user, boolean, or string (with choices or autocompletion)."""
    conv = param.converter
    described = _describe(param, domain)
    description = clip(str(described), 100)
    option: dict[str, Any] = {
        "name": option_name(param),
        "description": description,
        "required": param.required,
    }
    if param.kind in ("option", "flag"):
        by_locale = param.names
    else:  # a positional parameter is named by its usage placeholder (`<membre>`)
        by_locale = localize(Text(param.name.replace("_", "-"), domain))
    names = _localized({k: v.lower().replace("-", "_") for k, v in by_locale.items()
                        if NAME.match(v.lower().replace("-", "_"))}, option["name"], 32)
    if names:
        option["name_localizations"] = names
    descriptions = _localized(localize(described), description, 100)
    if descriptions:
        option["description_localizations"] = descriptions
    if param.kind == "flag":
        option["type"] = BOOLEAN
        option["required"] = False
        return option
    if param.kind == "varargs":
        option["type"] = STRING
        return option
    if _is_member(param):
        option["type"] = USER
    elif _is_integer(param):
        option["type"] = INTEGER
        minimum = _min_value(param)
        if minimum is not None:
            option["min_value"] = minimum
        option["max_value"] = MAX_INT
    else:
        option["type"] = STRING
        if isinstance(conv, RestOfLine):
            option["max_length"] = min(conv.max_length, 6000)
    if isinstance(conv, Choice) and 0 < len(conv.choices) <= MAX_CHOICES:
        option["choices"] = [{"name": c, "value": c} for c in conv.choices]
    elif callable(getattr(conv, "complete", None)) and option["type"] in (STRING, INTEGER):
        option["autocomplete"] = True
    return option


def _options(cmd: Command, localize: Localize) -> list[dict[str, Any]]:
    options = [option_payload(p, cmd.domain, localize) for p in cmd.params]
    _unique_localized_names(options)
    options.sort(key=lambda o: not o["required"])  # Discord: required options come first
    if len(options) > MAX_OPTIONS:
        log.warning("discord: /%s has %d options, keeping %d", cmd.qualified_name, len(options),
                    MAX_OPTIONS)
        options = options[:MAX_OPTIONS]
    return options


def _unique_localized_names(options: list[dict[str, Any]]) -> None:
    """Discord refuses two options of one command with the same name in a locale: keep the first."""
    taken: dict[str, set[str]] = {}
    for option in options:
        localized = option.get("name_localizations", {})
        for locale in list(localized):
            seen = taken.setdefault(locale, {o["name"] for o in options})
            if localized[locale] in seen:
                del localized[locale]
            else:
                seen.add(localized[locale])
        if not localized:
            option.pop("name_localizations", None)


def _described(cmd: Command, localize: Localize) -> dict[str, Any]:
    help_text = cmd.help or cmd.qualified_name
    body: dict[str, Any] = {"name": cmd.name.lower(), "description": clip(help_text, 100)}
    names = _localized(cmd.names, body["name"], 32)
    if names:
        body["name_localizations"] = names
    localized = (_localized(localize(Text(cmd.help, cmd.domain)), body["description"], 100)
                 if cmd.help else {})
    if localized:
        body["description_localizations"] = localized
    return body


def _exposed(cmd: Command) -> bool:
    if cmd.hidden or not NAME.match(cmd.name) or cmd.name.lower() != cmd.name:
        if not cmd.hidden:
            log.warning("discord: %r is not a valid slash command name; text only",
                        cmd.qualified_name)
        return False
    return True


def _subcommands(group: Group, localize: Localize, depth: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sub in sorted(group.unique_subcommands(), key=lambda c: c.name):
        if not _exposed(sub):
            continue
        if isinstance(sub, Group):
            if depth >= 1:
                log.warning("discord: /%s is nested too deep for slash commands; text only",
                            sub.qualified_name)
                continue
            nested = _subcommands(sub, localize, depth + 1)
            if nested:
                out.append({**_described(sub, localize), "type": SUB_COMMAND_GROUP,
                            "options": nested})
        else:
            out.append({**_described(sub, localize), "type": SUB_COMMAND,
                        "options": _options(sub, localize)})
    return out[:MAX_OPTIONS]


def application_commands(commands: Sequence[Command],
                         localize: Localize = _no_localization) -> list[dict[str, Any]]:
    """The PUT body of a bulk overwrite: one chat-input command per top-level command."""
    payload: list[dict[str, Any]] = []
    for cmd in commands:
        if not _exposed(cmd):
            continue
        body = {**_described(cmd, localize), "type": CHAT_INPUT, "contexts": [0, 1],
                "integration_types": [0]}
        if isinstance(cmd, Group):
            subs = _subcommands(cmd, localize, 0)
            if not subs:
                continue
            body["options"] = subs
        else:
            body["options"] = _options(cmd, localize)
        payload.append(body)
    return payload[:100]


def same_commands(wanted: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> bool:
    """Whether Discord already has what we would PUT (it adds ids and defaults we ignore)."""

    def covers(want: Any, have: Any) -> bool:
        if isinstance(want, Mapping):
            if not isinstance(have, Mapping):
                return False
            for key, value in want.items():
                if key == "required" and value is False and key not in have:
                    continue
                if key == "options" and not value and not have.get(key):
                    continue
                if key not in have or not covers(value, have[key]):
                    return False
            return True
        if isinstance(want, list):
            return isinstance(have, list) and len(want) == len(have) and all(
                covers(w, h) for w, h in zip(want, have, strict=True))
        return bool(want == have)

    by_name = {c.get("name"): c for c in current}
    return len(wanted) == len(current) and all(
        covers(w, by_name.get(w["name"])) for w in wanted)


# -- interaction → text line --------------------------------------------------------------------


def invocation(data: Mapping[str, Any]) -> Invocation:
    """Walk the subcommand (group) options down to the leaf's option values."""
    path = [str(data.get("name", ""))]
    options: Sequence[Mapping[str, Any]] = data.get("options") or ()
    while len(options) == 1 and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        path.append(str(options[0]["name"]))
        options = options[0].get("options") or ()
    values = {str(o["name"]): o.get("value") for o in options}
    focused = next((str(o["name"]) for o in options if o.get("focused")), None)
    return Invocation(tuple(path), values, focused)


def _argument(param: Param, value: Any) -> str:
    if _is_member(param):
        return f"<@{value}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if param.kind == "varargs":
        return text.strip()  # the member typed several words: split them like a text command
    return quote_arg(text)


def command_line(cmd: Command, values: Mapping[str, Any]) -> str:
    """The text command equivalent to a slash invocation, in the parameters' order."""
    parts = [cmd.qualified_name]
    for param in cmd.params:
        value = values.get(option_name(param))
        if value is None or (param.kind == "varargs" and not str(value).strip()):
            continue
        if param.kind == "flag":
            if value is True:
                parts.append(param.option_name)
        elif param.kind == "option":
            parts.extend((param.option_name, _argument(param, value)))
        else:
            parts.append(_argument(param, value))
    return " ".join(parts)


def component_action(custom_id: str) -> tuple[str, str] | None:
    """`cmd:idea support 42` → ("cmd", "idea support 42"); other custom ids are not ours."""
    for prefix in (COMMAND_PREFIX, FORM_PREFIX):
        if custom_id.startswith(prefix):
            line = custom_id[len(prefix):].strip()
            return (prefix[:-1], line) if line else None
    return None


def modal_values(data: Mapping[str, Any]) -> list[str]:
    """Text typed in a modal, in the order of its inputs (action rows or labels around them)."""
    values: list[str] = []

    def walk(components: Sequence[Mapping[str, Any]]) -> None:
        for comp in components:
            if "value" in comp and isinstance(comp["value"], str):
                values.append(comp["value"])
            inner = comp.get("components")
            if inner:
                walk(inner)
            child = comp.get("component")
            if isinstance(child, Mapping):
                walk([child])

    walk(data.get("components") or ())
    return values
