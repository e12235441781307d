"""Pulse's own tables: what it learned from events, and which digests it already posted."""

from __future__ import annotations

from bot.api import Migrations, Tx, serial_pk

migrations = Migrations("pulse")


@migrations.step(1, "activity records and digest periods")
async def _create(tx: Tx) -> None:
    # One row per public fact pulse saw (idea, poll, tip, reward, ledger movement), keyed so
    # a redelivered event changes nothing. Members appear only where chat shows them.
    await tx.execute(
        f"CREATE TABLE pulse_events (id {serial_pk(tx.dialect)}, community TEXT NOT NULL,"
        " kind TEXT NOT NULL, key TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,"
        " actor BIGINT, target BIGINT, amount BIGINT, number INTEGER,"
        " title TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',"
        " UNIQUE (community, kind, key))")
    # One index besides the key: every read is a recent window of one community (a second
    # index on kind would slow the tip hot path's inserts more than it speeds those reads).
    await tx.execute("CREATE INDEX pulse_events_recent ON pulse_events (community, at)")
    await tx.execute(
        "CREATE TABLE pulse_digests (community TEXT NOT NULL, period TEXT NOT NULL,"
        " posted BOOLEAN NOT NULL, at DOUBLE PRECISION NOT NULL,"
        " PRIMARY KEY (community, period))")


@migrations.step(2, "personal dashboard links")
async def _links(tx: Tx) -> None:
    # `!dashboard`: the key signing personal links (one row, random, made on first use) and
    # each member's link generation; `!dashboard revoke` bumps it, voiding older links.
    await tx.execute("CREATE TABLE pulse_link_secret (id INTEGER PRIMARY KEY, secret TEXT NOT NULL)")
    await tx.execute(
        "CREATE TABLE pulse_links (community TEXT NOT NULL, member_id BIGINT NOT NULL,"
        " generation INTEGER NOT NULL, PRIMARY KEY (community, member_id))")


@migrations.step(3, "personal digests")
async def _personal(tx: Tx) -> None:
    # `!digest me daily|weekly`: one row per member who asked; `baseline` is a fingerprint of
    # what `!me` showed them when they asked, so the first digest waits for a change.
    await tx.execute(
        "CREATE TABLE pulse_member_digests (community TEXT NOT NULL, member_id BIGINT NOT NULL,"
        " period TEXT NOT NULL, since DOUBLE PRECISION NOT NULL, baseline TEXT NOT NULL,"
        " PRIMARY KEY (community, member_id))")
    # One row per member and period key (`daily:2026-12-07`), claimed with the message in the
    # outbox in one transaction: never built twice, even across restarts.
    await tx.execute(
        "CREATE TABLE pulse_member_sent (community TEXT NOT NULL, member_id BIGINT NOT NULL,"
        " period TEXT NOT NULL, fingerprint TEXT NOT NULL, sent BOOLEAN NOT NULL,"
        " at DOUBLE PRECISION NOT NULL, PRIMARY KEY (community, member_id, period))")
