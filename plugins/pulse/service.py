"""One PulseService per bot: the recorder, the live hub, metrics and the web server together."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.api import Text
from plugins.pulse import store, templates
from plugins.pulse.config import PulseConfig, WebConfig
from plugins.pulse.feed import Recorder
from plugins.pulse.metrics import Metrics
from plugins.pulse.sse import Hub
from plugins.pulse.state import Money, Snapshot, gather

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.pulse.server import WebServer

log = logging.getLogger("ruche.pulse")

OPEN_POLLS_TTL = 5.0  # seconds /metrics may reuse its count of open polls


class PulseService:
    """One bot's pulse: made with the plugin (reading no config), run from startup to shutdown."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.metrics = Metrics()
        self.recorder = Recorder(bot, self.touch)
        self.hub = Hub(self.render, on_send=lambda n: self.metrics.events.inc(n))
        self.server: WebServer | None = None
        self._open_polls: tuple[float, int] | None = None

    # -- config -------------------------------------------------------------------------------

    def config(self, community: str | None = None) -> PulseConfig:
        """`[plugins.pulse]`, with the community's `!config` overrides when one is given."""
        return self.bot.plugin_config(PulseConfig, community)

    def web_config(self) -> WebConfig:
        return self.bot.config.section("web", WebConfig)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot.config.bot.timezone)

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.recorder.start()
        self.hub.start()
        web = self.web_config()
        if not web.enabled:
            return
        from plugins.pulse.server import WebServer  # aiohttp is only imported when serving

        self.server = WebServer(self, web)
        try:
            await self.server.start()
        except BaseException:  # port taken: the bot will not start; leave nothing running
            self.server = None
            await self.stop()
            raise
        url = self.server.url
        log.info("pulse: dashboard at %s", url, extra={"plugin": "pulse"})
        print(f"Ruche dashboard: {url}/  (health: {url}/healthz, metrics: {url}/metrics)",
              file=sys.stderr)

    async def stop(self) -> None:
        await self.hub.close()
        if self.server is not None:
            await self.server.stop()
            self.server = None
        await self.recorder.stop()

    # -- reads --------------------------------------------------------------------------------

    def touch(self, community: str) -> None:
        """Something in this community changed: live pages refresh soon."""
        self.hub.touch(community)

    async def snapshot(self, community: str) -> Snapshot:
        await self.recorder.flush()
        return await gather(self.bot, community, self.config(community))

    async def money(self, community: str) -> Money:
        answer = await self.bot.hooks.first_safe("get_currency", bot=self.bot,
                                                 community=community)
        if isinstance(answer, tuple) and len(answer) == 2:
            return Money(str(answer[0]), int(answer[1]))
        return Money()

    def language(self, community: str, requested: str | None) -> str:
        """`?lang=` when it names a shipped language, else the community's."""
        if requested in templates.LANGUAGES:
            return str(requested)
        locale = self.bot.i18n.normalize_locale(self.bot.communities.get(community).locale)
        return locale if locale in templates.LANGUAGES else "en"

    async def render(self, community: str, langs: set[str]) -> dict[str, dict[str, str]]:
        """The dashboard's sections per language, from one snapshot."""
        snapshot = await self.snapshot(community)
        tz = self.tz
        out = {}
        for lang in langs:
            def t(text: Text | str, lang: str = lang) -> str:
                return self.bot.i18n.translate(text, lang)

            out[lang] = templates.sections(snapshot, t, tz)
        return out

    async def communities(self) -> list[str]:
        """Every community this bot knows of: configured, seen in chat, or in pulse's records."""
        known = set(self.bot.config.communities) | set(self.bot.communities.known_ids())
        known |= set(await store.communities(self.bot.db))
        if "console" in self.bot.adapters:
            known.add("console")
        return sorted(known)

    async def open_polls(self) -> int | None:
        """Open polls in every community (cached a few seconds: /metrics may be scraped often)."""
        now = self.bot.now()
        if self._open_polls is not None and now - self._open_polls[0] < OPEN_POLLS_TTL:
            return self._open_polls[1]
        total = 0
        for community in await self.communities():
            polls = await self.bot.hooks.first_safe("list_polls", bot=self.bot,
                                                    community=community, statuses=["open"],
                                                    limit=200)
            if polls is None:
                return None  # votes disabled: no such metric
            total += len(polls)
        self._open_polls = (now, total)
        return total

    def dashboard_url(self, community: str) -> str | None:
        """The community's page, when the server runs and the page needs no token."""
        if self.server is None or not self.server.is_public(community):
            return None
        return f"{self.server.url}/c/{quote(community, safe='')}"
