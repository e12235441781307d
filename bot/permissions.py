"""Who may do what: roles, permissions and their defaults, rules set from chat, hooks, audit."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.model import Community, Member, Role
from bot.storage.notify import ALL

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.storage import Tx

#: The permission that guards `!perm` and `!role`; built-in admins always hold it.
MANAGE = "perm.manage"
#: Built-in roles by name: a rule on one applies to that role and those above it.
BUILTIN_ROLES: dict[str, Role] = {"member": Role.MEMBER, "moderator": Role.MODERATOR,
                                  "admin": Role.ADMIN}
#: Kinds of subject a rule names, in the order they are consulted.
MEMBER, ROOM, ROLE = "member", "room", "role"


@dataclass(frozen=True, slots=True)
class Permission:
    """A named capability (`ideas.accept`) and the least role that holds it by default."""

    name: str
    default: Role = Role.MEMBER
    description: str = ""


@dataclass(slots=True)
class Decision:
    """Which rule decided, for `!perm show`: the verdict and the subject that carried it."""

    allowed: bool
    kind: str  # "member", "room", "role" or "default"
    subject: str = ""


def level_matches(key: str, held: tuple[str, ...]) -> bool:
    """`matrix-power>=25` matches a held `matrix-power:50`; any other key matches exactly."""
    prefix, sep, threshold = key.partition(">=")
    if not sep:
        return key in held
    for role in held:
        name, _colon, level = role.rpartition(":")
        if name == prefix and level.lstrip("-").isdigit() and int(level) >= int(threshold):
            return True
    return False


@dataclass(slots=True)
class CommunityRules:
    """One community's rules, custom roles, holders and platform role maps, kept in memory."""

    rules: dict[str, dict[tuple[str, str], bool]] = field(default_factory=dict)
    roles: set[str] = field(default_factory=set)
    holders: dict[int, set[str]] = field(default_factory=dict)
    maps: dict[str, set[str]] = field(default_factory=dict)  # role -> platform role keys

    def roles_of(self, member: Member) -> set[str]:
        """Custom roles held or mapped from the platform, and the built-in roles reached."""
        held = set(self.holders.get(member.id, ()))
        for role, keys in self.maps.items():
            if role not in held and any(level_matches(k, member.platform_roles) for k in keys):
                held.add(role)
        held.update(name for name, level in BUILTIN_ROLES.items() if member.role >= level)
        return held

    def decide(self, member: Member, permission: str, default: Role) -> Decision:
        """Member rule, then room rule, then role rules (an allow wins), then the default."""
        rules = self.rules.get(permission)
        if rules:
            verdict = rules.get((MEMBER, str(member.id)))
            if verdict is not None:
                return Decision(verdict, MEMBER, str(member.id))
            if member.room:
                verdict = rules.get((ROOM, member.room))
                if verdict is not None:
                    return Decision(verdict, ROOM, member.room)
            found = sorted((rules[(ROLE, r)], r) for r in self.roles_of(member)
                           if (ROLE, r) in rules)
            if found:
                verdict, role = found[-1]  # True sorts last: among roles an allow wins
                return Decision(verdict, ROLE, role)
        return Decision(member.role >= default, "default", default.name.lower())

    def copy(self) -> CommunityRules:
        return copy.deepcopy(self)


class Permissions:
    """Decides permissions server-side: rules set from chat, else the default role; then a hook
    False or failure denies, a True allows."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.registry: dict[str, Permission] = {}
        self._rules: dict[str, CommunityRules] = {}
        bot.fresh.subscribe("permissions", self.forget)

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
        self.default_role(name)  # an unknown permission fails loudly, for bots too
        if member.is_bot:
            return False
        verdicts = await self.bot.hooks.verdicts(
            "permission_allowed", bot=self.bot, member=member, permission=name,
            community=community,
        )
        allowed = self.by_rules(await self.rules(community.id), member, name)
        for verdict in verdicts:  # any False denies, whatever comes after it
            if verdict is False:
                return False
            if verdict is True:
                allowed = True
        return allowed

    def by_rules(self, rules: CommunityRules, member: Member, name: str) -> bool:
        """The verdict of the community's rules; built-in admins always keep `perm.manage`."""
        if name == MANAGE and member.role >= Role.ADMIN:
            return True
        return rules.decide(member, name, self.default_role(name)).allowed

    async def rules(self, community_id: str) -> CommunityRules:
        """The community's rules, read from the database once and then from memory."""
        found = self._rules.get(community_id)
        if found is None:
            found = await self._load(community_id)
            self._rules[community_id] = found
        return found

    def forget(self, community_id: str) -> None:
        """Drop the cached rules after a change (here or, through `bot.fresh`, in another
        process), so the next check reads them again; ALL drops every community's."""
        if community_id == ALL:
            self._rules.clear()
        else:
            self._rules.pop(community_id, None)

    async def _load(self, community_id: str) -> CommunityRules:
        db = self.bot.db
        out = CommunityRules()
        for row in await db.fetch("SELECT permission, kind, subject, allow FROM core_perm_rules "
                                  "WHERE community = $1", community_id):
            out.rules.setdefault(row["permission"], {})[(row["kind"], row["subject"])] = \
                bool(row["allow"])
        for row in await db.fetch("SELECT name FROM core_roles WHERE community = $1",
                                  community_id):
            out.roles.add(row["name"])
        for row in await db.fetch("SELECT role, member_id FROM core_role_holders "
                                  "WHERE community = $1", community_id):
            out.holders.setdefault(int(row["member_id"]), set()).add(row["role"])
        for row in await db.fetch("SELECT role, platform_role FROM core_role_maps "
                                  "WHERE community = $1", community_id):
            out.maps.setdefault(row["role"], set()).add(row["platform_role"])
        return out

    async def change(self, community_id: str,
                     writes: Sequence[tuple[str, Sequence[object]]]) -> None:
        """Write one change in one transaction, then let the next check read it back."""

        async def op(tx: Tx) -> None:
            for sql, args in writes:
                await tx.execute(sql, *args)

        await self.bot.db.atomic(op)
        self.forget(community_id)
        await self.bot.fresh.publish("permissions", community_id)

    async def move_member(self, community_id: str, old_id: int, new_id: int) -> None:
        """After `!link`, the linked-away member's roles and member rules follow them."""
        old, new = str(old_id), str(new_id)
        await self.change(community_id, [
            ("INSERT INTO core_role_holders (community, role, member_id) "
             "SELECT community, role, $3 FROM core_role_holders WHERE community = $1 "
             "AND member_id = $2 ON CONFLICT DO NOTHING", (community_id, old_id, new_id)),
            ("DELETE FROM core_role_holders WHERE community = $1 AND member_id = $2",
             (community_id, old_id)),
            ("UPDATE core_perm_rules SET subject = $3 WHERE community = $1 AND kind = 'member' "
             "AND subject = $2 AND NOT EXISTS (SELECT 1 FROM core_perm_rules o WHERE "
             "o.community = $1 AND o.kind = 'member' AND o.subject = $3 "
             "AND o.permission = core_perm_rules.permission)", (community_id, old, new)),
            ("DELETE FROM core_perm_rules WHERE community = $1 AND kind = 'member' "
             "AND subject = $2", (community_id, old)),
        ])


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
                     detail: str = "", *, tx: Tx | None = None) -> None:
        """Write one entry; inside `tx` when the action commits with other writes."""
        await (self.bot.db if tx is None else tx).execute(
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
