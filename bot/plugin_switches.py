"""Per-community plugin switches: `!plugin enable|disable NAME`, over the TOML's defaults.

A plugin disabled in a community keeps its data; its commands are unknown there, its jobs skip
that community (`bot.plugin_enabled(name, community)`), and the core does not call its
per-community event hooks for that community. The answer is read on every event, so the
switches live in memory: loaded once at setup, updated on change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from bot.commands.context import Context
from bot.commands.converters import Word
from bot.commands.decorators import group, requires
from bot.commands.errors import BadArgument
from bot.commands.model import Command
from bot.i18n import Text, translatable
from bot.model import Member, Role
from bot.permissions import Permission
from bot.plugin import Plugin
from bot.plugins import REQUIRED_PLUGINS
from bot.storage import Tx
from bot.storage.notify import ALL
from bot.text import visible

if TYPE_CHECKING:
    from bot.app import Bot

_ = translatable("core")

PERMISSION = Permission("plugins.manage", Role.ADMIN, "switch plugins on or off in a community")

#: `!audit` words for the actions recorded here.
AUDIT_ACTIONS: dict[str, Text] = {
    "plugins.enable": _("switched a plugin on:"),
    "plugins.disable": _("switched a plugin off:"),
}

_NONE: frozenset[str] = frozenset()


class PluginSwitches:
    """Which plugins are off in which community: the TOML's default, then chat's choice."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._chat: dict[str, dict[str, bool]] = {}
        self._off: dict[str, frozenset[str]] = {}
        self._owners: dict[int, str | None] = {}
        bot.fresh.subscribe("plugins", self.reload)

    async def load(self) -> None:
        """Read every community's switches once (at setup)."""
        rows = await self.bot.db.fetch(
            "SELECT community, plugin, enabled FROM core_plugin_switches")
        chat: dict[str, dict[str, bool]] = {}
        for r in rows:
            chat.setdefault(str(r["community"]), {})[str(r["plugin"])] = bool(r["enabled"])
        self._chat = chat
        self._off.clear()

    async def reload(self, community_id: str) -> None:
        """Re-read one community's switches (ALL: every one) after another process set one."""
        if community_id == ALL:
            await self.load()
            return
        rows = await self.bot.db.fetch(
            "SELECT plugin, enabled FROM core_plugin_switches WHERE community = $1", community_id)
        self._chat[community_id] = {str(r["plugin"]): bool(r["enabled"]) for r in rows}
        self._off.pop(community_id, None)

    def forget(self) -> None:
        """Drop the computed sets (after the TOML's `disabled_plugins` changed)."""
        self._off.clear()

    def disabled(self, community_id: str) -> frozenset[str]:
        """The plugins off in a community (usually empty): one dict lookup once computed."""
        off = self._off.get(community_id)
        if off is None:
            off = self._off[community_id] = self._compute(community_id)
        return off

    def _compute(self, community_id: str) -> frozenset[str]:
        section = self.bot.config.communities.get(community_id)
        names = set(getattr(section, "disabled_plugins", ()) or ())
        for name, on in self._chat.get(community_id, {}).items():
            if on:
                names.discard(name)
            else:
                names.add(name)
        names = {n for n in names if self.refusal(n) is None}
        return frozenset(names) if names else _NONE

    def enabled(self, plugin: str, community_id: str) -> bool:
        """Whether a plugin works in a community (what jobs ask before touching it)."""
        return plugin not in self.disabled(community_id)

    def off_in(self, plugin: str) -> frozenset[str]:
        """The communities where a plugin is off (for jobs that sweep rows of every community)."""
        ids = set(self._chat) | set(self.bot.config.communities)
        return frozenset(c for c in ids if plugin in self.disabled(c))

    def switchable(self) -> list[str]:
        """Loaded plugins an admin may switch: not the core, not a platform adapter."""
        adapters = set(self.bot.hooks.implementers("register_adapters"))
        return sorted(p.name for p in self.bot.plugins
                      if p.name not in REQUIRED_PLUGINS and p.name not in adapters
                      and not p.module.startswith("bot.adapters."))

    def refusal(self, name: str) -> Text | None:
        """Why a plugin cannot be switched, or None when it can."""
        if name in REQUIRED_PLUGINS:
            return _("The {name} plugin is the core: it cannot be switched off.", name=name)
        loaded = {p.name for p in self.bot.plugins}
        if name not in loaded:
            return _("There is no plugin {name} here. Plugins: {names}.",
                     name=visible(name, 40), names=", ".join(self.switchable()) or "-")
        if name not in self.switchable():
            return _("The {name} plugin connects a platform: it cannot be switched off in "
                     "one community.", name=name)
        return None

    def plugin_of(self, cmd: Command) -> str | None:
        """The name of the plugin that registered a command (None for unowned test commands)."""
        while cmd.parent is not None:
            cmd = cmd.parent
        key = id(cmd)
        if key not in self._owners:
            owner = self.bot.router.owner_of(cmd)
            self._owners[key] = (self.bot.pm.get_name(owner)
                                 if isinstance(owner, Plugin) else None)
        return self._owners[key]

    def command_enabled(self, cmd: Command, community_id: str) -> bool:
        """Whether a command exists in a community (its plugin is not switched off there)."""
        off = self.disabled(community_id)
        return not off or self.plugin_of(cmd) not in off

    async def set(self, community_id: str, name: str, on: bool, by: Member) -> None:
        """Record an admin's switch; the change applies to the next event."""
        now = self.bot.now()

        async def op(tx: Tx) -> None:
            await tx.execute(
                "DELETE FROM core_plugin_switches WHERE community = $1 AND plugin = $2",
                community_id, name)
            await tx.execute(
                "INSERT INTO core_plugin_switches (community, plugin, enabled, changed_by, "
                "changed_at) VALUES ($1, $2, $3, $4, $5)",
                community_id, name, 1 if on else 0, by.id, now)

        await self.bot.db.atomic(op)
        self._chat.setdefault(community_id, {})[name] = on
        self._off.pop(community_id, None)
        await self.bot.fresh.publish("plugins", community_id)
        await self.bot.audit.record(community_id, by, "plugins.enable" if on else
                                    "plugins.disable", name)


