"""The budget_ tables: budgets (their own close outbox), their ideas, and members' support."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("budget")


@migrations.step(1, "budgets, budget ideas, support")
async def _initial(tx: Tx) -> None:
    pk = serial_pk(tx.dialect)
    # state: open → closing (claimed once by an UPDATE … WHERE state = 'open', in the same op
    # that freezes the ranking) → closed (every funded idea paid, announcement recorded).
    await tx.execute(
        f"CREATE TABLE budget_rounds ("
        f" id {pk},"
        " community TEXT NOT NULL,"
        " total BIGINT NOT NULL CHECK (total > 0),"
        " available BIGINT,"  # what the close could spend: min(total, treasury) at close
        " spent BIGINT NOT NULL DEFAULT 0,"
        " method TEXT NOT NULL CHECK (method IN ('approval', 'points')),"
        " points INTEGER NOT NULL DEFAULT 0,"
        " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closing', 'closed')),"
        " close_kind TEXT,"  # deadline or close
        " opened_by BIGINT,"
        " opened_at DOUBLE PRECISION NOT NULL,"
        " deadline DOUBLE PRECISION NOT NULL,"
        " closed_at DOUBLE PRECISION,"
        " room_platform TEXT NOT NULL DEFAULT '',"
        " room_id TEXT NOT NULL DEFAULT '',"
        " room_name TEXT NOT NULL DEFAULT '',"
        " room_guild TEXT NOT NULL DEFAULT '')"
    )
    # One budget in progress per community, even under concurrent `!budget open`.
    await tx.execute(
        "CREATE UNIQUE INDEX budget_rounds_active ON budget_rounds (community) "
        "WHERE state IN ('open', 'closing')")
    await tx.execute("CREATE INDEX budget_rounds_state ON budget_rounds (state, deadline)")
    # The ideas a budget was opened over, as the ideas plugin reported them then; `rank` and
    # `funded` are frozen at close, `paid` says the treasury payment is in the ledger.
    await tx.execute(
        "CREATE TABLE budget_ideas ("
        " round_id BIGINT NOT NULL REFERENCES budget_rounds (id),"
        " idea_id BIGINT NOT NULL,"
        " number INTEGER NOT NULL,"
        " title TEXT NOT NULL,"
        " cost BIGINT NOT NULL CHECK (cost > 0),"
        " author_id BIGINT NOT NULL,"
        " anonymous INTEGER NOT NULL DEFAULT 0,"
        " support BIGINT,"  # frozen at close
        " rank INTEGER,"
        " funded INTEGER,"  # 1 funded, 0 not (see `reason`)
        " reason TEXT,"  # funded, no_fit, no_support
        " paid INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (round_id, idea_id))"
    )
    await tx.execute("CREATE UNIQUE INDEX budget_ideas_number ON budget_ideas (round_id, number)")
    # A member's support: one row per idea (approval: points = 1).
    await tx.execute(
        "CREATE TABLE budget_support ("
        " round_id BIGINT NOT NULL REFERENCES budget_rounds (id),"
        " member_id BIGINT NOT NULL,"
        " idea_id BIGINT NOT NULL,"
        " points INTEGER NOT NULL CHECK (points > 0),"
        " PRIMARY KEY (round_id, member_id, idea_id))"
    )


@migrations.step(2, "the funding round a funded idea's money went to")
async def _paid_round(tx: Tx) -> None:
    # NULL: paid to the idea's author (no open funding round when it was paid).
    await tx.execute("ALTER TABLE budget_ideas ADD COLUMN paid_round BIGINT")
