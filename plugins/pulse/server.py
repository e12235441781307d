"""The aiohttp server: dashboards (page + SSE stream), /healthz and /metrics on one port.

Access is per community: a community listed in `[web] tokens` needs its token (`?token=` —
which the page hands on to its stream — or `Authorization: Bearer`); the others are public
when `[web] public` is true, else not served. There is no access log: URLs carry tokens.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from aiohttp import web

from bot.api import DatabaseUnavailable, StartupError, unavailable_cause
from plugins.pulse import assets, templates
from plugins.pulse.config import WebConfig
from plugins.pulse.metrics import CONTENT_TYPE, adapter_connected
from plugins.pulse.store import ping

if TYPE_CHECKING:
    from plugins.pulse.service import PulseService

log = logging.getLogger("ruche.pulse.web")

HEALTH_TIMEOUT = 3.0
KEEPALIVE = 15.0  # seconds between SSE comments, so proxies keep the stream open
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

def _secure(headers: MutableMapping[str, str]) -> None:
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")


@web.middleware
async def _headers(request: web.Request,
                   handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                   ) -> web.StreamResponse:
    """Security headers on every answer, errors (404, 401) included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secure(exc.headers)
        raise
    if not response.prepared:  # a stream sends its headers itself, before this point
        _secure(response.headers)
    return response


def _bind_problem(bind: str, port: int, exc: OSError) -> str:
    """The one line an operator needs when the dashboard's address cannot be used."""
    where = f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (f"cannot listen on {where}: address already in use — change [web] port "
                "or stop the other program")
    if exc.errno == errno.EACCES:
        return (f"cannot listen on {where}: permission denied — use a [web] port above 1023 "
                "or a reverse proxy")
    reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
    return f"cannot listen on {where}: {reason} — check [web] bind and port"


