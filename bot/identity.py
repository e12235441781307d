"""Members: one internal id per person per community, several platform accounts linked to it."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from bot.commands.errors import UserError
from bot.i18n import translatable
from bot.model import Community, Member, Role, RoomRef, UserRef
from bot.storage import IntegrityError
from bot.storage.notify import ALL

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.commands.context import Context
    from bot.storage import Tx

_ = translatable("core")

CACHE_LIMIT = 200_000  # accounts kept in memory (~100 bytes each)
LINK_CODE_TTL = 600.0  # SPEC §2: a linking code expires after 10 minutes
LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I to misread


class Identity:
    """Maps platform accounts to members, creating a member the first time someone speaks."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        # (platform, user_id, community) -> (member id, display name, is_bot)
        self._cache: dict[tuple[str, str, str], tuple[int, str, bool]] = {}
        #: Accounts (platform, user_id, community) that left every room of their community.
        self._left: set[tuple[str, str, str]] = set()
        bot.fresh.subscribe("identity", self.forget)

    async def load(self) -> None:
        """Read which accounts left, so a returning one is noticed without a query per event."""
        rows = await self.bot.db.fetch(
            "SELECT platform, user_id, community FROM core_identities WHERE left_at IS NOT NULL")
        self._left = {(r["platform"], r["user_id"], r["community"]) for r in rows}

    # -- membership: who left, who came back -----------------------------------------------------

    async def left(self, user: UserRef, community: Community, reason: str) -> Member | None:
        """Mark an account as gone (left, kicked, banned); the member if they are now gone.

        A member with another account still present (linked on another platform) stays
        present: None then, as for an account the bot never met or one already gone (a ban
        after the leave only updates the reason). Nothing is deleted."""
        key = (user.platform, user.id, community.id)
        now = self.bot.now()

        async def op(tx: Tx) -> tuple[bool, Member | None]:
            row = await tx.fetchrow(
                "SELECT m.id, m.display_name, m.is_bot, i.left_at FROM core_identities i "
                "JOIN core_members m ON m.id = i.member_id "
                "WHERE i.platform = $1 AND i.user_id = $2 AND i.community = $3",
                user.platform, user.id, community.id)
            if row is None:
                return False, None
            await tx.execute(
                "UPDATE core_identities SET left_at = $1, left_reason = $2 "
                "WHERE platform = $3 AND user_id = $4 AND community = $5",
                now, reason, user.platform, user.id, community.id)
            still = await tx.fetchval(
                "SELECT COUNT(*) FROM core_identities WHERE member_id = $1 AND left_at IS NULL",
                row["id"])
            if int(still) or row["left_at"] is not None:
                return True, None
            return True, Member(int(row["id"]), community.id, row["display_name"], Role.MEMBER,
                                bool(row["is_bot"]))

        known, member = await self.bot.db.atomic(op)
        if known:
            self._left.add(key)
        return member

    async def returned(self, user: UserRef, community: Community) -> bool:
        """An account that had left spoke, reacted or joined again: present once more."""
        key = (user.platform, user.id, community.id)
        if key not in self._left:
            return False
        await self.bot.db.execute(
            "UPDATE core_identities SET left_at = NULL, left_reason = NULL "
            "WHERE platform = $1 AND user_id = $2 AND community = $3",
            user.platform, user.id, community.id)
        self._left.discard(key)
        return True

    async def departed(self, community_id: str) -> set[int]:
        """Members of a community whose every account left: leaderboards and quorums skip them."""
        if not any(k[2] == community_id for k in self._left):
            return set()  # the common case, without a query
        rows = await self.bot.db.fetch(
            "SELECT member_id FROM core_identities WHERE community = $1 GROUP BY member_id "
            "HAVING SUM(CASE WHEN left_at IS NULL THEN 1 ELSE 0 END) = 0", community_id)
        return {int(r["member_id"]) for r in rows}

    async def member_for(self, user: UserRef, community: Community,
                         role: Role = Role.MEMBER, *, platform_roles: tuple[str, ...] = (),
                         room: RoomRef | None = None) -> Member:
        """The member behind a platform account, created (or renamed) as needed.

        `platform_roles` and `room` say as whom and where they act now, for `!perm` rules.
        """
        key = (user.platform, user.id, community.id)
        cached = self._cache.get(key)
        where = f"{room.platform}:{room.id}" if room is not None else ""
        if cached is not None and not user.name:
            return Member(cached[0], community.id, cached[1], role, cached[2], platform_roles,
                          where)
        if cached is None or cached[1] != user.name:
            # Idempotent upkeep: the event's de-dup mark waits for the command's own write.
            with self.bot.db.unmarked():
                try:
                    member_id, renamed = await self.bot.db.atomic(
                        lambda tx: self._get_or_create(tx, user, community.id)
                    )
                except IntegrityError:
                    # Two first messages raced (PostgreSQL runs ops concurrently): the other won.
                    member_id, renamed = await self.bot.db.atomic(
                        lambda tx: self._get_or_create(tx, user, community.id)
                    )
            name = user.name or (await self.names([member_id])).get(member_id, user.id)
            if renamed:  # other processes may have cached the old name
                await self.bot.fresh.publish("identity", str(member_id))
            cached = (member_id, name, user.is_bot)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()  # a crude bound; the database is the truth
            self._cache[key] = cached
        return Member(cached[0], community.id, cached[1], role, cached[2], platform_roles, where)

    async def _get_or_create(self, tx: Tx, user: UserRef, community: str) -> tuple[int, bool]:
        """(member id, whether the stored name changed)."""
        row = await tx.fetchrow(
            "SELECT member_id, display_name FROM core_identities "
            "WHERE platform = $1 AND user_id = $2 AND community = $3",
            user.platform, user.id, community,
        )
        if row is not None:
            if user.name and row["display_name"] != user.name:
                await tx.execute(
                    "UPDATE core_identities SET display_name = $1 "
                    "WHERE platform = $2 AND user_id = $3 AND community = $4",
                    user.name, user.platform, user.id, community,
                )
                await tx.execute("UPDATE core_members SET display_name = $1 WHERE id = $2",
                                 user.name, row["member_id"])
                return int(row["member_id"]), True
            return int(row["member_id"]), False
        name = user.name or user.id
        member_id = await tx.fetchval(
            "INSERT INTO core_members (community, display_name, is_bot, created_at) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            community, name, int(user.is_bot), self.bot.now(),
        )
        await tx.execute(
            "INSERT INTO core_identities (platform, user_id, community, member_id, display_name) "
            "VALUES ($1, $2, $3, $4, $5)",
            user.platform, user.id, community, member_id, name,
        )
        return int(member_id), False

    async def find(self, community: Community, platform: str, user_id: str) -> Member | None:
        """A known member by platform account, or None (mentioning a stranger is an error)."""
        cached = self._cache.get((platform, user_id, community.id))
        if cached is not None:
            return Member(cached[0], community.id, cached[1], Role.MEMBER, cached[2])
        row = await self.bot.db.fetchrow(
            "SELECT m.id, m.display_name, m.is_bot FROM core_identities i "
            "JOIN core_members m ON m.id = i.member_id "
            "WHERE i.platform = $1 AND i.user_id = $2 AND i.community = $3",
            platform, user_id, community.id,
        )
        if row is None:
            return None
        member = Member(int(row["id"]), community.id, row["display_name"], Role.MEMBER,
                        bool(row["is_bot"]))
        self._cache[(platform, user_id, community.id)] = (member.id, member.display_name,
                                                          member.is_bot)
        return member

    async def get(self, community_id: str, member_id: int) -> Member | None:
        """A member by internal id (for notifications and listings)."""
        row = await self.bot.db.fetchrow(
            "SELECT id, display_name, is_bot FROM core_members WHERE id = $1 AND community = $2",
            member_id, community_id,
        )
        if row is None:
            return None
        return Member(int(row["id"]), community_id, row["display_name"], Role.MEMBER,
                      bool(row["is_bot"]))

    async def names(self, member_ids: list[int]) -> dict[int, str]:
        """Display names for many members in one query (leaderboards, lists)."""
        if not member_ids:
            return {}
        ids = sorted(set(member_ids))
        marks = ", ".join(f"${i + 1}" for i in range(len(ids)))
        rows = await self.bot.db.fetch(
            f"SELECT id, display_name FROM core_members WHERE id IN ({marks})", *ids
        )
        return {int(r["id"]): r["display_name"] for r in rows}

    async def accounts(self, member_id: int) -> list[UserRef]:
        """Every platform account of a member (to reach them by direct message)."""
        rows = await self.bot.db.fetch(
            "SELECT platform, user_id, display_name FROM core_identities WHERE member_id = $1",
            member_id,
        )
        return [UserRef(r["platform"], r["user_id"], r["display_name"]) for r in rows]

    async def resolve_mention(self, ctx: Context, raw: str) -> Member | None:
        """Turn `@name` / a platform mention into a known member of the community.

        A mention this platform cannot read is tried on the others, so a member of a
        community spanning platforms can name one who is only on the other (`@bob:server`
        typed on Discord)."""
        token = raw.strip()
        adapters = [ctx.adapter, *(a for a in self.bot.adapters.values() if a is not ctx.adapter)]
        for adapter in adapters:
            user = adapter.parse_mention(token)
            if user is None:
                continue
            member = await self.find(ctx.community, user.platform, user.id)
            if member is not None:
                return member
        return None

    # -- linking accounts across platforms (SPEC §2) -------------------------------------------

    async def create_link_code(self, member: Member, platform: str) -> str:
        """A one-time code, valid 10 minutes, to type on the other platform."""
        code = "".join(secrets.choice(LINK_ALPHABET) for _ in range(8))
        now = self.bot.now()

        async def op(tx: Tx) -> None:
            await tx.execute("DELETE FROM core_link_codes WHERE expires_at < $1 OR member_id = $2",
                             now, member.id)
            await tx.execute(
                "INSERT INTO core_link_codes (code, community, member_id, platform, expires_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                code, member.community, member.id, platform, now + LINK_CODE_TTL,
            )

        await self.bot.db.atomic(op)
        return code

    async def redeem_link_code(self, code: str, member: Member, user: UserRef) -> int:
        """Point this platform account at the code's member; return the member id it joined."""
        code = code.strip().upper()
        now = self.bot.now()

        async def op(tx: Tx) -> int:
            row = await tx.fetchrow(
                "SELECT community, member_id, platform, expires_at FROM core_link_codes "
                "WHERE code = $1", code,
            )
            if row is None or row["expires_at"] < now:
                raise UserError(_("This link code is unknown or expired. Type {cmd} on your "
                                  "other account for a new one.", cmd="!link"))
            if row["community"] != member.community:
                raise UserError(_("This link code belongs to another community."))
            target = int(row["member_id"])
            if target == member.id:
                raise UserError(_("These accounts are already linked."))
            if row["platform"] == user.platform:
                raise UserError(_("Use the code on another platform than the one that gave it."))
            await tx.execute("DELETE FROM core_link_codes WHERE code = $1", code)
            await tx.execute(
                "UPDATE core_identities SET member_id = $1 WHERE member_id = $2", target, member.id
            )
            await tx.execute("UPDATE core_members SET merged_into = $1 WHERE id = $2",
                             target, member.id)
            return target

        target = await self.bot.db.atomic(op)
        self.forget(str(member.id))
        await self.bot.fresh.publish("identity", str(member.id))
        return target

    def forget(self, member_id: str) -> None:
        """Drop a member's cached accounts (linked away or renamed, maybe in another process);
        ALL drops every one."""
        if member_id == ALL:
            self._cache = {}
        else:
            self._cache = {k: v for k, v in self._cache.items() if str(v[0]) != member_id}
