"""The votes_ tables: polls (deadline, secret, outbox flags), ballots, quadratic token charges."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("votes")


@migrations.step(1, "polls, ballots and charges")
async def _initial(tx: Tx) -> None:
    await tx.execute(
        f"CREATE TABLE votes_polls ("
        f" id {serial_pk(tx.dialect)},"
        " community TEXT NOT NULL,"
        " number INTEGER NOT NULL,"
        " question TEXT NOT NULL,"
        " options TEXT NOT NULL,"  # JSON array of option texts
        " method TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),"
        " subject TEXT NOT NULL DEFAULT '',"
        " creator_id BIGINT,"
        " created_at DOUBLE PRECISION NOT NULL,"
        " closes_at DOUBLE PRECISION,"
        " closed_at DOUBLE PRECISION,"
        " anonymous INTEGER NOT NULL DEFAULT 0,"
        " hidden INTEGER NOT NULL DEFAULT 0,"
        " quorum INTEGER NOT NULL DEFAULT 0 CHECK (quorum >= 0),"
        " max_choices INTEGER,"
        " score_max INTEGER NOT NULL DEFAULT 0,"
        " credits INTEGER NOT NULL DEFAULT 0,"
        " currency TEXT NOT NULL DEFAULT '',"
        " room_platform TEXT NOT NULL DEFAULT '',"
        " room_id TEXT NOT NULL DEFAULT '',"
        " room_name TEXT NOT NULL DEFAULT '',"
        " room_guild TEXT NOT NULL DEFAULT '',"
        " msg_platform TEXT,"
        " msg_room TEXT,"
        " msg_id TEXT,"
        " secret TEXT,"  # anonymous polls only; set to NULL when the poll ends
        " revision INTEGER NOT NULL DEFAULT 0,"  # bumped by every ballot
        " shown_revision INTEGER NOT NULL DEFAULT 0,"  # the revision the tally message shows
        " result TEXT,"  # JSON PollResult, frozen at close
        " notified INTEGER NOT NULL DEFAULT 0,"  # outbox: close/cancel effects done
        " notify_claimed_at DOUBLE PRECISION,"
        " shown INTEGER NOT NULL DEFAULT 0,"  # outbox: final edit and result message done
        " UNIQUE (community, number))"
    )
    await tx.execute("CREATE INDEX votes_polls_due ON votes_polls (status, closes_at)")
    await tx.execute("CREATE INDEX votes_polls_message ON votes_polls (msg_id, msg_room)")
    # Secret ballots: no rowid (insertion order would hint at who voted when), voter = HMAC.
    without_rowid = " WITHOUT ROWID" if tx.dialect == "sqlite" else ""
    await tx.execute(
        "CREATE TABLE votes_ballots ("
        " poll_id BIGINT NOT NULL REFERENCES votes_polls (id),"
        " voter TEXT NOT NULL,"  # 'm:<member id>', or HMAC(member id, poll secret) if secret
        " member_id BIGINT,"  # NULL for secret ballots
        " choice TEXT NOT NULL,"  # JSON: option indices, or [option, value] pairs
        " weight INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 0),"
        " source TEXT NOT NULL DEFAULT 'command',"  # command | reaction
        " cast_at DOUBLE PRECISION,"  # NULL for secret ballots
        f" PRIMARY KEY (poll_id, voter)){without_rowid}"
    )
    await tx.execute("CREATE INDEX votes_ballots_member ON votes_ballots (member_id)")
    await tx.execute(
        "CREATE TABLE votes_charges ("
        " ref TEXT PRIMARY KEY,"  # the (reason, ref) key given to the tips plugin
        " poll_id BIGINT NOT NULL REFERENCES votes_polls (id),"
        " member_id BIGINT NOT NULL,"
        " amount BIGINT NOT NULL,"  # > 0 charged to the member, < 0 refunded to them
        " state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'void')),"
        " created_at DOUBLE PRECISION NOT NULL)"
    )
    await tx.execute("CREATE INDEX votes_charges_poll ON votes_charges (poll_id, member_id)")


@migrations.step(2, "the run that claimed an ended poll's events, released when that run is gone")
async def _notify_owner(tx: Tx) -> None:
    await tx.execute("ALTER TABLE votes_polls ADD COLUMN notify_owner TEXT")
