"""The Discord adapter: with its sibling modules, the only place that talks to discord.py."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.adapters.base import BaseAdapter, Capabilities
from bot.adapters.discord.catchup import CatchUp
from bot.adapters.discord.client import GatewayClient, make_intents
from bot.adapters.discord.inbound import Inbound
from bot.adapters.discord.interactions import Interactions
from bot.adapters.discord.people import People
from bot.adapters.discord.render import nonce, renderable, send_kwargs, with_hints
from bot.adapters.discord.sync import command_payload, push, sync_targets
from bot.adapters.discord.translate import (
    PLATFORM,
    Recent,
    RoleConfig,
    clip,
    parse_channel,
    parse_mention,
    parse_platform_role,
    room_ref,
    split_text,
)
from bot.i18n import translatable
from bot.model import MessageRef, OutgoingMessage, Role, RoomRef, UserRef

if TYPE_CHECKING:
    from bot.adapters.discord import DiscordConfig
    from bot.app import Bot

log = logging.getLogger("ruche.discord")
_ = translatable("core")

RECONNECT_MAX = 60.0
STOP_GRACE = 5.0
LIST_WAIT = 10.0  # seconds a reaction listing waits for the gateway after a (re)start
MISSING_PERMISSIONS = 50013  # Discord's error code for a 403 on a channel the bot may not use

#: Gateway close codes no retry can fix, with what the operator must change.
FATAL_CLOSES = {
    4004: "discord: the gateway refused the bot token (close 4004); set a valid token in "
          "[platforms.discord] token (Developer Portal → Bot → Reset Token)",
    4010: "discord: the gateway refused the shard (close 4010); check [platforms.discord] "
          "shard_ids and shard_count",
    4011: "discord: the bot is in too many guilds for one shard (close 4011); set "
          "[platforms.discord] shard_count",
    4012: "discord: the gateway refused the API version (close 4012); upgrade Ruche",
    4013: "discord: the gateway refused the intents (close 4013); check [platforms.discord] "
          "intents",
}


class DiscordAdapter(BaseAdapter):
    """Gateway in, REST out; slash commands and clicks become text commands (see docs/discord.md)."""

    platform = PLATFORM
    capabilities = Capabilities(reactions=True, edits=True, threads=True, buttons=True,
                                slash_commands=True, files=True, direct_messages=True,
                                list_reactions=True, ephemeral=True)
    dedupe_events = True  # message ids, interaction ids and session:sequence for reactions

    def __init__(self, config: DiscordConfig) -> None:
        self.config = config
        self.roles = RoleConfig(frozenset(config.moderator_role_ids),
                                frozenset(config.admin_role_ids))
        self.inbound = Inbound(self)
        self.interactions = Interactions(self)
        self._texts: Recent[str, str] = Recent(2000)  # our message id → text (thread names)
        self._threads: set[str] = set()
        self._runner: asyncio.Task[None] | None = None
        self._refused: set[tuple[str, str]] = set()  # (channel, action) 403s reported
        self._background: set[asyncio.Task[Any]] = set()
        self._synced = False
        self._client: GatewayClient | None = None
        self._people: People | None = None

    def apply_roles(self, config: DiscordConfig) -> None:
        """Role ids from a reloaded config; roles remembered under the old ids are forgotten."""
        self.roles = RoleConfig(frozenset(config.moderator_role_ids),
                                frozenset(config.admin_role_ids))
        if self._people is not None:
            self._people.apply_roles(self.roles)

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def client(self) -> GatewayClient:
        """The gateway client; it exists from `start` (or a CLI sync) on."""
        if self._client is None:
            raise RuntimeError("the Discord adapter is not set up")
        return self._client

    @property
    def people(self) -> People:
        """Names and roles, bound to the current client."""
        if self._people is None:
            raise RuntimeError("the Discord adapter is not set up")
        return self._people

    def _make_client(self, bot: Bot) -> GatewayClient:
        """A fresh client: at start, and after a break discord.py could not recover from."""
        cfg = self.config
        options: dict[str, Any] = {
            "intents": make_intents(cfg.intents),
            "guild_ready_timeout": cfg.guild_ready_timeout,
            "max_messages": cfg.max_messages or None,
            "chunk_guilds_at_startup": False,
            "allowed_mentions": discord.AllowedMentions(everyone=False, roles=False,
                                                        users=True, replied_user=False),
        }
        if cfg.application_id:
            options["application_id"] = cfg.application_id
        if cfg.shard_count is not None:
            options["shard_count"] = cfg.shard_count
        if cfg.shard_ids is not None:
            options["shard_ids"] = list(cfg.shard_ids)
        client = GatewayClient(self, **options)
        self._people = People(bot, client, self.roles, cfg.dm_guild_id)
        return client

    async def start(self, bot: Bot) -> None:
        """Connect in the background: a Discord outage must not hold the other platforms."""
        self.bot = bot
        self._client = self._make_client(bot)
        self._runner = asyncio.create_task(self._run(), name="discord")

    async def _run(self) -> None:
        """Login, first sync, then the gateway; retried with backoff, fatal errors logged."""
        delay = 1.0
        while True:
            try:
                if self.client.user is None:
                    await self.client.login(self.config.token.reveal())
                    await self._initial_sync()
                await self.client.connect(reconnect=True)
                return
            except asyncio.CancelledError:
                raise
            except discord.LoginFailure:
                log.error("discord: the bot token was refused; check [platforms.discord] token")
                return
            except discord.PrivilegedIntentsRequired:
                log.error("discord: enable the privileged intents %s for this bot in the "
                          "Developer Portal (Bot → Privileged Gateway Intents)",
                          ", ".join(self.config.intents))
                return
            except discord.ConnectionClosed as exc:
                if exc.code in FATAL_CLOSES:  # a retry would be refused the same way
                    log.error(FATAL_CLOSES[exc.code])
                    return
                if self.client.is_closed():
                    return
                log.warning("discord: connection failed (%s); retrying in %.0fs", exc, delay)
            except (discord.HTTPException, discord.GatewayNotFound,
                    aiohttp.ClientError, OSError) as exc:
                if self.client.is_closed():
                    return
                log.warning("discord: connection failed (%s); retrying in %.0fs", exc, delay)
            except Exception:  # e.g. a payload discord.py cannot parse: start over, clean
                if self.client.is_closed():
                    return
                log.exception("discord: the connection broke; reconnecting in %.0fs", delay)
                await self.client.close()
                self._client = self._make_client(self.bot)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def wait_until_ready(self, within: float = 30.0) -> None:
        """Until every shard of this process is ready; raises the connection's own failure."""
        ready = asyncio.ensure_future(self.client.wait_until_ready())
        waiting: set[asyncio.Future[Any]] = {ready}
        if self._runner is not None:
            waiting.add(self._runner)
        try:
            await asyncio.wait(waiting, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
        if self._runner is not None and self._runner.done() and not self.client.is_ready():
            self._runner.result()
            raise RuntimeError("discord: the connection ended before the bot was ready")
        if not self.client.is_ready():
            raise TimeoutError(f"discord: not ready within {within:.1f}s")

    async def stop(self) -> None:
        """Let running handlers answer, then close the gateway and the HTTP session."""
        await self.inbound.drain(STOP_GRACE)
        for task in list(self._background):  # a DM still on its way is not worth waiting for
            task.cancel()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            try:
                await asyncio.wait_for(self._runner, STOP_GRACE)
            except (TimeoutError, asyncio.CancelledError):
                self._runner.cancel()
            except Exception:
                log.exception("discord: the connection task failed")
            self._runner = None

    # -- events from the client (it sees this adapter as its EventSink) ------------------------

    def on_gateway_event(self, name: str, data: Mapping[str, Any], event_id: str) -> None:
        """A raw dispatch, synchronously and in gateway order."""
        self.inbound.event(name, data, event_id)

    async def on_client_interaction(self, interaction: discord.Interaction) -> None:
        """Slash commands, clicks, modals and autocompletion."""
        await self.interactions.handle(interaction)

    async def on_client_ready(self) -> None:
        """Every shard of this process is ready: say so once in the log."""
        log.info("discord: ready in %d guild(s) as %s", len(self.client.guilds),
                 self.client.user)

    async def on_client_shard_ready(self, shard_id: int) -> None:
        """A shard's new session: read back what its guilds' channels got while it was away."""
        self.inbound.spawn(CatchUp(self).run(shard_id))

    async def _initial_sync(self) -> None:
        """Before the gateway opens, so slash commands exist when members can see the bot."""
        if not self.config.sync_on_start or self._synced:
            return
        self._synced = True
        try:
            await self.sync_commands()
        except Exception as exc:  # stale commands are better than no bot: log and go on
            log.error("discord: slash command sync failed: %s", exc)

    async def sync_commands(self, bot: Bot | None = None, *, force: bool = False) -> int:
        """Push the command tree (guild or global per config); returns the commands pushed.

        Works on a running adapter, or on a set-up bot that was never started (the CLI).
        """
        if bot is not None and self._client is None:
            self.bot = bot
            self._client = self._make_client(bot)
        client = self.client
        opened = False
        if client.user is None:
            try:
                await client.login(self.config.token.reveal())
            except BaseException:
                await client.close()  # a failed login must not leave its HTTP session open
                raise
            opened = True
        try:
            payload = command_payload(self.bot)
            app_id = self.config.application_id or client.application_id
            if app_id is None:
                raise RuntimeError("discord: unknown application id")
            targets = await sync_targets(client, self.config)
            changed = await push(client, app_id, payload, targets, force=force)
            return len(payload) if changed else 0
        finally:
            if opened:
                await client.close()

    # -- sending --------------------------------------------------------------------------------

    def _channel(self, channel_id: str) -> discord.abc.Messageable:
        channel = self.client.get_channel(int(channel_id))
        if isinstance(channel, discord.abc.Messageable):
            return channel
        return self.client.get_partial_messageable(int(channel_id))

    def _message(self, ref: MessageRef) -> discord.PartialMessage:
        return self.client.get_partial_messageable(int(ref.room_id)).get_partial_message(
            int(ref.id))

    async def send(self, room: RoomRef, message: OutgoingMessage) -> MessageRef:
        """A reply to an interaction goes through it; anything else is a channel message."""
        if message.reply_to is not None:
            pending = self.interactions.pending.get(message.reply_to.id)
            if pending is not None and not pending.closed:
                try:
                    return await pending.answer(message)
                except discord.HTTPException as exc:
                    log.warning("discord: interaction reply failed (%s); posting instead", exc)
                    if message.ephemeral or pending.component:
                        return MessageRef(PLATFORM, room.id, "")
        target = self._channel(room.id)
        if message.thread_of is not None:
            target = await self._thread(message.thread_of, message.text)
        shown, dropped = renderable(message.buttons)
        text = with_hints(message.text, dropped)
        reference = None
        reply = message.reply_to
        if reply is not None and reply.id.isdigit() and message.thread_of is None \
                and reply.room_id == room.id:
            reference = discord.MessageReference(message_id=int(reply.id),
                                                 channel_id=int(reply.room_id),
                                                 fail_if_not_exists=False)
        chunks = split_text(text)
        sent: discord.Message | None = None
        try:
            for index, chunk in enumerate(chunks):
                kwargs = send_kwargs(chunk, shown if index == len(chunks) - 1 else [])
                if index == 0 and reference is not None:
                    kwargs["reference"] = reference
                sent = await target.send(**kwargs, nonce=nonce())
        except discord.Forbidden as exc:
            if exc.code != MISSING_PERMISSIONS:
                raise
            self._report_refusal(room.id, "send messages", exc)
            return MessageRef(PLATFORM, room.id, "")  # not sent: there is nothing to refer to
        assert sent is not None
        self._refused.discard((room.id, "send messages"))  # allowed again: a new refusal is news
        ref = MessageRef(PLATFORM, str(sent.channel.id), str(sent.id))
        self._texts.put(ref.id, message.text)
        for emoji in message.reactions:
            await self.react(ref, emoji)
        return ref

    def _report_refusal(self, channel_id: str, what: str, exc: discord.HTTPException) -> None:
        """Missing Permissions: one ERROR per channel and action (`!status`, `!lasterror`)."""
        if (channel_id, what) in self._refused:
            log.debug("discord: still may not %s in channel %s: %s", what, channel_id, exc)
            return
        self._refused.add((channel_id, what))
        channel = self.client.get_channel(int(channel_id)) if channel_id.isdigit() else None
        name = f"#{channel.name}" if isinstance(channel, discord.abc.GuildChannel) else "a channel"
        guild = getattr(channel, "guild", None)
        where = f" of server {guild.name!r} ({guild.id})" if guild is not None else ""
        log.error("discord: the bot may not %s in %s (%s)%s; give its role View Channel, Send "
                  "Messages, Add Reactions and Read Message History there. Messages for that "
                  "channel are dropped until then.", what, name, channel_id, where)
        if isinstance(guild, discord.Guild) and guild.owner_id is not None:
            task = asyncio.create_task(self._tell_owner(guild, name, channel_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _tell_owner(self, guild: discord.Guild, channel: str, channel_id: str) -> None:
        """The server owner can fix permissions: a DM in the community's language, if open."""
        community = self.bot.communities.for_room(room_ref(channel_id, str(guild.id)))
        text = self.bot.i18n.translate(_(
            "I may not post in {channel} on {server}: give my role View Channel, Send Messages, "
            "Add Reactions and Read Message History there. Until then my messages for that "
            "channel are lost.", channel=channel, server=guild.name), community.locale)
        await self.send_direct(UserRef(PLATFORM, str(guild.owner_id), ""), OutgoingMessage(text))

    async def _thread(self, parent: MessageRef, text: str) -> discord.abc.Messageable:
        """The thread under `parent` (a thread started from a message shares its id).

        Where no thread can be opened (DMs, missing permission) the parent's channel is used.
        """
        thread = self.client.get_partial_messageable(int(parent.id))
        if parent.id in self._threads or isinstance(self.client.get_channel(int(parent.id)),
                                                    discord.Thread):
            return thread
        title = (self._texts.get(parent.id) or text).strip()
        name = clip(title.splitlines()[0] if title else "discussion", 100)
        try:
            await self.client.http.start_thread_with_message(
                int(parent.room_id), int(parent.id), name=name,
                auto_archive_duration=self.config.thread_archive_minutes)
        except discord.HTTPException as exc:
            if exc.code != 160004:  # "a thread has already been created for this message"
                log.warning("discord: no thread under %s: %s", parent.id, exc)
                return self._channel(parent.room_id)
        self._threads.add(parent.id)
        return thread

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        """Edit in place (keeping the buttons unless new ones are given); gone → post anew."""
        pending = self.interactions.sent.get(ref.id)
        if pending is not None:
            try:
                await pending.edit(ref.id, message)
                return ref
            except discord.HTTPException:
                pass  # interaction token expired (15 min): public messages edit as usual
        if not (ref.id.isdigit() and ref.room_id.isdigit()):
            return await self.send(RoomRef(PLATFORM, ref.room_id), message)
        shown, _dropped = renderable(message.buttons)
        kwargs: dict[str, Any] = {"content": split_text(message.text)[0] or "\u200b"}
        if shown:
            kwargs["view"] = send_kwargs("", shown)["view"]
        try:
            await self._message(ref).edit(**kwargs)
        except discord.NotFound:
            return await self.send(RoomRef(PLATFORM, ref.room_id), message)
        except discord.Forbidden as exc:
            self._report_refusal(ref.room_id, "edit its messages", exc)
            return ref
        except discord.HTTPException as exc:  # a stale tally is better than a failed ballot
            log.warning("discord: cannot edit message %s: %s", ref.id, exc)
            return ref
        self._texts.put(ref.id, message.text)
        return ref

    async def react(self, ref: MessageRef, emoji: str) -> None:
        """Our own reaction (poll options); failures are logged, never raised."""
        if not ref.id.isdigit():
            return
        try:
            await self._message(ref).add_reaction(emoji)
        except discord.Forbidden as exc:
            self._report_refusal(ref.room_id, "add reactions", exc)
        except (discord.HTTPException, ValueError) as exc:
            log.warning("discord: cannot react %r on %s: %s", emoji, ref.id, exc)

    async def send_file(self, room: RoomRef, filename: str, data: bytes,
                        caption: str = "") -> MessageRef:
        """Exports as attachments; too large or refused → the text fallback of the base class."""
        try:
            sent = await self._channel(room.id).send(
                content=clip(caption, 2000) or None,
                file=discord.File(io.BytesIO(data), filename=filename))
        except discord.Forbidden as exc:
            self._report_refusal(room.id, "attach files", exc)
            return await super().send_file(room, filename, data, caption)
        except discord.HTTPException as exc:
            log.warning("discord: upload of %s failed: %s", filename, exc)
            return await super().send_file(room, filename, data, caption)
        return MessageRef(PLATFORM, str(sent.channel.id), str(sent.id))

    async def send_direct(self, user: UserRef, message: OutgoingMessage) -> MessageRef | None:
        """A DM; None when the member closed their DMs, so the core falls back to a room."""
        if not user.id.isdigit():
            return None
        try:
            channel = await self.client.create_dm(discord.Object(int(user.id)))
            shown, _dropped = renderable(message.buttons)
            sent = await channel.send(**send_kwargs(split_text(message.text)[0], shown),
                                      nonce=nonce())
        except discord.HTTPException as exc:
            log.info("discord: no DM to %s: %s", user.id, exc)
            return None
        return MessageRef(PLATFORM, str(channel.id), str(sent.id))

    async def list_reactions(self, ref: MessageRef) -> dict[str, list[UserRef]]:
        """Who reacted with what: votes reconciles reaction ballots missed while it was down.

        Sweeps that run before the gateway is up (the core starts adapters after the startup
        sweeps) get a ConnectionError and retry at their next run.
        """
        if self._client is None or self._runner is None:
            raise ConnectionError("discord: not connected yet")
        await self.wait_until_ready(LIST_WAIT)
        message = await self._message(ref).fetch()
        bot_id = self.people.bot_user_id
        listed: dict[str, list[UserRef]] = {}
        for reaction in message.reactions:
            users: list[UserRef] = []
            async for user in reaction.users(limit=None):
                uid = str(user.id)
                users.append(self.people.names.get(uid) or UserRef(
                    PLATFORM, uid, user.display_name, user.bot or user.system or uid == bot_id))
            listed[str(reaction.emoji)] = users
        return listed

    def message_link(self, ref: MessageRef) -> str:
        """A jump link to a message (the tips plugin keeps it with reaction tips)."""
        if not (ref.room_id.isdigit() and ref.id.isdigit()):
            return ""
        channel = self.client.get_channel(int(ref.room_id))
        guild = getattr(channel, "guild", None)
        where = str(guild.id) if guild is not None else "@me"
        return f"https://discord.com/channels/{where}/{ref.room_id}/{ref.id}"

    # -- people ---------------------------------------------------------------------------------

    def parse_mention(self, token: str) -> UserRef | None:
        """`<@id>` (what Discord clients insert and slash user options become) → the account."""
        user_id = parse_mention(token)
        if user_id is None:
            return None
        return self.people.names.get(user_id) or UserRef(PLATFORM, user_id, user_id)

    def is_room(self, room_id: str) -> bool:
        """A channel id, not a guild's: `[communities.X] rooms` may name a whole guild."""
        if self._client is None or not room_id.isdigit():
            return room_id.isdigit()
        return self._client.get_guild(int(room_id)) is None

    def parse_room(self, token: str, here: RoomRef) -> RoomRef | None:
        """`<#id>` (a channel mention) → that channel, in the guild the command came from."""
        channel_id = parse_channel(token)
        return None if channel_id is None else RoomRef(PLATFORM, channel_id, "", here.guild)

    def parse_platform_role(self, token: str, here: bool) -> str | None:
        """A Discord role for `!role map`: `<@&id>`, an id, or a name typed on Discord."""
        return parse_platform_role(token, here)

    async def resolve_role(self, user: UserRef, room: RoomRef) -> Role:
        """The member's role in the room's guild, for checks made outside an event."""
        return await self.people.role(user.id, room.guild or self.people.dm_guild())
