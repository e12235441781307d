"""Property: concurrent guarded transfers conserve money and match a sequential replay."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.storage import Database, IntegrityError, Tx, open_database, serial_pk


class Insufficient(Exception):
    """The guarded debit matched no row."""


Transfer = tuple[int, int, int, int]  # src, dst, amount, ref


async def setup(db: Database, balances: list[int]) -> None:
    await db.execute(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0))"
    )
    await db.execute(
        f"CREATE TABLE transfers (id {serial_pk(db.dialect)}, src INTEGER NOT NULL,"
        " dst INTEGER NOT NULL, amount BIGINT NOT NULL, reason TEXT NOT NULL, ref TEXT NOT NULL,"
        " UNIQUE (reason, ref))"
    )
    await db.executemany(
        "INSERT INTO accounts (id, balance) VALUES ($1, $2)", list(enumerate(balances))
    )


def transfer_op(src: int, dst: int, amount: int, ref: int):  # type: ignore[no-untyped-def]
    async def op(tx: Tx) -> int:
        # touch rows in id order, so that PostgreSQL's row locks cannot deadlock
        for account in sorted({src, dst}):
            if account == src:
                debited = await tx.execute(
                    "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
                    amount,
                    src,
                )
                if debited != 1:
                    raise Insufficient
            if account == dst:
                await tx.execute(
                    "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, dst
                )
        return int(
            await tx.fetchval(
                "INSERT INTO transfers (src, dst, amount, reason, ref)"
                " VALUES ($1, $2, $3, 'tip', $4) RETURNING id",
                src,
                dst,
                amount,
                str(ref),
            )
        )

    return op


async def scenario(
    url: str,
    balances: list[int],
    transfers: list[Transfer],
    reset: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    if reset is not None:
        await reset(url)
    db = await open_database(url)
    try:
        await setup(db, balances)
        outcomes = await asyncio.gather(
            *(db.atomic(transfer_op(*t)) for t in transfers), return_exceptions=True
        )
        final = {r["id"]: r["balance"] for r in await db.fetch("SELECT id, balance FROM accounts")}
        stored = await db.fetch("SELECT id, src, dst, amount, ref FROM transfers ORDER BY id")
    finally:
        await db.close()

    accepted: dict[int, Transfer] = {}
    for t, outcome in zip(transfers, outcomes, strict=True):
        if isinstance(outcome, int):
            accepted[outcome] = t
        else:
            assert isinstance(outcome, Insufficient | IntegrityError), repr(outcome)
    # the ledger holds exactly the accepted transfers, one per ref
    assert [(r["src"], r["dst"], r["amount"], int(r["ref"])) for r in stored] == [
        accepted[r["id"]] for r in stored
    ]
    assert len(stored) == len(accepted)
    refs = [t[3] for t in accepted.values()]
    assert len(refs) == len(set(refs))
    for t, outcome in zip(transfers, outcomes, strict=True):
        if isinstance(outcome, IntegrityError):
            assert t[3] in refs  # refused only because that ref was already paid
    # replaying accepted transfers in commit (id) order never overdraws and gives the same state
    model = dict(enumerate(balances))
    for _, (src, dst, amount, _ref) in sorted(accepted.items()):
        assert model[src] >= amount
        model[src] -= amount
        model[dst] += amount
    assert final == model
    assert sum(final.values()) == sum(balances)
    assert min(final.values()) >= 0


transfer_lists = st.integers(2, 5).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 50), min_size=n, max_size=n),
        st.lists(
            st.tuples(
                st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 30), st.integers(0, 12)
            ),
            max_size=40,
        ),
    )
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=transfer_lists)
def test_concurrent_transfers_match_sequential_model(
    backend: str, request: pytest.FixtureRequest, case: tuple[list[int], list[Transfer]]
) -> None:
    balances, transfers = case
    if backend == "postgresql":
        url = str(request.getfixturevalue("pg_url"))
        asyncio.run(scenario(url, balances, transfers, request.getfixturevalue("pg_reset")))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(scenario(f"sqlite:///{tmp}/ledger.sqlite3", balances, transfers))