# -- commands -----------------------------------------------------------------------------------


@group("plugin", names={"fr": "extension"})
@requires(PERMISSION.name)
async def plugin_group(ctx: Context) -> None:
    """Switch plugins on or off in this community (admins)."""
    await plugin_list.invoke(ctx, "")


@plugin_group.subcommand("list", names={"fr": "liste"})
async def plugin_list(ctx: Context) -> None:
    """The plugins, their version, and whether they are on here."""
    switches = ctx.bot.switches
    switchable = set(switches.switchable())
    off = switches.disabled(ctx.community.id)
    lines = [ctx.t(_("Plugins in {community}:", community=ctx.community.name))]
    for p in sorted(ctx.bot.plugins, key=lambda p: p.name):
        if p.name in off:
            state = ctx.t(_("off"))
        elif p.name in switchable:
            state = ctx.t(_("on"))
        else:
            state = ctx.t(_("always on"))
        lines.append(f"• {p.name} {p.version} — {state}")
    await ctx.reply("\n".join(lines))


async def _switch(ctx: Context, name: str, on: bool) -> None:
    switches = ctx.bot.switches
    name = name.strip().lower()
    refusal = switches.refusal(name)
    if refusal is not None:
        raise BadArgument(refusal)
    here = ctx.community.id
    if switches.enabled(name, here) == on:
        await ctx.reply(_("{name} is already on here.", name=name) if on
                        else _("{name} is already off here.", name=name))
        return
    await switches.set(here, name, on, ctx.member)
    if on:
        await ctx.reply(_("{name} is on again in {community}; its data was kept.", name=name,
                          community=ctx.community.name))
    else:
        await ctx.reply(_("{name} is off in {community}: its commands and jobs stop here, its "
                          "data stays.", name=name, community=ctx.community.name))


@plugin_group.subcommand("enable", names={"fr": "activer"})
async def plugin_enable(ctx: Context, name: Annotated[str, Word()]) -> None:
    """Switch a plugin on in this community."""
    await _switch(ctx, name, True)


@plugin_group.subcommand("disable", names={"fr": "désactiver"})
async def plugin_disable(ctx: Context, name: Annotated[str, Word()]) -> None:
    """Switch a plugin off in this community; its data stays."""
    await _switch(ctx, name, False)


COMMANDS = (plugin_group,)
