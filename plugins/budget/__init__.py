"""Budget: participatory budgeting of the treasury over the community's ideas (issue 18).

Thin hook implementations; the rules live in `service.py` (open, support, withdraw),
`allocation.py` (who is funded at close) and `closing.py` (exactly-once close and payments),
the SQL in `store.py`. Ideas come from the ideas plugin's `latest_ideas` read hook, costs of
ideas with an open funding round from funding's `list_funding_rounds`, and every token moves
through the tips plugin's `award_tokens`. No other plugin's code or tables are touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    Job,
    Permission,
    Plugin,
    Role,
    Text,
    hookimpl,
    iso_columns,
    translatable,
)
from plugins.budget import closing, money, store
from plugins.budget.commands import COMMANDS
from plugins.budget.config import BudgetConfig
from plugins.budget.migrations import migrations
from plugins.budget.service import BudgetService

if TYPE_CHECKING:
    from bot.api import Announcement, Bot

__version__ = "1.0.0"

PERMISSIONS = (
    Permission("budget.open", Role.MODERATOR, "open a participatory budget from the treasury"),
    Permission("budget.support", Role.MEMBER, "support ideas of the budget and withdraw support"),
    Permission("budget.close", Role.MODERATOR, "close the budget before its deadline"),
)

_ = translatable("budget")
#: Our audit actions in words (core hook `describe_audit_action`).
AUDIT_ACTIONS: dict[str, Text] = {
    "budget.open": _("opened a participatory budget"),
    "budget.close": _("closed the participatory budget"),
}
#: Our ledger reason in words (tips' `describe_ledger_reason`, for `!history`).
LEDGER_REASONS: dict[str, Text] = {money.REASON: _("participatory budget")}


class BudgetPlugin(Plugin):
    """One instance per bot, holding its `BudgetService`; hookimpls below are thin."""

    name = "budget"
    config_class = BudgetConfig
    migrations = migrations
    commands = COMMANDS

    def __init__(self, bot: Bot) -> None:
        super().__init__(bot)
        self.service = BudgetService(bot)

    def permissions(self) -> tuple[Permission, ...]:
        return PERMISSIONS

    def jobs(self) -> list[Job]:
        """The sweep: close due budgets and finish interrupted payments."""
        interval = self.bot.plugin_config(BudgetConfig).sweep_interval.total_seconds()

        async def sweep(bot: Bot) -> None:
            await closing.sweep(self.service)

        return [Job("budget.sweep", sweep, interval, plugin="budget")]

    @hookimpl
    def describe_audit_action(self, action: str) -> Text | None:
        """`!audit` says who opened or closed a budget."""
        return AUDIT_ACTIONS.get(action)

    @hookimpl(optionalhook=True)
    def describe_ledger_reason(self, reason: str) -> Text | None:
        """Budget payments show in `!history` in words."""
        return LEDGER_REASONS.get(reason)

    @hookimpl
    async def on_member_linked(self, bot: Bot, community: Community, old_member_id: int,
                               member_id: int) -> None:
        await bot.db.atomic(lambda tx: store.relink(tx, community.id, old_member_id, member_id))

    @hookimpl
    async def render_announcement(self, bot: Bot, announcement: Announcement) -> Any:
        """A budget's result, rendered when it is sent."""
        if announcement.namespace != "budget":
            return None
        return await closing.render_announcement(self.service, announcement)

    @hookimpl
    async def export_data(self, bot: Bot, community: Community,
                          fmt: str) -> dict[str, list[dict[str, Any]]] | None:
        """Budgets, their ideas and members' support; instants in ISO 8601 UTC."""
        tables = await store.export_rows(bot.db, community.id)
        if not any(tables.values()):
            return None
        return {name: iso_columns(rows, _EXPORT_TIMES) for name, rows in tables.items()}


#: Epoch-seconds columns of the exported tables.
_EXPORT_TIMES = ("opened_at", "deadline", "closed_at")

plugin = BudgetPlugin
