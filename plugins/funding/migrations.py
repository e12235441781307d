"""The funding_ tables: known ideas, rounds (settlement outbox), pledges (movement intents)."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("funding")


@migrations.step(1, "ideas mirror, rounds, pledges, backers")
async def _initial(tx: Tx) -> None:
    pk = serial_pk(tx.dialect)
    # What the ideas plugin told us through its events (we never read its tables): enough to
    # find an idea by number, check its status and know its authors.
    await tx.execute(
        "CREATE TABLE funding_ideas ("
        " community TEXT NOT NULL,"
        " idea_id BIGINT NOT NULL,"
        " number INTEGER NOT NULL,"
        " title TEXT NOT NULL,"
        " status TEXT NOT NULL,"
        " author_id BIGINT NOT NULL,"
        " coauthor_ids TEXT NOT NULL DEFAULT '',"  # comma-separated member ids
        " anonymous INTEGER NOT NULL DEFAULT 0,"
        " updated_at DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (community, idea_id))"
    )
    await tx.execute("CREATE INDEX funding_ideas_number ON funding_ideas (community, number)")
    # A round is its own settlement outbox: `state` open → settling (claimed once by an
    # UPDATE … WHERE state = 'open') → final; `outcome` is decided inside settling, `notified`
    # says the after-settlement event went out.
    await tx.execute(
        f"CREATE TABLE funding_rounds ("
        f" id {pk},"
        " community TEXT NOT NULL,"
        " idea_id BIGINT NOT NULL,"
        " idea_number INTEGER NOT NULL,"
        " title TEXT NOT NULL,"
        " anonymous INTEGER NOT NULL DEFAULT 0,"  # the wallet is an anonymous author's: hide it
        " goal BIGINT NOT NULL CHECK (goal > 0),"
        " cap BIGINT NOT NULL DEFAULT 0 CHECK (cap >= 0),"
        " tiers TEXT NOT NULL DEFAULT '[]',"  # JSON [[amount, title], …], ascending
        " stretch TEXT NOT NULL DEFAULT '[]',"
        " wallet TEXT NOT NULL,"
        " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'settling', "
        "'succeeded', 'failed', 'cancelled', 'merged')),"
        " settle_kind TEXT,"  # why it is settling: deadline, close, merge, cancel
        " merge_idea BIGINT,"  # settle_kind = merge: the target idea
        " merged_into BIGINT,"  # outcome merged: the target round
        " outcome TEXT,"  # decided: succeeded, failed, cancelled, merged
        " raised BIGINT NOT NULL DEFAULT 0,"  # confirmed pledges when decided
        " backers INTEGER NOT NULL DEFAULT 0,"  # members with a confirmed pledge when decided
        " opened_by BIGINT,"
        " opened_at DOUBLE PRECISION NOT NULL,"
        " deadline DOUBLE PRECISION NOT NULL,"
        " settled_at DOUBLE PRECISION,"
        " room_platform TEXT NOT NULL DEFAULT '',"
        " room_id TEXT NOT NULL DEFAULT '',"
        " room_name TEXT NOT NULL DEFAULT '',"
        " room_guild TEXT NOT NULL DEFAULT '',"
        " notified INTEGER NOT NULL DEFAULT 0,"
        " notify_claimed_at DOUBLE PRECISION,"
        " updated_at DOUBLE PRECISION NOT NULL)"
    )
    # One round in progress per idea, even under concurrent `!fund open`.
    await tx.execute(
        "CREATE UNIQUE INDEX funding_rounds_active ON funding_rounds (community, idea_id) "
        "WHERE state IN ('open', 'settling')"
    )
    await tx.execute("CREATE INDEX funding_rounds_state ON funding_rounds (state, deadline)")
    # A pledge row is the intent of one ledger movement into the round's escrow: written
    # `pending` before asking the tips plugin to move the tokens (idempotent on reason + ref),
    # then `confirmed`. Leaving the escrow goes through `refunding` → `refunded`, `moving` →
    # `moved` (merge) or `released` (the round succeeded). A sweep re-drives what a crash left.
    await tx.execute(
        f"CREATE TABLE funding_pledges ("
        f" id {pk},"
        " round_id BIGINT NOT NULL REFERENCES funding_rounds (id),"
        " community TEXT NOT NULL,"
        " member_id BIGINT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " amount BIGINT NOT NULL CHECK (amount > 0),"
        " state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'refunding', "
        "'refunded', 'released', 'moving', 'moved')),"
        " src TEXT NOT NULL,"  # where the tokens come from: member:<id>, or a merged escrow
        " reason TEXT NOT NULL,"  # ledger reason of the movement in: pledge, pledge_move
        " ref TEXT NOT NULL UNIQUE,"  # ledger ref of the movement in
        " moved_from BIGINT,"  # the merged round's pledge this one continues
        " created_at DOUBLE PRECISION NOT NULL,"
        " updated_at DOUBLE PRECISION NOT NULL)"
    )
    await tx.execute("CREATE INDEX funding_pledges_round ON funding_pledges (round_id, state)")
    await tx.execute(
        "CREATE INDEX funding_pledges_member ON funding_pledges (community, member_id)")
    await tx.execute("CREATE INDEX funding_pledges_state ON funding_pledges (state, updated_at)")
    # Who funded a successful round, and the tier they reached (written when it settles).
    await tx.execute(
        "CREATE TABLE funding_backers ("
        " round_id BIGINT NOT NULL REFERENCES funding_rounds (id),"
        " community TEXT NOT NULL,"
        " member_id BIGINT NOT NULL,"
        " amount BIGINT NOT NULL CHECK (amount > 0),"
        " tier TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (round_id, member_id))"
    )


@migrations.step(2, "the run that claimed a round's event, released when that run is gone")
async def _notify_owner(tx: Tx) -> None:
    await tx.execute("ALTER TABLE funding_rounds ADD COLUMN notify_owner TEXT")


@migrations.step(3, "updates the wallet's owner sends a round's backers")
async def _updates(tx: Tx) -> None:
    # One row per `!fund update`, written with its announcements (the room's and each
    # backer's private one) in the core outbox: every backer gets it once.
    await tx.execute(
        f"CREATE TABLE funding_updates (id {serial_pk(tx.dialect)},"
        " round_id BIGINT NOT NULL REFERENCES funding_rounds (id),"
        " community TEXT NOT NULL, author_id BIGINT NOT NULL, text TEXT NOT NULL,"
        " backers INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL)")
    await tx.execute("CREATE INDEX funding_updates_round ON funding_updates (round_id)")