class WebServer:
    """Owns the aiohttp runner; `url` is known once `start()` bound the port."""

    def __init__(self, service: PulseService, config: WebConfig) -> None:
        self.service = service
        self.config = config
        self.url = config.base_url()
        self.port = config.port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_headers])
        app.add_routes([
            web.get("/", self.index),
            web.get("/c/{community}", self.page),
            web.get("/c/{community}/events", self.events),
            web.get("/me/{token}", self.personal),
            web.get("/healthz", self.healthz),
            web.get("/metrics", self.metrics),
            web.get("/static/pulse.css", self.css),
            web.get("/static/pulse.js", self.js),
        ])
        return app

    async def start(self) -> None:
        """Bind the port; StartupError (one line, exit 2) if it cannot be bound."""
        # handler_cancellation: a closed browser tab ends its stream at once.
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0,
                                     handle_signals=False, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.bind, self.config.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise StartupError(_bind_problem(self.config.bind, self.config.port, exc)) from None
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        self.url = self.config.base_url(self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- access ---------------------------------------------------------------------------------

    def _token(self, community: str) -> str | None:
        secret = self.config.tokens.get(community) or self.config.tokens.get("*")
        return secret.reveal() if secret is not None else None

    def is_public(self, community: str) -> bool:
        return self._token(community) is None and self.config.public

    def _allowed(self, request: web.Request, community: str) -> bool:
        token = self._token(community)
        if token is None:
            return self.config.public
        given = request.query.get("token", "")
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given = header[7:]
        return hmac.compare_digest(given.encode(), token.encode())

    async def _community(self, request: web.Request) -> str:
        community = request.match_info["community"]
        if community not in await self.service.communities():
            raise web.HTTPNotFound(text="no such dashboard")
        token = self._token(community)
        if not self._allowed(request, community):
            if token is None:
                raise web.HTTPNotFound(text="no such dashboard")
            raise web.HTTPUnauthorized(text="this dashboard needs its token",
                                       headers={"WWW-Authenticate": "Bearer"})
        return community

    # -- pages ----------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        lang = self.service.language("", request.query.get("lang"))
        names = [(cid, self.service.bot.communities.get(cid).name)
                 for cid in await self.service.communities() if self.is_public(cid)]
        html = templates.index(names, lambda x: self.service.bot.i18n.translate(x, lang), lang)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def page(self, request: web.Request) -> web.Response:
        community = await self._community(request)
        lang = self.service.language(community, request.query.get("lang"))
        snapshot = await self.service.snapshot(community)
        keep = {k: request.query[k] for k in ("token",) if k in request.query}
        stream = (f"/c/{quote(community, safe='')}/events?"
                  + urlencode({**keep, "lang": lang}))
        html = templates.page(snapshot, lambda x: self.service.bot.i18n.translate(x, lang),
                              self.service.tz, lang=lang, stream=stream, query=keep)
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def personal(self, request: web.Request) -> web.Response:
        """A member's own page, behind a `!dashboard` link (signed, expiring, revocable)."""
        from plugins.pulse import personal

        link = await personal.check(self.service, request.match_info["token"])
        if link is None:
            raise web.HTTPForbidden(text="this link is invalid, expired or revoked: "
                                         "ask for a new one with !dashboard")
        lang = self.service.language(link.community, request.query.get("lang"))
        html = await personal.page(self.service, link, lang)
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """The SSE stream: the full state first, then only the sections that changed."""
        community = await self._community(request)
        lang = self.service.language(community, request.query.get("lang"))
        hub = self.service.hub
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store",
            "X-Accel-Buffering": "no"})
        _secure(response.headers)
        await response.prepare(request)
        sub, first = await hub.subscribe(community, lang)
        self.service.metrics.clients.set(hub.clients)
        try:
            await response.write(b"retry: 2000\n\n" + first)
            while True:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if item is None:
                    break
                await response.write(item)
        except ConnectionResetError:
            pass  # the browser went away between two updates
        finally:
            hub.unsubscribe(sub)
            self.service.metrics.clients.set(hub.clients)
        return response

    async def css(self, request: web.Request) -> web.Response:
        return web.Response(text=assets.CSS, content_type="text/css", charset="utf-8",
                            headers={"Cache-Control": "max-age=3600"})

    async def js(self, request: web.Request) -> web.Response:
        return web.Response(text=assets.JS, content_type="text/javascript", charset="utf-8",
                            headers={"Cache-Control": "max-age=3600"})

    # -- operations -----------------------------------------------------------------------------

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness plus one database round trip; 503 when the database does not answer."""
        bot = self.service.bot
        try:
            database = await asyncio.wait_for(ping(bot.db), HEALTH_TIMEOUT)
        except Exception as exc:  # probes come every few seconds: the log keeps one line
            cause = unavailable_cause(exc) or (DatabaseUnavailable(
                "health check timed out", reason=f"no answer within {HEALTH_TIMEOUT:g} s")
                if isinstance(exc, TimeoutError) else exc)
            log.warning("pulse: health check: database down", exc_info=cause)
            database = False
        body = {"status": "ok" if database else "unavailable",
                "database": "up" if database else "down",
                "adapters": {p: adapter_connected(a) for p, a in sorted(bot.adapters.items())}}
        return web.Response(text=json.dumps(body), content_type="application/json",
                            status=200 if database else 503,
                            headers={"Cache-Control": "no-store"})

    async def metrics(self, request: web.Request) -> web.Response:
        token = self.config.metrics_token
        if token is not None:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), token.reveal().encode()):
                raise web.HTTPUnauthorized(text="metrics need the token",
                                           headers={"WWW-Authenticate": "Bearer"})
        metrics = self.service.metrics
        try:
            open_polls = await self.service.open_polls()
        except Exception:
            log.exception("pulse: counting open polls failed")
            open_polls = None
        metrics.refresh(self.service.bot, open_polls)
        metrics.clients.set(self.service.hub.clients)
        response = web.Response(body=metrics.exposition(), headers={"Cache-Control": "no-store"})
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

