"""`!dashboard`: a signed, expiring, revocable link to a member's own page of the dashboard.

A link is `/me/<payload>.<signature>`: the payload names the community, the member, when the
link expires and the member's link generation; the signature is an HMAC-SHA256 of it with a
random secret pulse keeps in its own table (made on first use, so every process of one
database signs alike). `!dashboard revoke` bumps the generation: every link handed out before
stops working at once. The page shows what `!me` says in private, and the member's own tips.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.api import Context, Database, OutgoingMessage, Text, UserError, group, requires
from plugins.pulse import me as mine
from plugins.pulse import svg
from plugins.pulse.texts import _

if TYPE_CHECKING:
    from plugins.pulse import PulsePlugin
    from plugins.pulse.service import PulseService

Translate = Callable[[Text | str], str]
MAX_FLOWS = 12


@dataclass(frozen=True, slots=True)
class Link:
    community: str
    member_id: int
    expires: float
    generation: int


# -- the secret and the generations (pulse's own tables) ------------------------------------------

async def secret(db: Database) -> bytes:
    """The signing key: created once per database, the same for every process sharing it."""
    await db.execute("INSERT INTO pulse_link_secret (id, secret) VALUES (1, $1)"
                     " ON CONFLICT (id) DO NOTHING", secrets.token_hex(32))
    return bytes.fromhex(str(await db.fetchval("SELECT secret FROM pulse_link_secret"
                                               " WHERE id = 1")))


async def generation(db: Database, community: str, member_id: int) -> int:
    value = await db.fetchval("SELECT generation FROM pulse_links WHERE community = $1"
                              " AND member_id = $2", community, member_id)
    return int(value) if value is not None else 0


async def revoke(db: Database, community: str, member_id: int) -> None:
    """Every link of this member made so far stops working."""
    await db.execute(
        "INSERT INTO pulse_links (community, member_id, generation) VALUES ($1, $2, 1)"
        " ON CONFLICT (community, member_id) DO UPDATE"
        " SET generation = pulse_links.generation + 1", community, member_id)


# -- signing --------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(key: bytes, link: Link) -> str:
    payload = _b64(f"{link.community}\n{link.member_id}\n{int(link.expires)}\n"
                   f"{link.generation}".encode())
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def unsign(key: bytes, token: str) -> Link | None:
    """The link a token names, if its signature holds (expiry and revocation checked apart)."""
    payload, _sep, mac = token.partition(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    try:
        community, member, expires, gen = base64.urlsafe_b64decode(
            payload + "=" * (-len(payload) % 4)).decode().split("\n")
        return Link(community, int(member), float(expires), int(gen))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


async def issue(svc: PulseService, community: str, member_id: int) -> str:
    """A fresh link's path for this member, valid for `personal_link_ttl`."""
    db = svc.bot.db
    ttl = svc.config(community).personal_link_ttl.total_seconds()
    link = Link(community, member_id, float(svc.bot.now()) + ttl,
                await generation(db, community, member_id))
    return "/me/" + sign(await secret(db), link)


async def check(svc: PulseService, token: str) -> Link | None:
    """The link behind a token when it is signed by us, not expired and not revoked."""
    db = svc.bot.db
    link = unsign(await secret(db), token)
    if link is None or link.expires <= svc.bot.now():
        return None
    if link.generation != await generation(db, link.community, link.member_id):
        return None
    return link


# -- the page --------------------------------------------------------------------------------------

