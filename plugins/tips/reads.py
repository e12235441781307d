"""Read hooks: other plugins (pulse's dashboard) see the leaderboard without our tables.

A mixin of `TipsPlugin`, kept apart from the money paths; it answers with what `!leaderboard`
shows any member, nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.api import hookimpl
from plugins.tips import store
from plugins.tips.models import MemberFlows

if TYPE_CHECKING:
    from bot.api import Bot
    from plugins.tips.service import TipsService

PERIODS = ("all", "week", "month")
#: The most givers one `member_flows` answer names.
MAX_THANKERS = 5
#: The most rows one `get_leaderboard` call returns.
MAX_LEADERBOARD = 100


class TipsReads:
    """`get_leaderboard`, answered by the same query as `!leaderboard`."""

    service: TipsService  # set by TipsPlugin.__init__

    @hookimpl
    async def get_leaderboard(self, bot: Bot, community: str, period: str,
                              limit: int) -> list[tuple[int, int]] | None:
        """(member id, amount), largest first: balances (`all`) or tips received."""
        if period not in PERIODS:
            return None
        size = max(0, min(int(limit), MAX_LEADERBOARD))
        if size == 0:
            return []
        top = await self.service.leaderboard(community, period, size)
        return [(int(member), int(amount)) for member, amount in top]

    @hookimpl
    async def member_flows(self, bot: Bot, community: str, member_id: int,
                           since: float) -> MemberFlows:
        """The member's own account only: what others may see of it is not widened."""
        received, sent, givers = await store.member_flows(bot.db, community, member_id,
                                                          float(since), MAX_THANKERS)
        return MemberFlows(received, sent, tuple(givers))
