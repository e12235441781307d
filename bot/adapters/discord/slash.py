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

Localize = Callable[[str, str], dict[str, str]]


def _no_localization(domain: str, msgid: str) -> dict[str, str]:
    return {}


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


def _describe(param: Param) -> str:
    """Option descriptions are required by Discord; the converter's name is what usage shows."""
    conv = param.converter
    if param.kind == "flag":
        return f"set {param.option_name}"
    if param.kind == "varargs":
        return "one or more values separated by spaces"
    if _is_member(param):
        return "a member"
    if isinstance(conv, DurationConverter):
        return "a duration such as 3d, 2h30m or 45m"
    if isinstance(conv, RestOfLine):
        return "text"
    return clip(f"{param.name.replace('_', ' ')} ({getattr(conv, 'name', 'text')})", 100)


def option_payload(param: Param) -> dict[str, Any]:
    """One typed option: integer, user, boolean, or string (with choices or autocompletion)."""
    conv = param.converter
    option: dict[str, Any] = {
        "name": option_name(param),
        "description": _describe(param),
        "required": param.required,
    }
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


def _options(cmd: Command) -> list[dict[str, Any]]:
    options = [option_payload(p) for p in cmd.params]
    options.sort(key=lambda o: not o["required"])  # Discord: required options come first
    if len(options) > MAX_OPTIONS:
        log.warning("discord: /%s has %d options, keeping %d", cmd.qualified_name, len(options),
                    MAX_OPTIONS)
        options = options[:MAX_OPTIONS]
    return options


def _described(cmd: Command, localize: Localize) -> dict[str, Any]:
    help_text = cmd.help or cmd.qualified_name
    body: dict[str, Any] = {"name": cmd.name.lower(), "description": clip(help_text, 100)}
    localized = {k: clip(v, 100) for k, v in localize(cmd.domain, cmd.help).items()
                 if v and v != cmd.help} if cmd.help else {}
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
                        "options": _options(sub)})
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
            body["options"] = _options(cmd)
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
