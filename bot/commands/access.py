"""`!perm` and `!role`: who may do what in a community, changed from chat and audited."""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass

from bot.commands.context import Context
from bot.commands.decorators import group, requires
from bot.commands.errors import UserError
from bot.commands.model import Group
from bot.i18n import Text, plural_translatable, translatable
from bot.model import Member, RoomRef
from bot.permissions import BUILTIN_ROLES, MANAGE, MEMBER, ROLE, ROOM, CommunityRules

_ = translatable("core")
_n = plural_translatable("core")

ROLE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
MAX_ROLES = 50
MAX_MAPS = 20
#: French names of the built-in roles, accepted wherever a role is named.
ROLE_ALIASES = {"membre": "member", "moderateur": "moderator", "modérateur": "moderator",
                "administrateur": "admin"}

#: Audit actions of `!perm` and `!role`, in words (the core's `!audit` shows them).
ACCESS_ACTIONS: dict[str, Text] = {
    "perm.allow": _("allowed a permission:"),
    "perm.deny": _("denied a permission:"),
    "perm.reset": _("reset a permission:"),
    "role.create": _("created a role:"),
    "role.delete": _("deleted a role:"),
    "role.add": _("gave a role:"),
    "role.remove": _("took a role back:"),
    "role.map": _("mapped a platform role:"),
    "role.unmap": _("unmapped a platform role:"),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a rule names: a member (id), a room (`platform:id`) or a role (name)."""

    kind: str
    key: str
    label: str


def order_text() -> Text:
    """The order of evaluation, said the same way in `!perm` and `!perm show`."""
    return _("Order: a rule for the member, else for the room, else for their roles (custom, "
             "mapped from the platform, member/moderator/admin; if roles disagree, allow wins), "
             "else the permission's default role. Plugins may still refuse. Admins always keep "
             "perm.manage.")


def _permission(ctx: Context, raw: str) -> str:
    """A registered permission name, or a clear error with the closest one."""
    name = raw.strip().lower()
    registry = ctx.bot.permissions.registry
    if name in registry:
        return name
    close = difflib.get_close_matches(name, list(registry), n=1, cutoff=0.6)
    if close:
        raise UserError(_("Unknown permission: {name}. Did you mean {guess}?",
                          name=raw[:40], guess=close[0]))
    raise UserError(_("Unknown permission: {name}. See {prefix}perm show for the known ones.",
                      name=raw[:40], prefix=ctx.prefix))


def _role_name(raw: str) -> str:
    name = raw.strip().lower()
    return ROLE_ALIASES.get(name, name)


async def _subject(ctx: Context, raw: str, rules: CommunityRules) -> Subject:
    """`@member`, `#room` or a role name, as the rule will store it."""
    token = raw.strip()
    is_mention = token.startswith("@") or (token.startswith("<@") and not token.startswith("<@&"))
    name = _role_name(token)
    if not is_mention and (name in BUILTIN_ROLES or name in rules.roles):
        return Subject(ROLE, name, name)
    if not is_mention:
        room = _room(ctx, token)
        if room is not None:
            return Subject(ROOM, f"{room.platform}:{room.id}", f"#{room.name or room.id}")
    member = await ctx.resolve_member(token)
    if member is not None and not member.is_bot:
        return Subject(MEMBER, str(member.id), member.display_name)
    if is_mention:
        raise UserError(_("Unknown member: {raw}. Mention someone who has already written here.",
                          raw=token[:40]))
    known = sorted(set(BUILTIN_ROLES) | rules.roles)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        raise UserError(_("Unknown role, member or room: {raw}. Did you mean {guess}?",
                          raw=token[:40], guess=close[0]))
    raise UserError(_("Unknown role, member or room: {raw}. Roles here: {roles}.",
                      raw=token[:40], roles=", ".join(known)))


def _room(ctx: Context, token: str) -> RoomRef | None:
    """A room of this community named the platform's way (`#name`, `<#id>`, `!id:server`)."""
    parse = getattr(ctx.adapter, "parse_room", None)
    if parse is None:
        return None
    room: RoomRef | None = parse(token, ctx.message.room)
    if room is None:
        if token.startswith(("#", "<#", "!")):
            raise UserError(_("Unknown room: {raw}. Name a room of this community the way "
                              "this platform writes it.", raw=token[:40]))
        return None
    if ctx.bot.communities.id_for(room) != ctx.community.id:
        raise UserError(_("The room {raw} is not part of this community.", raw=token[:40]))
    return room


def _custom_role(ctx: Context, raw: str, rules: CommunityRules) -> str:
    """An existing custom role (built-in roles come from the platform, not from `!role`)."""
    name = _role_name(raw)
    if name in BUILTIN_ROLES:
        raise UserError(_("{role} is a built-in role: it comes from the platform. Create a "
                          "role with {prefix}role create, or map a platform role to it.",
                          role=name, prefix=ctx.prefix))
    if name not in rules.roles:
        close = difflib.get_close_matches(name, sorted(rules.roles), n=1, cutoff=0.6)
        if close:
            raise UserError(_("Unknown role: {role}. Did you mean {guess}?", role=raw[:40],
                              guess=close[0]))
        raise UserError(_("Unknown role: {role}. Create it first with {prefix}role create "
                          "{role}.", role=raw[:40], prefix=ctx.prefix))
    return name


def _keep_manage(ctx: Context, before: CommunityRules, after: CommunityRules) -> None:
    """Refuse a change that would take `perm.manage` from the member making it."""
    perms = ctx.bot.permissions
    default = perms.default_role(MANAGE)
    if before.decide(ctx.member, MANAGE, default).allowed and \
            not after.decide(ctx.member, MANAGE, default).allowed:
        raise UserError(_("Refused: after this change you would no longer hold perm.manage "
                          "yourself, and could not undo it. Ask another admin, or give "
                          "perm.manage to yourself another way first."))


async def _audit(ctx: Context, action: str, detail: str) -> None:
    await ctx.bot.audit.record(ctx.community.id, ctx.member, action, detail)


# -- !perm -------------------------------------------------------------------------------------

@group("perm", names={"fr": "permission"})
@requires(MANAGE)
async def perm_group(ctx: Context) -> None:
    """Allow or deny a permission to a role, a member or a room (admins)."""
    from bot.commands.builtin import describe  # the help renderer lives with !help

    assert ctx.command is not None
    await ctx.reply(await describe(ctx, ctx.command) + "\n" + ctx.t(order_text()))


@perm_group.subcommand("allow", names={"fr": "autoriser"})
async def perm_allow(ctx: Context, permission: str, target: str) -> None:
    """Allow a permission to a role, a @member or a #room."""
    await _set_rule(ctx, permission, target, True)


@perm_group.subcommand("deny", names={"fr": "interdire"})
async def perm_deny(ctx: Context, permission: str, target: str) -> None:
    """Deny a permission to a role, a @member or a #room."""
    await _set_rule(ctx, permission, target, False)


async def _set_rule(ctx: Context, raw_permission: str, raw_target: str, allow: bool) -> None:
    perms = ctx.bot.permissions
    here = ctx.community.id
    name = _permission(ctx, raw_permission)
    rules = await perms.rules(here)
    subject = await _subject(ctx, raw_target, rules)
    after = rules.copy()
    after.rules.setdefault(name, {})[(subject.kind, subject.key)] = allow
    if not allow:
        _keep_manage(ctx, rules, after)
    await perms.change(here, [(
        "INSERT INTO core_perm_rules (community, permission, kind, subject, allow) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community, permission, kind, subject) "
        "DO UPDATE SET allow = excluded.allow",
        (here, name, subject.kind, subject.key, int(allow)))])
    await _audit(ctx, "perm.allow" if allow else "perm.deny",
                 f"{name} → {_kind_word(subject.kind)} {subject.label}")
    if allow:
        await ctx.reply(_("{permission} is now allowed to {subject}.", permission=name,
                          subject=_describe(ctx, subject)))
    else:
        await ctx.reply(_("{permission} is now denied to {subject}.", permission=name,
                          subject=_describe(ctx, subject)))


def _kind_word(kind: str) -> str:
    return {MEMBER: "member", ROOM: "room", ROLE: "role"}[kind]


def _describe(ctx: Context, subject: Subject) -> str:
    if subject.kind == ROLE:
        return ctx.t(_("the role {role}", role=subject.label))
    if subject.kind == ROOM:
        return ctx.t(_("everyone in {room}", room=subject.label))
    return subject.label


@perm_group.subcommand("reset", names={"fr": "réinitialiser"})
async def perm_reset(ctx: Context, permission: str, target: str | None = None) -> None:
    """Drop the rules of a permission (or only the one for a role, @member or #room)."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    name = _permission(ctx, permission)
    rules = await perms.rules(here)
    if not rules.rules.get(name):
        raise UserError(_("{permission} has no rule here: its default applies.",
                          permission=name))
    after = rules.copy()
    writes: list[tuple[str, tuple[object, ...]]]
    if target is None:
        after.rules.pop(name, None)
        writes = [("DELETE FROM core_perm_rules WHERE community = $1 AND permission = $2",
                   (here, name))]
        detail = name
    else:
        subject = await _subject(ctx, target, rules)
        if (subject.kind, subject.key) not in rules.rules.get(name, {}):
            raise UserError(_("There is no rule for {permission} and {subject}.",
                              permission=name, subject=_describe(ctx, subject)))
        after.rules[name].pop((subject.kind, subject.key))
        writes = [("DELETE FROM core_perm_rules WHERE community = $1 AND permission = $2 "
                   "AND kind = $3 AND subject = $4", (here, name, subject.kind, subject.key))]
        detail = f"{name} → {_kind_word(subject.kind)} {subject.label}"
    _keep_manage(ctx, rules, after)
    await perms.change(here, writes)
    await _audit(ctx, "perm.reset", detail)
    role = perms.default_role(name).name.lower()
    await ctx.reply(_("Rules dropped for {permission}; where none is left, its default role "
                      "applies ({role}).", permission=name, role=role))


@perm_group.subcommand("show", names={"fr": "voir"})
async def perm_show(ctx: Context, target: str | None = None) -> None:
    """Show the rules: all of them, one permission's, or what a @member holds."""
    perms = ctx.bot.permissions
    rules = await perms.rules(ctx.community.id)
    if target is None:
        lines = [ctx.t(_("Permission rules in {community}:", community=ctx.community.name))]
        for name in sorted(rules.rules):
            if rules.rules[name]:
                lines.append(f"• {name}: {await _rule_words(ctx, rules, name)}")
        if len(lines) == 1:
            lines.append(ctx.t(_("none: every permission has its default role.")))
        lines.append(ctx.t(_("Permissions: {names}", names=", ".join(sorted(perms.registry)))))
        lines.append(ctx.t(order_text()))
        await ctx.reply("\n".join(lines))
        return
    token = target.strip()
    if token.lower() in perms.registry or ("." in token and not token.startswith(("@", "<@"))):
        name = _permission(ctx, target)
        perm = perms.registry[name]
        lines = [f"{name} — {perm.description}" if perm.description else name,
                 ctx.t(_("Default role: {role}", role=perm.default.name.lower()))]
        if rules.rules.get(name):
            lines.append(ctx.t(_("Rules: {rules}", rules=await _rule_words(ctx, rules, name))))
        lines.append(ctx.t(order_text()))
        await ctx.reply("\n".join(lines))
        return
    member = await ctx.resolve_member(target)
    if member is None or member.is_bot:
        raise UserError(_("Unknown member or permission: {raw}.", raw=target[:40]))
    await ctx.reply(await _member_summary(ctx, rules, member))


async def _rule_words(ctx: Context, rules: CommunityRules, name: str) -> str:
    """`allowed to role curator; denied to Bob` for one permission."""
    entries = sorted(rules.rules.get(name, {}).items())
    ids = [int(key) for (kind, key), _v in entries if kind == MEMBER]
    names = await ctx.bot.identity.names(ids)
    out = []
    for (kind, key), allow in entries:
        if kind == MEMBER:
            label = names.get(int(key), f"#{key}")
        elif kind == ROOM:
            label = "#" + key.partition(":")[2]
        else:
            label = key
        subject = _describe(ctx, Subject(kind, key, label))
        out.append(ctx.t(_("allowed to {subject}", subject=subject) if allow
                         else _("denied to {subject}", subject=subject)))
    return "; ".join(out)


async def _member_summary(ctx: Context, rules: CommunityRules, member: Member) -> str:
    """A member's custom roles, the rules naming them, and what they may do beyond members."""
    perms = ctx.bot.permissions
    held = sorted(rules.holders.get(member.id, ()))
    lines = [ctx.t(_("{name}: roles {roles}", name=member.display_name,
                     roles=", ".join(held) or "—"))]
    named = sorted(name for name, found in rules.rules.items()
                   if (MEMBER, str(member.id)) in found)
    for name in named:
        allow = rules.rules[name][(MEMBER, str(member.id))]
        lines.append("• " + ctx.t(_("{permission}: allowed to them", permission=name) if allow
                                  else _("{permission}: denied to them", permission=name)))
    # A mention carries no platform role nor room: what the stored rules and roles give.
    allowed = [name for name in sorted(perms.registry)
               if perms.by_rules(rules, member, name)]
    lines.append(ctx.t(_("May, as a member with these roles (room rules and platform roles "
                         "aside): {names}", names=", ".join(allowed) or "—")))
    return "\n".join(lines)


# -- !role -------------------------------------------------------------------------------------

@group("role", aliases=("roles",), names={"fr": "rôle"})
async def role_group(ctx: Context) -> None:
    """Custom roles: create them, give them, map platform roles to them."""
    from bot.commands.builtin import describe

    assert isinstance(ctx.command, Group)
    await ctx.reply(await describe(ctx, ctx.command))


@role_group.subcommand("create", names={"fr": "créer"})
@requires(MANAGE)
async def role_create(ctx: Context, name: str) -> None:
    """Create a custom role (a name such as curator)."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _role_name(name)
    if role in BUILTIN_ROLES or role in rules.roles:
        raise UserError(_("The role {role} already exists.", role=role))
    if ROLE_NAME.fullmatch(role) is None:
        raise UserError(_("A role name is one word of letters, digits, - or _ (at most 32), "
                          "starting with a letter: not {raw}.", raw=name[:40]))
    if len(rules.roles) >= MAX_ROLES:
        raise UserError(_("This community already has {n} roles, the most it can have.",
                          n=MAX_ROLES))
    await perms.change(here, [("INSERT INTO core_roles (community, name, created_at) "
                               "VALUES ($1, $2, $3)", (here, role, time.time()))])
    await _audit(ctx, "role.create", role)
    await ctx.reply(_("Role {role} created. Give it with {prefix}role add @member {role}, and "
                      "permissions with {prefix}perm allow PERMISSION {role}.", role=role,
                      prefix=ctx.prefix))


@role_group.subcommand("delete", names={"fr": "supprimer"})
@requires(MANAGE)
async def role_delete(ctx: Context, name: str) -> None:
    """Delete a custom role, its holders, mappings and rules."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _custom_role(ctx, name, rules)
    after = rules.copy()
    after.roles.discard(role)
    for held in after.holders.values():
        held.discard(role)
    after.maps.pop(role, None)
    for found in after.rules.values():
        found.pop((ROLE, role), None)
    _keep_manage(ctx, rules, after)
    await perms.change(here, [
        ("DELETE FROM core_roles WHERE community = $1 AND name = $2", (here, role)),
        ("DELETE FROM core_role_holders WHERE community = $1 AND role = $2", (here, role)),
        ("DELETE FROM core_role_maps WHERE community = $1 AND role = $2", (here, role)),
        ("DELETE FROM core_perm_rules WHERE community = $1 AND kind = $2 AND subject = $3",
         (here, ROLE, role)),
    ])
    await _audit(ctx, "role.delete", role)
    await ctx.reply(_("Role {role} deleted, with its holders, mappings and rules.", role=role))


@role_group.subcommand("add", names={"fr": "ajouter"})
@requires(MANAGE)
async def role_add(ctx: Context, member: Member, name: str) -> None:
    """Give a custom role to a member."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _custom_role(ctx, name, rules)
    if role in rules.holders.get(member.id, ()):
        raise UserError(_("{name} already holds the role {role}.", name=member.display_name,
                          role=role))
    await perms.change(here, [("INSERT INTO core_role_holders (community, role, member_id) "
                               "VALUES ($1, $2, $3)", (here, role, member.id))])
    await _audit(ctx, "role.add", f"{role} → {member.display_name}")
    await ctx.reply(_("{name} now holds the role {role}.", name=member.display_name, role=role))


@role_group.subcommand("remove", names={"fr": "retirer"})
@requires(MANAGE)
async def role_remove(ctx: Context, member: Member, name: str) -> None:
    """Take a custom role back from a member."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _custom_role(ctx, name, rules)
    if role not in rules.holders.get(member.id, ()):
        raise UserError(_("{name} does not hold the role {role}.", name=member.display_name,
                          role=role))
    after = rules.copy()
    after.holders[member.id].discard(role)
    _keep_manage(ctx, rules, after)
    await perms.change(here, [("DELETE FROM core_role_holders WHERE community = $1 AND "
                               "role = $2 AND member_id = $3", (here, role, member.id))])
    await _audit(ctx, "role.remove", f"{role} → {member.display_name}")
    await ctx.reply(_("{name} no longer holds the role {role}.", name=member.display_name,
                      role=role))


@role_group.subcommand("list", names={"fr": "liste"})
async def role_list(ctx: Context, name: str | None = None) -> None:
    """List the custom roles, or who holds one."""
    rules = await ctx.bot.permissions.rules(ctx.community.id)
    if name is not None:
        role = _custom_role(ctx, name, rules)
        ids = [m for m, held in rules.holders.items() if role in held]
        names = await ctx.bot.identity.names(ids)
        lines = [ctx.t(_("Holders of {role}: {names}", role=role,
                         names=", ".join(sorted(names.values())) or "—"))]
        if rules.maps.get(role):
            lines.append(ctx.t(_("Also everyone with: {platform_roles}",
                                 platform_roles=", ".join(sorted(rules.maps[role])))))
        await ctx.reply("\n".join(lines))
        return
    lines = [ctx.t(_("Roles in {community}: member, moderator, admin (from the platform)",
                     community=ctx.community.name))]
    for role in sorted(rules.roles):
        count = sum(1 for held in rules.holders.values() if role in held)
        line = "• " + ctx.t(_n("{role}: {n} holder", "{role}: {n} holders", count, role=role))
        if rules.maps.get(role):
            line += " · " + ", ".join(sorted(rules.maps[role]))
        lines.append(line)
    await ctx.reply("\n".join(lines))


@role_group.subcommand("map", names={"fr": "associer"})
@requires(MANAGE)
async def role_map(ctx: Context, name: str, platform_role: str) -> None:
    """Give a custom role to everyone holding a platform role (Discord role, Matrix power:N)."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _custom_role(ctx, name, rules)
    key = _platform_role(ctx, platform_role)
    if key in rules.maps.get(role, ()):
        raise UserError(_("{platform_role} is already mapped to {role}.",
                          platform_role=key, role=role))
    if len(rules.maps.get(role, ())) >= MAX_MAPS:
        raise UserError(_("The role {role} already has {n} mappings, the most it can have.",
                          role=role, n=MAX_MAPS))
    await perms.change(here, [("INSERT INTO core_role_maps (community, role, platform_role) "
                               "VALUES ($1, $2, $3)", (here, role, key))])
    await _audit(ctx, "role.map", f"{key} → {role}")
    await ctx.reply(_("Everyone with {platform_role} now holds the role {role}.",
                      platform_role=key, role=role))


@role_group.subcommand("unmap", names={"fr": "dissocier"})
@requires(MANAGE)
async def role_unmap(ctx: Context, name: str, platform_role: str) -> None:
    """Stop giving a custom role to holders of a platform role."""
    perms = ctx.bot.permissions
    here = ctx.community.id
    rules = await perms.rules(here)
    role = _custom_role(ctx, name, rules)
    key = _platform_role(ctx, platform_role)
    if key not in rules.maps.get(role, ()):
        raise UserError(_("{platform_role} is not mapped to {role}.", platform_role=key,
                          role=role))
    after = rules.copy()
    after.maps[role].discard(key)
    _keep_manage(ctx, rules, after)
    await perms.change(here, [("DELETE FROM core_role_maps WHERE community = $1 AND role = $2 "
                               "AND platform_role = $3", (here, role, key))])
    await _audit(ctx, "role.unmap", f"{key} → {role}")
    await ctx.reply(_("{platform_role} no longer gives the role {role}.", platform_role=key,
                      role=role))


def _platform_role(ctx: Context, raw: str) -> str:
    """The normalized platform role: this platform's adapter first, then the others."""
    token = raw.strip()
    adapters = [ctx.adapter] + [a for p, a in sorted(ctx.bot.adapters.items())
                                if a is not ctx.adapter]
    for adapter in adapters:
        parse = getattr(adapter, "parse_platform_role", None)
        key = parse(token, adapter is ctx.adapter) if parse is not None else None
        if key:
            return str(key)
    raise UserError(_("Unknown platform role: {raw}. Write a Discord role as a mention, an id "
                      "or its name (on Discord), a Matrix power level as power:50.",
                      raw=token[:40]))
