"""What every part of the service shares: config, the database, hooks, and the caches that
keep a tip to one database op (resolved mentions, known accounts, translated templates)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from bot.api import Member, Text, Tx, UserError, translatable
from plugins.tips.config import TipsConfig
from plugins.tips.models import LedgerEntry, TransferRequest
from plugins.tips.periods import Calendar, calendar

_ = translatable("tips")

if TYPE_CHECKING:
    from bot.api import Bot

T = TypeVar("T")

MEMBER_CACHE_TTL = 60.0  # seconds a resolved @mention is trusted without a database read


class ServiceBase:
    """One per bot (the plugin instance holds it): plumbing and caches, no rules."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._recipients: dict[tuple[str, str, str], tuple[Member, float]] = {}
        self._seen: dict[tuple[str, int], float] = {}
        self._calendar: tuple[float, Calendar] = (-1.0, calendar(0.0))
        self._listened: dict[str, bool] = {}
        self._accounts: dict[str, set[str]] = {}  # per community, seen committed
        self._templates: dict[tuple[str, str, str], str] = {}

    def config(self, community: str) -> TipsConfig:
        return self.bot.plugin_config(TipsConfig, community)

    # -- caches -------------------------------------------------------------------------------

    def cached_recipient(self, key: tuple[str, str, str]) -> Member | None:
        hit = self._recipients.get(key)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def remember_recipient(self, key: tuple[str, str, str], member: Member) -> None:
        if len(self._recipients) > 50_000:
            self._recipients.clear()
        self._recipients[key] = (member, time.monotonic() + MEMBER_CACHE_TTL)

    def render(self, locale: str, text: Text) -> str:
        """`text` translated, through a per-locale cache of its template: the core's safe
        formatter is pure Python and the busiest reply (a tip) should not pay it each time.
        Only for messages whose values are plain strings and whose msgid has no braces but
        its placeholders; anything unexpected falls back to the core's translation."""
        key = (text.domain, text.msgid, locale)
        template = self._templates.get(key)
        if template is None:
            placeholders = {name: "{" + name + "}" for name in text.kwargs}
            template = self.bot.i18n.translate(Text(text.msgid, text.domain, placeholders),
                                               locale)
            self._templates[key] = template
        try:
            return template.format_map(text.kwargs)
        except (KeyError, ValueError, IndexError, AttributeError):
            return self.bot.i18n.translate(text, locale)

    def _known_accounts(self, community: str) -> set[str]:
        """Accounts of a community seen committed; rows are never deleted, so this only grows."""
        known = self._accounts.get(community)
        if known is None or len(known) > 100_000:
            known = self._accounts[community] = set()
        return known

    def forget_members(self, community: str) -> None:
        """A link changed who is who in this community: resolve mentions afresh."""
        self._recipients = {k: v for k, v in self._recipients.items() if k[0] != community}
        self._seen = {k: v for k, v in self._seen.items() if k[0] != community}

    # -- plumbing -------------------------------------------------------------------------------

    async def atomic(self, op: Callable[[Tx], Awaitable[T]]) -> T:
        return await self.bot.db.atomic(op)

    def listened(self, hook: str) -> bool:
        """Whether any plugin implements `hook` (plugins are all registered before startup),
        so the tip hot path skips building payloads nobody reads."""
        known = self._listened.get(hook)
        if known is None:
            known = self._listened[hook] = bool(list(self.bot.hooks.implementers(hook)))
        return known

    async def emit(self, entries: Iterable[LedgerEntry]) -> None:
        """`on_ledger_entry` for each committed entry (after the commit, never before)."""
        if not self.listened("on_ledger_entry"):
            return
        for entry in entries:
            await self.bot.hooks.notify("on_ledger_entry", bot=self.bot, entry=entry)

    async def validate(self, request: TransferRequest) -> None:
        """Ask `validate_transfer` implementations; the first veto refuses the transfer.

        A validator that raises or times out refuses too (fail closed): money never moves past
        a check that could not run.
        """
        if not self.listened("validate_transfer"):
            return
        for veto in await self.bot.hooks.verdicts("validate_transfer", bot=self.bot,
                                                  transfer=request):
            if veto is False:
                raise UserError(_("This transfer could not be checked, so nothing was moved. "
                                  "Try again in a moment."))
            if isinstance(veto, Text | str) and str(veto):
                raise UserError(veto)

    async def vetoed(self, request: TransferRequest) -> bool:
        try:
            await self.validate(request)
        except UserError:
            return True
        return False

    def calendar(self, now: float) -> Calendar:
        """Day, week and month keys of `now`, recomputed once per UTC day."""
        day = now // 86400
        if self._calendar[0] != day:
            self._calendar = (day, calendar(now))
        return self._calendar[1]
