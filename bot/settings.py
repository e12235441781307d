"""Per-community settings changed from chat (`!config`), layered over the TOML file."""

from __future__ import annotations

import dataclasses
import difflib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.commands.errors import UserError
from bot.config import coerce_setting
from bot.config.build import convert_field
from bot.config.chat import show_setting
from bot.config.limits import ChatRule, above, chat_rule
from bot.i18n import Text, translatable
from bot.model import Member
from bot.storage.notify import ALL

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.storage import Tx

_ = translatable("core")

#: Core keys a moderator may change per community, with their schema and field.
CORE_KEYS = {"bot.locale": "locale", "bot.command_prefix": "command_prefix"}


def _to_json(value: Any) -> str:
    if isinstance(value, timedelta):
        return json.dumps({"seconds": value.total_seconds()})
    return json.dumps(value)


def _from_json(text: str) -> Any:
    value = json.loads(text)
    if isinstance(value, dict) and set(value) == {"seconds"}:
        return timedelta(seconds=value["seconds"])
    return value


class Settings:
    """Overrides stored in `core_settings`, cached in memory, validated like the TOML."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._values: dict[str, dict[str, Any]] = {}
        bot.fresh.subscribe("settings", self.reload)

    async def load(self) -> None:
        rows = await self.bot.db.fetch("SELECT community, key, value FROM core_settings")
        for row in rows:
            self._values.setdefault(row["community"], {})[row["key"]] = _from_json(row["value"])

    async def reload(self, community_id: str) -> None:
        """Re-read a community's overrides (ALL: every one) after another process changed them."""
        if community_id == ALL:
            self._values = {}
            await self.load()
            for community in list(self.bot.communities.known_ids()):
                self.bot.forget_community_cache(community)
            return
        rows = await self.bot.db.fetch(
            "SELECT key, value FROM core_settings WHERE community = $1", community_id)
        self._values[community_id] = {row["key"]: _from_json(row["value"]) for row in rows}
        self.bot.forget_community_cache(community_id)

    def overrides(self, community_id: str) -> dict[str, Any]:
        """The community's chat overrides still within the operator's rules.

        An override stored before the operator made its key operator-only, or lowered its
        ceiling, stops applying (it stays stored, and `!config KEY --reset` drops it).
        """
        return {key: value for key, value in self._values.get(community_id, {}).items()
                if self._allowed(key, value)}

    def _allowed(self, key: str, value: Any) -> bool:
        try:
            rule = self.rule(key)
        except UserError:
            return True  # a key of a plugin that is not loaded: nobody reads it
        return rule is None or (rule == "limited" and not above(value, self.ceiling(key)))

    def rule(self, key: str) -> ChatRule | None:
        """How chat may change a key: freely (None), up to a ceiling, or not at all."""
        schema, field = self._schema_for(key)
        return chat_rule(schema, field)

    def ceiling(self, key: str) -> Any:
        """The most chat may set a `limited` key to: its `[limits]` entry, else the file value."""
        schema, field = self._schema_for(key)
        if key in self.bot.config.limits:  # checked at load (validate_config): it converts
            value, problems = convert_field(schema, field, self.bot.config.limits[key],
                                            f"limits.{key}")
            if not problems:
                return value
        return getattr(self.bot.named_plugin_config(key.split(".")[1]), field)

    def _schema_for(self, key: str) -> tuple[type[Any], str]:
        from bot.config import BotSection

        if key in CORE_KEYS:
            return BotSection, CORE_KEYS[key]
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "plugins":
            schema = self.bot.config_schemas.get(f"plugins.{parts[1]}")
            if schema is not None and parts[2] in {f.name for f in dataclasses.fields(schema)}:
                return schema, parts[2]
        guess = difflib.get_close_matches(key, self.settable_keys(), n=1, cutoff=0.6)
        if guess:
            raise UserError(_("Unknown setting {key}; did you mean {guess}?", key=key[:60],
                              guess=guess[0]))
        raise UserError(_("Unknown setting {key}; `config` alone lists them all.",
                          key=key[:60]))

    def settable_keys(self) -> list[str]:
        keys = list(CORE_KEYS)
        for path, schema in sorted(self.bot.config_schemas.items()):
            if path.startswith("plugins."):
                keys.extend(f"{path}.{f.name}" for f in dataclasses.fields(schema)
                            if "Secret" not in str(f.type))
        return keys

    def current(self, community_id: str, key: str) -> Any:
        """The effective value of a key for a community (override, else file, else default)."""
        _schema, field = self._schema_for(key)
        if key in CORE_KEYS:
            community = self.bot.communities.get(community_id)
            return community.locale if field == "locale" else community.prefix
        plugin = key.split(".")[1]
        return getattr(self.bot.named_plugin_config(plugin, community_id), field)

    def shown(self, community_id: str, key: str) -> str:
        """The effective value as people write it (`14d`, `yes`, `—`), as `!config` shows it."""
        return show_setting(self.current(community_id, key))

    @staticmethod
    def show(value: Any) -> str:
        """A value as people write it in `!config`."""
        return show_setting(value)

    async def check(self, community_id: str, key: str, raw: str) -> Any:
        """The typed value `!config KEY RAW` would store, or the UserError it would answer.

        The one validation path of a chat-side change (`!config`, a proposal put to a vote):
        known key, not operator-only, type, the section's `validate`, the operator's ceiling,
        and every plugin's `validate_setting` veto. Nothing is written."""
        schema, field = self._schema_for(key)
        if chat_rule(schema, field) == "operator":
            raise UserError(_("{key} is set by the operator in the config file, not from chat.",
                              key=key))
        try:
            value = coerce_setting(schema, field, raw)
        except ValueError as exc:
            raise UserError(_("Invalid value for {key}: {reason}", key=key,
                              reason=str(exc))) from None
        if key.startswith("plugins."):
            plugin = key.split(".")[1]
            candidate = dataclasses.replace(self.bot.named_plugin_config(plugin, community_id),
                                            **{field: value})
            problems = candidate.validate() if hasattr(candidate, "validate") else []
            if problems:
                raise UserError(_("Invalid value for {key}: {reason}", key=key,
                                  reason="; ".join(problems)))
            if chat_rule(schema, field) == "limited":
                ceiling = self.ceiling(key)
                if above(value, ceiling):
                    raise UserError(_("{key} can be at most {ceiling} here: the operator's "
                                      "limit.", key=key, ceiling=show_setting(ceiling)))
        await self._validate(community_id, key, value)
        return value

    async def store(self, tx: Tx, community_id: str, key: str, value: Any) -> None:
        """Write a checked value inside the caller's transaction; `remember` it after commit."""
        await tx.execute(
            "INSERT INTO core_settings (community, key, value) VALUES ($1, $2, $3) "
            "ON CONFLICT (community, key) DO UPDATE SET value = excluded.value",
            community_id, key, _to_json(value),
        )

    async def remember(self, community_id: str, key: str, value: Any) -> None:
        """After the commit of `store`: the next command of the community sees the value, in
        this process at once and in the others (which drop their copy) within a second."""
        self._values.setdefault(community_id, {})[key] = value
        self.bot.forget_community_cache(community_id)
        await self.bot.fresh.publish("settings", community_id)

    async def set(self, community_id: str, key: str, raw: str, member: Member) -> Any:
        """Validate, store and audit one override; the next command sees it."""
        value = await self.check(community_id, key, raw)

        async def op(tx: Tx) -> None:
            await self.store(tx, community_id, key, value)
            await self.bot.audit.record(community_id, member, "config.set",
                                        f"{key} = {raw[:100]}", tx=tx)

        await self.bot.db.atomic(op)
        await self.remember(community_id, key, value)
        return value

    async def _validate(self, community_id: str, key: str, new: Any) -> None:
        """Let plugins refuse a change that would break their invariants (fail closed)."""
        old = self.current(community_id, key)
        for reason in await self.bot.hooks.verdicts(
            "validate_setting", bot=self.bot, community=self.bot.communities.get(community_id),
            key=key, old=old, new=new,
        ):
            if reason is False:
                reason = _("it could not be checked, so nothing was changed.")
            if isinstance(reason, Text | str) and str(reason):
                raise UserError(_("Cannot change {key}: {reason}", key=key, reason=reason))

    async def reset(self, community_id: str, key: str, member: Member) -> None:
        """Drop an override so the file (or default) value applies again."""
        _schema, field = self._schema_for(key)
        if key.startswith("plugins."):
            await self._validate(community_id, key,
                                 getattr(self.bot.named_plugin_config(key.split(".")[1]), field))
        await self.bot.db.execute("DELETE FROM core_settings WHERE community = $1 AND key = $2",
                                  community_id, key)
        self._values.get(community_id, {}).pop(key, None)
        self.bot.forget_community_cache(community_id)
        await self.bot.fresh.publish("settings", community_id)
        await self.bot.audit.record(community_id, member, "config.reset", key)
