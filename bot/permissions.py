"""Who may do what: roles, named permissions with default roles, hooks, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.model import Community, Member, Role

if TYPE_CHECKING:
    from bot.app import Bot


@dataclass(frozen=True, slots=True)
class Permission:
    """A named capability (`ideas.accept`) and the least role that holds it by default."""

    name: str
    default: Role = Role.MEMBER
    description: str = ""


class Permissions:
    """Decides permissions server-side: a hook False or failure denies, a True allows, else role."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.registry: dict[str, Permission] = {}

    def register(self, permission: Permission) -> None:
        known = self.registry.get(permission.name)
        if known is not None and known != permission:
            raise ValueError(f"permission {permission.name!r} registered twice, differently")
        self.registry[permission.name] = permission

    def default_role(self, name: str) -> Role:
        perm = self.registry.get(name)
        if perm is None:
            raise KeyError(f"unknown permission {name!r}: register it with register_permissions")
        return perm.default

    async def allowed(self, member: Member, name: str, community: Community) -> bool:
        """The single answer to 'may this member do this here?'."""
        default = self.default_role(name)
        if member.is_bot:
            return False
        verdicts = await self.bot.hooks.verdicts(
            "permission_allowed", bot=self.bot, member=member, permission=name,
            community=community,
        )
        allowed = member.role >= default
        for verdict in verdicts:  # any False denies, whatever comes after it
            if verdict is False:
                return False
            if verdict is True:
                allowed = True
        return allowed


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator action, as `!audit` shows it."""

    id: int
    community: str
    member_id: int | None
    member_name: str
    action: str
    detail: str
    at: float


class AuditLog:
    """Moderator actions, written once they happened, readable with `!audit`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def record(self, community: str, member: Member | None, action: str,
                     detail: str = "") -> None:
        await self.bot.db.execute(
            "INSERT INTO core_audit (community, member_id, action, detail, at) "
            "VALUES ($1, $2, $3, $4, $5)",
            community, member.id if member else None, action, detail[:500], self.bot.now(),
        )

    async def recent(self, community: str, limit: int = 10) -> list[AuditEntry]:
        rows = await self.bot.db.fetch(
            "SELECT a.id, a.community, a.member_id, COALESCE(m.display_name, '-') AS name, "
            "a.action, a.detail, a.at FROM core_audit a "
            "LEFT JOIN core_members m ON m.id = a.member_id "
            "WHERE a.community = $1 ORDER BY a.id DESC LIMIT $2",
            community, limit,
        )
        return [
            AuditEntry(int(r["id"]), r["community"], r["member_id"], r["name"], r["action"],
                       r["detail"], float(r["at"]))
            for r in rows
        ]
