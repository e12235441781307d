"""Slash commands, button clicks, modals and autocompletion, run as the equivalent text command."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord

from bot.adapters.discord.pending import PendingInteraction
from bot.adapters.discord.render import modal_for
from bot.adapters.discord.slash import (
    INTEGER,
    component_action,
    invocation,
    modal_values,
    option_name,
)
from bot.adapters.discord.slash import (
    command_line as slash_line,
)
from bot.adapters.discord.translate import (
    InteractionInfo,
    Recent,
    clip,
    interaction_from_payload,
    interaction_message,
    role_for,
)
from bot.commands.context import Context
from bot.model import Community, IncomingMessage, Role

if TYPE_CHECKING:
    from bot.adapters.discord.adapter import DiscordAdapter

log = logging.getLogger("ruche.discord")

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
AUTOCOMPLETE_BUDGET = 2.0  # seconds: Discord drops suggestions that come after 3 s
MAX_SUGGESTIONS = 25


class Interactions:
    """Each interaction becomes an IncomingMessage whose replies go back through it."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter
        self.pending: dict[str, PendingInteraction] = {}  # message ref id → its interaction
        self.sent: Recent[str, PendingInteraction] = Recent(2000)  # message id → for edits

    async def handle(self, interaction: discord.Interaction) -> None:
        """Route by type; the raw payload (kept from the gateway frame) says who and where."""
        raw = self.adapter.inbound.interactions.pop(str(interaction.id))
        if raw is None:
            log.warning("discord: interaction %s arrived without its payload", interaction.id)
            return
        info = interaction_from_payload(raw, bot_user_id=self.adapter.people.bot_user_id)
        if info.user.is_bot:
            return
        if info.type == AUTOCOMPLETE:
            await self.autocomplete(interaction, info)
            return
        line = self.line_for(info)
        if line is None:
            if info.type == MESSAGE_COMPONENT:
                await _quietly(interaction.response.defer())  # not ours: acknowledge silently
            return
        kind, text = line
        if kind == "form":
            title = _button_label(raw, str(info.data.get("custom_id", ""))) or text
            await _quietly(interaction.response.send_modal(
                modal_for(title, str(info.data.get("custom_id", "")))))
            return
        await self.run(interaction, info, text, component=info.type != APPLICATION_COMMAND)

    def line_for(self, info: InteractionInfo) -> tuple[str, str] | None:
        """("cmd", line) to run, ("form", line) to ask for more, or None when not ours."""
        if info.type == APPLICATION_COMMAND:
            inv = invocation(info.data)
            cmd = self.adapter.bot.router.get(" ".join(inv.path))
            return ("cmd", slash_line(cmd, inv.values) if cmd else " ".join(inv.path))
        custom_id = str(info.data.get("custom_id", ""))
        action = component_action(custom_id)
        if action is None:
            return None
        if info.type == MODAL_SUBMIT:
            typed = " ".join(v.strip() for v in modal_values(info.data) if v.strip())
            return ("cmd", f"{action[1]} {typed}".strip())
        selected = info.data.get("values")
        if action[0] == "cmd" and isinstance(selected, list):  # a select menu: `vote 3 A C`
            return ("cmd", " ".join([action[1], *(str(v) for v in selected)]))
        return action

    def role_of(self, info: InteractionInfo) -> Role:
        """Discord sends the member's computed permissions with every guild interaction."""
        if not info.guild_id:
            return Role.MEMBER
        people = self.adapter.people
        if info.permissions is not None:
            return people.note_role(info.guild_id, info.user.id, role_for(
                info.permissions, info.role_ids, people.roles))
        return people.role_in_guild(info.guild_id, info.user.id, info.role_ids)

    async def message_for(self, info: InteractionInfo, line: str,
                          interaction: discord.Interaction) -> tuple[IncomingMessage, Community]:
        """The command line as a message from the member, with the community's own prefix."""
        people = self.adapter.people
        people.remember(info.user)
        dm_guild = "" if info.guild_id else people.dm_guild()
        role = self.role_of(info)
        if not info.guild_id and dm_guild:
            role = await people.role(info.user.id, dm_guild)
        draft = interaction_message(info, line, role=role, dm_guild=dm_guild, raw=interaction,
                                    role_names=people.role_names(info.guild_id,
                                                                 info.role_ids))
        community = self.adapter.bot.communities.for_room(draft.room)
        return dataclasses.replace(draft, text=community.prefix + line), community

    async def run(self, interaction: discord.Interaction, info: InteractionInfo, line: str,
                  *, component: bool) -> None:
        """Dispatch as a text command; replies go through the interaction, deferred in time."""
        adapter = self.adapter
        pending = PendingInteraction(interaction, info.channel_id, component=component)
        pending.defer_after(adapter.config.defer_after)
        ref_id = ""
        try:
            msg, community = await self.message_for(info, line, interaction)
            ref_id = msg.ref.id
            self.pending[ref_id] = pending
            for user in info.resolved_users:
                adapter.people.remember(user)
                await adapter.bot.identity.member_for(user, community)
            await adapter.bot.dispatch_message(msg)
        finally:
            self.pending.pop(ref_id, None)
            for message_id in pending.messages:
                self.sent.put(message_id, pending)
            await pending.finish()

    async def autocomplete(self, interaction: discord.Interaction, info: InteractionInfo) -> None:
        """Suggestions from the focused parameter's converter (`complete(ctx, partial)`)."""
        choices: list[discord.app_commands.Choice[Any]] = []
        try:
            choices = await asyncio.wait_for(self._suggest(interaction, info),
                                             AUTOCOMPLETE_BUDGET)
        except TimeoutError:
            log.warning("discord: autocompletion took longer than %.1fs", AUTOCOMPLETE_BUDGET)
        except Exception:
            log.exception("discord: autocompletion failed")
        await _quietly(interaction.response.autocomplete(choices[:MAX_SUGGESTIONS]))

    async def _suggest(self, interaction: discord.Interaction,
                       info: InteractionInfo) -> list[discord.app_commands.Choice[Any]]:
        inv = invocation(info.data)
        cmd = self.adapter.bot.router.get(" ".join(inv.path))
        param = next((p for p in cmd.params if option_name(p) == inv.focused), None) \
            if cmd else None
        complete = getattr(param.converter, "complete", None) if param else None
        if param is None or not callable(complete):
            return []
        msg, community = await self.message_for(info, cmd.qualified_name if cmd else "",
                                                interaction)
        member = await self.adapter.bot.identity.member_for(
            msg.author, community, msg.role, platform_roles=msg.platform_roles, room=msg.room)
        ctx = Context(self.adapter.bot, msg, community, member, self.adapter)
        ctx.command = cmd
        found = await complete(ctx, str(inv.values.get(inv.focused or "") or ""))
        integer = _option_type(info.data, inv.focused) == INTEGER
        out: list[discord.app_commands.Choice[Any]] = []
        for item in list(found)[:MAX_SUGGESTIONS]:
            label, value = item if isinstance(item, tuple) else (str(item), item)
            if integer:
                try:
                    value = int(value)
                except (TypeError, ValueError):
                    continue
            else:
                value = clip(str(value), 100)
            out.append(discord.app_commands.Choice(name=clip(str(label), 100) or str(value),
                                                   value=value))
        return out


def _option_type(data: Mapping[str, Any], name: str | None) -> int | None:
    options = data.get("options") or ()
    while options:
        for option in options:
            if option.get("name") == name and "value" in option:
                return int(option.get("type", 0))
        options = next((o.get("options") or () for o in options if o.get("type") in (1, 2)), ())
    return None


def _button_label(raw: Mapping[str, Any], custom_id: str) -> str:
    """The clicked button's label, to title the modal it opens."""
    for row in (raw.get("message") or {}).get("components") or ():
        for comp in row.get("components") or ():
            if comp.get("custom_id") == custom_id:
                return str(comp.get("label") or "")
    return ""


async def _quietly(coro: Any) -> None:
    """Best-effort interaction calls: an expired or already answered one is not an error."""
    try:
        await coro
    except discord.HTTPException as exc:
        log.debug("discord: interaction call failed: %s", exc)
