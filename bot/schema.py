"""The core's own tables (identity, audit, settings, outbox, rules), versioned like a plugin's."""

from __future__ import annotations

from bot.storage import Migrations, Tx, serial_pk

migrations = Migrations("core")


@migrations.step(1, "members, platform identities, link codes, audit log, settings")
async def _initial(tx: Tx) -> None:
    pk = serial_pk(tx.dialect)
    await tx.execute(
        f"""CREATE TABLE core_members (
            id {pk},
            community TEXT NOT NULL,
            display_name TEXT NOT NULL,
            is_bot INTEGER NOT NULL DEFAULT 0,
            merged_into BIGINT,
            created_at DOUBLE PRECISION NOT NULL
        )"""
    )
    await tx.execute("CREATE INDEX core_members_community ON core_members (community)")
    await tx.execute(
        """CREATE TABLE core_identities (
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            community TEXT NOT NULL,
            member_id BIGINT NOT NULL REFERENCES core_members (id),
            display_name TEXT NOT NULL,
            PRIMARY KEY (platform, user_id, community)
        )"""
    )
    await tx.execute("CREATE INDEX core_identities_member ON core_identities (member_id)")
    await tx.execute(
        """CREATE TABLE core_link_codes (
            code TEXT PRIMARY KEY,
            community TEXT NOT NULL,
            member_id BIGINT NOT NULL REFERENCES core_members (id),
            platform TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        )"""
    )
    await tx.execute(
        f"""CREATE TABLE core_audit (
            id {pk},
            community TEXT NOT NULL,
            member_id BIGINT,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            at DOUBLE PRECISION NOT NULL
        )"""
    )
    await tx.execute("CREATE INDEX core_audit_community ON core_audit (community, id)")
    await tx.execute(
        """CREATE TABLE core_settings (
            community TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (community, key)
        )"""
    )


@migrations.step(2, "reactions standing in for buttons on platforms without buttons")
async def _button_reactions(tx: Tx) -> None:
    await tx.execute(
        """CREATE TABLE core_button_reactions (
            platform TEXT NOT NULL,
            message_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            command TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, message_id, emoji)
        )"""
    )


@migrations.step(3, "announcement outbox: recorded with the state change, delivered after")
async def _announcements(tx: Tx) -> None:
    await tx.execute(
        f"""CREATE TABLE core_announcements (
            id {serial_pk(tx.dialect)},
            namespace TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            community TEXT NOT NULL,
            room TEXT,
            member_id BIGINT,
            edit_ref TEXT,
            reply_to TEXT,
            text TEXT,
            payload TEXT NOT NULL DEFAULT '{{}}',
            created_at DOUBLE PRECISION NOT NULL,
            next_try_at DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            lease_owner TEXT,
            lease_until DOUBLE PRECISION,
            sent_at DOUBLE PRECISION,
            message_ref TEXT
        )"""
    )
    await tx.execute(
        "CREATE INDEX core_announcements_unsent ON core_announcements (sent_at, next_try_at)")


@migrations.step(4, "ignore list and per-community plugin switches")
async def _ignores_and_switches(tx: Tx) -> None:
    await tx.execute(
        """CREATE TABLE core_ignores (
            community TEXT NOT NULL,
            member_id BIGINT NOT NULL REFERENCES core_members (id),
            ends_at DOUBLE PRECISION,
            reason TEXT NOT NULL DEFAULT '',
            by_member BIGINT,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (community, member_id)
        )"""
    )
    await tx.execute(
        """CREATE TABLE core_plugin_switches (
            community TEXT NOT NULL,
            plugin TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            changed_by BIGINT,
            changed_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (community, plugin)
        )"""
    )


@migrations.step(5, "permission rules, custom roles, their holders and platform role maps")
async def _permission_rules(tx: Tx) -> None:
    await tx.execute(
        """CREATE TABLE core_perm_rules (
            community TEXT NOT NULL,
            permission TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            allow INTEGER NOT NULL,
            PRIMARY KEY (community, permission, kind, subject)
        )"""
    )
    await tx.execute(
        """CREATE TABLE core_roles (
            community TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (community, name)
        )"""
    )
    await tx.execute(
        """CREATE TABLE core_role_holders (
            community TEXT NOT NULL,
            role TEXT NOT NULL,
            member_id BIGINT NOT NULL,
            PRIMARY KEY (community, role, member_id)
        )"""
    )
    await tx.execute(
        """CREATE TABLE core_role_maps (
            community TEXT NOT NULL,
            role TEXT NOT NULL,
            platform_role TEXT NOT NULL,
            PRIMARY KEY (community, role, platform_role)
        )"""
    )


@migrations.step(6, "membership: accounts that left a community's rooms; upgraded rooms' successors")
async def _membership_and_room_moves(tx: Tx) -> None:
    await tx.execute("ALTER TABLE core_identities ADD COLUMN left_at DOUBLE PRECISION")
    await tx.execute("ALTER TABLE core_identities ADD COLUMN left_reason TEXT")
    await tx.execute(
        """CREATE TABLE core_room_moves (
            platform TEXT NOT NULL,
            old_room TEXT NOT NULL,
            new_room TEXT NOT NULL,
            moved_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (platform, old_room)
        )"""
    )


@migrations.step(7, "job leases: each scheduled job runs in one process at a time")
async def _job_leases(tx: Tx) -> None:
    await tx.execute(
        """CREATE TABLE core_job_leases (
            job TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            last_run_at DOUBLE PRECISION
        )"""
    )
