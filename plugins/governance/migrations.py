"""The governance plugin's tables: proposals, and when members were last active (quorums)."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("governance")


@migrations.step(1, "proposals and member activity")
async def _create(tx: Tx) -> None:
    # `open_target` is the target while the proposal is undecided and NULL after: the unique
    # key allows one undecided proposal per setting (or beneficiary) and community.
    await tx.execute(
        f"CREATE TABLE governance_proposals (id {serial_pk(tx.dialect)},"
        " community TEXT NOT NULL, number INTEGER NOT NULL, kind TEXT NOT NULL,"
        " target TEXT NOT NULL, open_target TEXT, value TEXT NOT NULL,"
        " reason TEXT NOT NULL DEFAULT '', proposer_id BIGINT, status TEXT NOT NULL,"
        " quorum INTEGER NOT NULL DEFAULT 0, majority TEXT NOT NULL DEFAULT 'simple',"
        " room_platform TEXT NOT NULL DEFAULT '', room_id TEXT NOT NULL DEFAULT '',"
        " room_name TEXT NOT NULL DEFAULT '', room_guild TEXT NOT NULL DEFAULT '',"
        " poll_id BIGINT, poll_number INTEGER,"
        " prior TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '',"
        " created_at DOUBLE PRECISION NOT NULL, closes_at DOUBLE PRECISION,"
        " closed_at DOUBLE PRECISION,"
        " UNIQUE (community, number), UNIQUE (community, open_target))")
    await tx.execute("CREATE INDEX governance_proposals_poll ON governance_proposals (poll_id)")
    await tx.execute(
        "CREATE INDEX governance_proposals_status ON governance_proposals (status, closes_at)")
    await tx.execute(
        "CREATE TABLE governance_activity (community TEXT NOT NULL, member_id BIGINT NOT NULL,"
        " last_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (community, member_id))")
