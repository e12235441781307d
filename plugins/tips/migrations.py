"""The tips plugin's tables: accounts, the append-only ledger, per-member counters, activity."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("tips")

_PG_APPEND_ONLY = """
CREATE FUNCTION tips_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tips_entries is append-only';
END;
$$ LANGUAGE plpgsql
"""


@migrations.step(1, "accounts, ledger entries, member counters, activity, sweeps")
async def _initial(tx: Tx) -> None:
    pk = serial_pk(tx.dialect)
    # One row per account that ever held tokens; rows are never deleted. `mint` and `burn` are
    # not rows: an entry from `mint` issues tokens, an entry to `burn` destroys them, so
    # sum(balance) = minted - burned. `overdraft` = 1 lets an account go below zero (mutual
    # credit); no other can. A member account also carries what a tip updates besides its
    # balance, so a whole tip is one entry insert plus one UPDATE of two rows: the giver's
    # daily total and last tip time (cap, cooldown), the receiver's tips this week and month.
    await tx.execute(
        """CREATE TABLE tips_accounts (
            community TEXT NOT NULL,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            member_id BIGINT,
            balance BIGINT NOT NULL DEFAULT 0,
            overdraft INTEGER NOT NULL DEFAULT 0,
            demurrage_at DOUBLE PRECISION,
            day TEXT NOT NULL DEFAULT '',
            given_day BIGINT NOT NULL DEFAULT 0,
            last_tip_at DOUBLE PRECISION NOT NULL DEFAULT 0,
            week TEXT NOT NULL DEFAULT '',
            week_received BIGINT NOT NULL DEFAULT 0,
            month TEXT NOT NULL DEFAULT '',
            month_received BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (community, account),
            CHECK (balance >= 0 OR overdraft = 1)
        )"""
    )
    await tx.execute(
        "CREATE INDEX tips_accounts_rank ON tips_accounts (community, kind, balance)"
    )
    await tx.execute(
        "CREATE INDEX tips_accounts_week ON tips_accounts (community, week, week_received)"
    )
    await tx.execute(
        "CREATE INDEX tips_accounts_month ON tips_accounts (community, month, month_received)"
    )
    # Entries are never deleted (triggers below), so SQLite's rowid is never reused and the
    # AUTOINCREMENT bookkeeping (a sqlite_sequence write per insert) buys nothing.
    entry_pk = "INTEGER PRIMARY KEY" if tx.dialect == "sqlite" else pk
    await tx.execute(
        f"""CREATE TABLE tips_entries (
            id {entry_pk},
            community TEXT NOT NULL,
            src TEXT NOT NULL,
            dst TEXT NOT NULL,
            amount BIGINT NOT NULL CHECK (amount > 0),
            reason TEXT NOT NULL,
            ref TEXT,
            memo TEXT NOT NULL DEFAULT '',
            link TEXT NOT NULL DEFAULT '',
            at DOUBLE PRECISION NOT NULL,
            CHECK (src <> dst)
        )"""
    )
    # UNIQUE (community, reason, ref): what makes every reward idempotent. Partial, because a
    # NULL ref (a plain tip) never conflicts anyway and need not cost an index write.
    await tx.execute(
        "CREATE UNIQUE INDEX tips_entries_reason_ref ON tips_entries (community, reason, ref) "
        "WHERE ref IS NOT NULL"
    )
    # History: one indexed query per side (member ids are per community, so no prefix needed).
    await tx.execute("CREATE INDEX tips_entries_src ON tips_entries (src, id)")
    await tx.execute("CREATE INDEX tips_entries_dst ON tips_entries (dst, id)")
    await tx.execute("CREATE INDEX tips_entries_at ON tips_entries (at)")
    if tx.dialect == "postgresql":
        await tx.execute(_PG_APPEND_ONLY)
        await tx.execute(
            "CREATE TRIGGER tips_entries_append_only BEFORE UPDATE OR DELETE ON tips_entries "
            "FOR EACH ROW EXECUTE FUNCTION tips_entries_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            await tx.execute(
                f"CREATE TRIGGER tips_entries_no_{event.lower()} BEFORE {event} ON tips_entries "
                "BEGIN SELECT RAISE(ABORT, 'tips_entries is append-only'); END"
            )
    # Per member and community: presence (allowance eligibility) and sweep progress.
    await tx.execute(
        """CREATE TABLE tips_members (
            community TEXT NOT NULL,
            member_id BIGINT NOT NULL,
            first_seen DOUBLE PRECISION NOT NULL,
            last_seen DOUBLE PRECISION NOT NULL DEFAULT 0,
            allowance_at DOUBLE PRECISION,
            budget_at DOUBLE PRECISION,
            PRIMARY KEY (community, member_id)
        )"""
    )
    await tx.execute("CREATE INDEX tips_members_seen ON tips_members (community, last_seen)")
    # What the activity reward counts (ideas, supports, ballots, comments), once per event.
    await tx.execute(
        """CREATE TABLE tips_activity (
            community TEXT NOT NULL,
            member_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL,
            UNIQUE (community, kind, ref)
        )"""
    )
    await tx.execute("CREATE INDEX tips_activity_at ON tips_activity (community, at)")
    # Community-wide sweep progress (the activity reward's last rewarded period).
    await tx.execute(
        """CREATE TABLE tips_sweeps (
            community TEXT NOT NULL,
            job TEXT NOT NULL,
            last_start DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (community, job)
        )"""
    )