async def page(svc: PulseService, link: Link, lang: str) -> str:
    """The member's `!me` (as in private) and their own tips, sent and received."""
    from plugins.pulse import store, templates

    bot = svc.bot

    def t(text: Text | str) -> str:
        return bot.i18n.translate(text, lang)

    community = link.community
    cfg = svc.config(community)
    money = await svc.money(community)
    found = await mine.gather(bot, community, link.member_id,
                              closing_soon=cfg.closing_soon.total_seconds(), money=money)
    lines = mine.me_message(found, t, private=True).split("\n")
    since = float(bot.now()) - cfg.flow_window.total_seconds()
    await svc.recorder.flush()
    pairs = await store.member_flows(bot.db, community, link.member_id, since, MAX_FLOWS)
    names = await bot.identity.names(sorted({m for g, r, _a, _n in pairs for m in (g, r)}
                                            | {link.member_id}))
    me = names.get(link.member_id, "?")
    title = t(_("Your page in {community}", community=bot.communities.get(community).name))
    body = [f'<header><h1>{templates.esc(title)}</h1><p class="status">'
            f'{templates.esc(me)}</p></header><main id="main">',
            '<section class="card me" aria-labelledby="me-h"><h2 id="me-h">'
            f'{templates.esc(t(_("What concerns you now")))}</h2><ul class="feed">']
    body += [f"<li>{templates.esc(line)}</li>" for line in lines]
    body.append('</ul></section><section class="card flows" aria-labelledby="flows-h">'
                f'<h2 id="flows-h">{templates.esc(t(_("Your tips")))}</h2>')
    if not pairs:
        body.append(f'<p class="empty">{templates.esc(t(_("No tips yet.")))}</p>')
    else:
        edges = [(names.get(g, "?"), names.get(r, "?"), a) for g, r, a, _n in pairs]
        received = sum(a for _g, r, a, _n in pairs if r == link.member_id)
        sent = sum(a for g, _r, a, _n in pairs if g == link.member_id)
        body.append(svg.network(
            edges, title=t(_("Your tips, given and received")),
            desc=t(_("You received {received} and gave {sent} in tips.",
                     received=money(received), sent=money(sent))), money=money))
        body.append(svg.table(t(_("Your tips, given and received")),
                              [t(_("From")), t(_("To")), t(_("Amount")), t(_("Tips"))],
                              [(g, r, money(a), n) for (g, r, a), (_g, _r, _a, n)
                               in zip(edges, pairs, strict=True)]))
    body.append("</section></main><footer><p>" + templates.esc(t(_(
        "This page is yours alone: do not share its address. `!dashboard revoke` in chat "
        "turns off every link made so far."))) + "</p></footer>")
    return templates.document(lang, title, "".join(body))


# -- the command -----------------------------------------------------------------------------------

def _service(ctx: Context) -> PulseService:
    plugin: PulsePlugin = ctx.plugin
    return plugin.service


async def _private(ctx: Context, text: str) -> None:
    """Only the member may read it: their direct messages, or an answer only they see."""
    if ctx.message.is_direct:
        await ctx.reply(text)
        return
    if ctx.adapter.capabilities.ephemeral and ctx.message.private_reply:
        await ctx.reply(text, ephemeral=True)
        return
    if ctx.adapter.capabilities.direct_messages:
        ref = await ctx.adapter.send_direct(ctx.message.author, OutgoingMessage(text))
        if ref is not None:
            await ctx.reply(ctx.t(_("I sent you your link in a private message.")))
            return
    raise UserError(_("I cannot write to you privately here: try `!dashboard` in a direct "
                      "message."))


@group("dashboard", names={"fr": "tableau"})
@requires("pulse.view")
async def dashboard(ctx: Context) -> None:
    """Get a private link to your own page of the dashboard (valid a few days)."""
    svc = _service(ctx)
    server = svc.server
    if server is None:
        raise UserError(_("The web dashboard is not running on this bot."))
    community = ctx.community.id
    days = svc.config(community).personal_link_ttl.days
    url = server.url + await issue(svc, community, ctx.member.id)
    await _private(ctx, ctx.t(_("🔗 Your page, valid {days} days: {url}\n`!dashboard revoke` "
                                "turns it off.", days=days, url=url)))


@dashboard.subcommand("revoke", names={"fr": "revoquer"})
@requires("pulse.view")
async def dashboard_revoke(ctx: Context) -> None:
    """Turn off every personal dashboard link you were given so far."""
    await revoke(ctx.bot.db, ctx.community.id, ctx.member.id)
    await ctx.reply(ctx.t(_("Your personal dashboard links no longer work.")))


COMMANDS = (dashboard,)
