"""SQL of the tips plugin, and nothing else: every statement lives here, written once for both
SQLite and PostgreSQL (`$n` placeholders). `q` is a `Tx` inside an atomic op or the `Database`.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.api import Row
from plugins.tips.models import LedgerEntry


class Queryable(Protocol):
    """What both `Tx` and `Database` offer; reads take either."""

    async def execute(self, sql: str, *args: Any) -> int: ...
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


ENTRY_COLUMNS = "id, community, src, dst, amount, reason, ref, memo, link, at"


def entry_of(row: Row) -> LedgerEntry:
    """A ledger row as the frozen payload other plugins see."""
    return LedgerEntry(
        id=int(row["id"]), community=row["community"], src=row["src"], dst=row["dst"],
        amount=int(row["amount"]), reason=row["reason"], ref=row["ref"], memo=row["memo"],
        link=row["link"], at=float(row["at"]),
    )


# --- ledger writes (inside atomic ops) -------------------------------------------------------

async def insert_entry(q: Queryable, community: str, src: str, dst: str, amount: int,
                       reason: str, ref: str | None, memo: str, link: str,
                       at: float) -> int | None:
    """Append one entry; None when (community, reason, ref) is already in the ledger."""
    value = await q.fetchval(
        "INSERT INTO tips_entries (community, src, dst, amount, reason, ref, memo, link, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id",
        community, src, dst, amount, reason, ref, memo, link, at,
    )
    return None if value is None else int(value)


async def debit_guarded(q: Queryable, community: str, account: str, amount: int, floor: int,
                        overdraft: bool) -> bool:
    """Take `amount` only if the balance stays ≥ floor: the guard is the statement itself."""
    sql = (
        "UPDATE tips_accounts SET balance = balance - $1, overdraft = 1 "
        "WHERE community = $2 AND account = $3 AND balance - $1 >= $4"
        if overdraft else
        "UPDATE tips_accounts SET balance = balance - $1 "
        "WHERE community = $2 AND account = $3 AND balance - $1 >= $4"
    )
    return await q.execute(sql, amount, community, account, floor) == 1


async def move_balances(q: Queryable, community: str, src: str, dst: str, amount: int,
                        floor: int, overdraft: bool) -> int:
    """Debit `src` (guarded: the balance stays ≥ `floor`) and credit `dst` in one statement;
    returns the rows changed: 2 is done, fewer means a missing row or a refused debit."""
    sql = (
        "UPDATE tips_accounts SET balance = balance + CASE WHEN account = $3 THEN -$1 ELSE $1 "
        "END, overdraft = CASE WHEN account = $3 THEN 1 ELSE overdraft END "
        "WHERE community = $2 AND account IN ($3, $4) AND (account <> $3 OR balance - $1 >= $5)"
        if overdraft else
        "UPDATE tips_accounts SET balance = balance + CASE WHEN account = $3 THEN -$1 ELSE $1 "
        "END WHERE community = $2 AND account IN ($3, $4) "
        "AND (account <> $3 OR balance - $1 >= $5)"
    )
    return await q.execute(sql, amount, community, src, dst, floor)


async def open_accounts(q: Queryable, community: str,
                        accounts: list[tuple[str, str, int | None]]) -> None:
    """Create empty accounts that do not exist yet ((account, kind, member id), in order)."""
    marks = ", ".join(f"($1, ${3 * i + 2}, ${3 * i + 3}, ${3 * i + 4}, 0)"
                      for i in range(len(accounts)))
    await q.execute(
        "INSERT INTO tips_accounts (community, account, kind, member_id, balance) "
        f"VALUES {marks} ON CONFLICT DO NOTHING",
        community, *[v for row in accounts for v in row],
    )


async def debit_unlimited(q: Queryable, community: str, account: str, amount: int) -> bool:
    """Take `amount` with no floor (the mutual-credit treasury); False if the row is missing."""
    return await q.execute(
        "UPDATE tips_accounts SET balance = balance - $1, overdraft = 1 "
        "WHERE community = $2 AND account = $3",
        amount, community, account,
    ) == 1


async def open_overdrawn(q: Queryable, community: str, account: str, kind: str,
                         member_id: int | None, balance: int) -> bool:
    """Create an account that starts below zero (first debit in mutual credit)."""
    return await q.execute(
        "INSERT INTO tips_accounts (community, account, kind, member_id, balance, overdraft) "
        "VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT DO NOTHING",
        community, account, kind, member_id, balance,
    ) == 1


async def credit(q: Queryable, community: str, account: str, kind: str, member_id: int | None,
                 amount: int) -> None:
    """Add `amount`, creating the account on its first credit."""
    await q.execute(
        "INSERT INTO tips_accounts (community, account, kind, member_id, balance) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community, account) "
        "DO UPDATE SET balance = tips_accounts.balance + excluded.balance",
        community, account, kind, member_id, amount,
    )


async def balance(q: Queryable, community: str, account: str) -> int | None:
    """An account's balance, or None if it never held anything."""
    value = await q.fetchval(
        "SELECT balance FROM tips_accounts WHERE community = $1 AND account = $2",
        community, account,
    )
    return None if value is None else int(value)


async def find_entry(q: Queryable, community: str, reason: str, ref: str) -> LedgerEntry | None:
    """The entry an idempotent movement already wrote."""
    row = await q.fetchrow(
        f"SELECT {ENTRY_COLUMNS} FROM tips_entries "
        "WHERE community = $1 AND reason = $2 AND ref = $3",
        community, reason, ref,
    )
    return None if row is None else entry_of(row)


async def entry_exists(q: Queryable, community: str, reason: str, ref: str) -> bool:
    return await q.fetchval(
        "SELECT 1 FROM tips_entries WHERE community = $1 AND reason = $2 AND ref = $3",
        community, reason, ref,
    ) is not None


# --- per-member counters ------------------------------------------------------------------

_TIP_UPDATE = (
    "UPDATE tips_accounts SET"
    " balance = balance + CASE WHEN account = $2 THEN -$5 ELSE $4 END,{overdraft}"
    # the giver's row: today's total and the last tip time (daily cap, cooldown)
    " given_day = CASE WHEN account <> $2 THEN given_day"
    "  WHEN day = $7 THEN given_day + $4 ELSE $4 END,"
    " day = CASE WHEN account = $2 THEN $7 ELSE day END,"
    " last_tip_at = CASE WHEN account = $2 THEN $10 ELSE last_tip_at END,"
    # the receiver's row: tips received this week and this month (period leaderboards)
    " week_received = CASE WHEN account <> $3 THEN week_received"
    "  WHEN week = $8 THEN week_received + $4 ELSE $4 END,"
    " week = CASE WHEN account = $3 THEN $8 ELSE week END,"
    " month_received = CASE WHEN account <> $3 THEN month_received"
    "  WHEN month = $9 THEN month_received + $4 ELSE $4 END,"
    " month = CASE WHEN account = $3 THEN $9 ELSE month END "
    # the guard, on the giver's row only: balance floor, daily cap (0 = none), cooldown
    "WHERE community = $1 AND account IN ($2, $3) AND (account <> $2 OR ("
    " balance - $5 >= $6"
    " AND (CAST($11 AS BIGINT) = 0"
    "  OR CASE WHEN day = $7 THEN given_day ELSE 0 END + $4 <= CAST($11 AS BIGINT))"
    " AND last_tip_at <= $12))"
)
_TIP_UPDATE_PLAIN = _TIP_UPDATE.format(overdraft="")
_TIP_UPDATE_OVERDRAFT = _TIP_UPDATE.format(
    overdraft=" overdraft = CASE WHEN account = $2 THEN 1 ELSE overdraft END,")


async def tip_balances(q: Queryable, community: str, giver: str, receiver: str, amount: int,
                       debit: int, floor: int, day: str, week: str, month: str, now: float,
                       cap: int, not_after: float) -> bool:
    """A tip's whole effect on both member rows in one guarded statement: take `debit` from
    the giver (0 when a giving budget paid), credit `amount`, count the giver's day and the
    receiver's week and month. False (nothing changed on the giver's row) when the balance
    would pass `floor`, today's total would pass `cap` (0 = none), or the giver tipped after
    `not_after` (cooldown); both rows must exist (`open_accounts`)."""
    sql = _TIP_UPDATE_OVERDRAFT if floor < 0 else _TIP_UPDATE_PLAIN
    return await q.execute(sql, community, giver, receiver, amount, debit, floor, day, week,
                           month, now, cap, not_after) == 2


async def giver_state(q: Queryable, community: str, account: str) -> Row | None:
    """What a refused tip is diagnosed from."""
    return await q.fetchrow(
        "SELECT balance, day, given_day, last_tip_at FROM tips_accounts "
        "WHERE community = $1 AND account = $2",
        community, account,
    )


async def presence(q: Queryable, community: str, member_id: int) -> Row | None:
    """When a member was last seen and the last allowance period paid to them."""
    return await q.fetchrow(
        "SELECT last_seen, allowance_at FROM tips_members WHERE community = $1 "
        "AND member_id = $2", community, member_id,
    )


async def mark_seen(q: Queryable, community: str, member_id: int, now: float,
                    inactive_before: float, owed_from: float) -> None:
    """A member showed up: allowance eligibility is "seen within active_window". One who was
    inactive (last seen before `inactive_before`) is owed allowances from `owed_from` on only,
    never for the absence, even if no sweep ran meanwhile."""
    await q.execute(
        "INSERT INTO tips_members (community, member_id, first_seen, last_seen, allowance_at) "
        "VALUES ($1, $2, $3, $3, $5) ON CONFLICT (community, member_id) DO UPDATE SET "
        "last_seen = excluded.last_seen, allowance_at = CASE WHEN tips_members.last_seen < $4 "
        " AND (tips_members.allowance_at IS NULL OR tips_members.allowance_at < $5) THEN $5 "
        " ELSE tips_members.allowance_at END "
        "WHERE tips_members.last_seen < excluded.last_seen",
        community, member_id, now, inactive_before, owed_from,
    )


async def record_activity(q: Queryable, community: str, member_id: int, kind: str, ref: str,
                          now: float) -> None:
    await q.execute(
        "INSERT INTO tips_activity (community, member_id, kind, ref, at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        community, member_id, kind, ref, now,
    )


# --- sweeps ----------------------------------------------------------------------------------

async def communities(q: Queryable) -> list[str]:
    """Every community the plugin has seen a member or an account in."""
    rows = await q.fetch(
        "SELECT community FROM tips_members UNION SELECT community FROM tips_accounts"
    )
    return sorted(r["community"] for r in rows)


def _in(communities: list[str], first: int) -> str:
    """`$first, $first+1, …`: an IN list of community placeholders."""
    return ", ".join(f"${first + i}" for i in range(len(communities)))


async def oldest_allowance(q: Queryable, communities: list[str], seen_since: float) -> float | None:
    """The earliest period paid to a member of these communities who may still be owed one."""
    value = await q.fetchval(
        "SELECT MIN(allowance_at) FROM tips_members "
        f"WHERE community IN ({_in(communities, 2)}) AND last_seen >= $1",
        seen_since, *communities,
    )
    return None if value is None else float(value)


async def insert_allowances(q: Queryable, communities: list[str], src: str, amount: int,
                            start: float, key: str, seen_since: float, new_members: bool,
                            now: float) -> list[Row]:
    """One set-based INSERT … SELECT: the allowance of period `start` (ref `key:member:<id>`)
    for every member of these communities paid before it (and, for the current period, never
    paid yet) and seen since `seen_since`. A ref already in the ledger is skipped (exactly
    once); returns the rows written (id, community, dst, ref)."""
    never = " OR allowance_at IS NULL" if new_members else ""
    return await q.fetch(
        "INSERT INTO tips_entries (community, src, dst, amount, reason, ref, memo, link, at) "
        "SELECT community, CAST($1 AS TEXT), 'member:' || CAST(member_id AS TEXT), "
        "CAST($2 AS BIGINT), 'allowance', CAST($3 AS TEXT) || CAST(member_id AS TEXT), '', '', "
        "CAST($4 AS DOUBLE PRECISION) FROM tips_members "
        f"WHERE community IN ({_in(communities, 7)}) AND last_seen >= $5 "
        f"AND (allowance_at < $6{never}) ORDER BY community, member_id "
        "ON CONFLICT DO NOTHING RETURNING id, community, dst, ref",
        src, amount, f"{key}:member:", now, seen_since, start, *communities,
    )


async def credit_many(q: Queryable, credits: list[tuple[str, str, int, int]]) -> None:
    """Add to many member accounts at once ((community, account, member id, amount), each
    account once, in account order so concurrent writers lock rows in one order)."""
    for i in range(0, len(credits), 1000):
        part = credits[i:i + 1000]
        marks = ", ".join(f"(${4 * j + 1}, ${4 * j + 2}, 'member', ${4 * j + 3}, ${4 * j + 4})"
                          for j in range(len(part)))
        await q.execute(
            "INSERT INTO tips_accounts (community, account, kind, member_id, balance) "
            f"VALUES {marks} ON CONFLICT (community, account) "
            "DO UPDATE SET balance = tips_accounts.balance + excluded.balance",
            *[v for row in part for v in row],
        )


async def mark_allowances(q: Queryable, communities: list[str], current: float,
                          previous: float, active_since: float, seen_since: float) -> None:
    """After a sweep: members owed something are done up to the current period if active,
    else the previous one; long-inactive members (seen before `seen_since`) are marked done up
    to the previous period, so one who comes back is paid from then on, never for the absence."""
    places = _in(communities, 5)
    await q.execute(
        "UPDATE tips_members SET allowance_at = CASE WHEN last_seen >= $1 THEN $2 ELSE $3 END "
        f"WHERE community IN ({places}) AND last_seen >= $4 AND (allowance_at IS NULL "
        " OR allowance_at < $3 OR (allowance_at < $2 AND last_seen >= $1))",
        active_since, current, previous, seen_since, *communities,
    )
    await q.execute(
        f"UPDATE tips_members SET allowance_at = $1 WHERE community IN ({_in(communities, 3)}) "
        "AND last_seen < $2 AND (allowance_at IS NULL OR allowance_at < $1)",
        previous, seen_since, *communities,
    )


async def budget_due(q: Queryable, community: str, current: float,
                     active_since: float) -> list[Row]:
    """Members whose giving budget is from an older period: to expire, and refill if active."""
    return await q.fetch(
        "SELECT m.member_id, m.last_seen, COALESCE(a.balance, 0) AS budget FROM tips_members m "
        "LEFT JOIN tips_accounts a ON a.community = m.community "
        " AND a.account = 'budget:' || CAST(m.member_id AS TEXT) "
        "WHERE m.community = $1 AND (m.budget_at IS NULL OR m.budget_at < $2) "
        "AND (m.last_seen >= $3 OR a.balance > 0) ORDER BY m.member_id",
        community, current, active_since,
    )


async def positive_budgets(q: Queryable) -> list[Row]:
    """Giving budgets still holding tokens, in every community (one query for all of them:
    what expires once the feature is off)."""
    return await q.fetch(
        "SELECT community, member_id, balance AS budget FROM tips_accounts "
        "WHERE kind = 'budget' AND balance > 0 ORDER BY community, member_id"
    )


async def set_budget_at(q: Queryable, community: str, member_id: int, start: float) -> None:
    await q.execute(
        "UPDATE tips_members SET budget_at = $1 WHERE community = $2 AND member_id = $3",
        start, community, member_id,
    )


async def demurrage_due(q: Queryable, community: str, current: float) -> list[Row]:
    """Positive member balances not yet charged for the current period."""
    return await q.fetch(
        "SELECT account, balance, demurrage_at FROM tips_accounts "
        "WHERE community = $1 AND kind = 'member' AND balance > 0 "
        "AND (demurrage_at IS NULL OR demurrage_at < $2) ORDER BY account",
        community, current,
    )


async def skip_demurrage(q: Queryable, community: str, current: float) -> None:
    """Accounts with nothing to melt are done for the current period too (so a later balance
    is never charged for periods it was not held)."""
    await q.execute(
        "UPDATE tips_accounts SET demurrage_at = $1 WHERE community = $2 AND kind = 'member' "
        "AND (demurrage_at IS NULL OR demurrage_at < $1)",
        current, community,
    )


async def set_demurrage_at(q: Queryable, community: str, account: str, start: float) -> None:
    await q.execute(
        "UPDATE tips_accounts SET demurrage_at = $1 WHERE community = $2 AND account = $3",
        start, community, account,
    )


async def sweep_state(q: Queryable, community: str, job: str) -> float | None:
    value = await q.fetchval(
        "SELECT last_start FROM tips_sweeps WHERE community = $1 AND job = $2", community, job
    )
    return None if value is None else float(value)


async def start_sweep_state(q: Queryable, community: str, job: str, start: float) -> None:
    """Record where a sweep starts, unless a racing sweep already did (its value wins)."""
    await q.execute(
        "INSERT INTO tips_sweeps (community, job, last_start) VALUES ($1, $2, $3) "
        "ON CONFLICT (community, job) DO NOTHING",
        community, job, start,
    )


async def claim_sweep_period(q: Queryable, community: str, job: str, start: float) -> bool:
    """Mark the period starting at `start` done; False if a racing sweep already did it."""
    changed = await q.execute(
        "UPDATE tips_sweeps SET last_start = $3 "
        "WHERE community = $1 AND job = $2 AND last_start < $3",
        community, job, start,
    )
    return changed == 1


async def first_activity(q: Queryable, community: str) -> float | None:
    """When the activity reward first had something to score in a community (None: never)."""
    value = await q.fetchval(
        "SELECT MIN(at) FROM ("
        "SELECT MIN(at) AS at FROM tips_activity WHERE community = $1 "
        "UNION ALL SELECT MIN(at) AS at FROM tips_entries "
        "WHERE community = $1 AND reason = 'tip') AS firsts",
        community,
    )
    return None if value is None else float(value)


async def activity_counts(q: Queryable, community: str, start: float,
                          end: float) -> list[Row]:
    """(member_id, kind, count) of everything the activity reward scores in [start, end)."""
    return await q.fetch(
        "SELECT member_id, kind, COUNT(*) AS n FROM tips_activity "
        "WHERE community = $1 AND at >= $2 AND at < $3 GROUP BY member_id, kind "
        "UNION ALL "
        "SELECT a.member_id, 'tip' AS kind, COUNT(*) AS n FROM tips_entries e "
        "JOIN tips_accounts a ON a.community = e.community AND a.account = e.src "
        "WHERE e.community = $1 AND e.at >= $2 AND e.at < $3 AND e.reason = 'tip' "
        "AND a.member_id IS NOT NULL GROUP BY a.member_id",
        community, start, end,
    )


# --- reads for commands -------------------------------------------------------------------

def _history_sql(accounts: int) -> str:
    """UNION ALL of one indexed query per (account, side): each reads at most `limit` rows."""
    parts = []
    for i in range(accounts):
        for side in ("src", "dst"):
            parts.append(
                f"SELECT * FROM (SELECT {ENTRY_COLUMNS} FROM tips_entries "
                f"WHERE community = $1 AND {side} = ${i + 3} ORDER BY id DESC LIMIT $2) "
                f"AS h{i}{side}"
            )
    return " UNION ALL ".join(parts) + " ORDER BY id DESC LIMIT $2"


async def history(q: Queryable, community: str, accounts: list[str],
                  limit: int) -> list[LedgerEntry]:
    """The latest entries touching any of `accounts`, newest first."""
    rows = await q.fetch(_history_sql(len(accounts)), community, limit, *accounts)
    seen: set[int] = set()
    out: list[LedgerEntry] = []
    for row in rows:
        if int(row["id"]) not in seen:  # an entry between two listed accounts comes twice
            seen.add(int(row["id"]))
            out.append(entry_of(row))
    return out[:limit]


async def top_balances(q: Queryable, community: str, limit: int) -> list[tuple[int, int]]:
    rows = await q.fetch(
        "SELECT member_id, balance FROM tips_accounts "
        "WHERE community = $1 AND kind = 'member' AND balance > 0 "
        "ORDER BY balance DESC LIMIT $2",
        community, limit,
    )
    return [(int(r["member_id"]), int(r["balance"])) for r in rows]


async def top_received(q: Queryable, community: str, column: str, key: str,
                       limit: int) -> list[tuple[int, int]]:
    """Most tipped members of a week or month (`column` is `week` or `month`)."""
    if column not in ("week", "month"):
        raise ValueError(column)
    rows = await q.fetch(
        f"SELECT member_id, {column}_received AS amount FROM tips_accounts "
        f"WHERE community = $1 AND {column} = $2 AND {column}_received > 0 "
        f"ORDER BY {column}_received DESC LIMIT $3",
        community, key, limit,
    )
    return [(int(r["member_id"]), int(r["amount"])) for r in rows]


async def totals(q: Queryable, community: str) -> dict[str, int]:
    """What `!treasury` shows: minted, burned, treasury and member holdings, account count."""
    row = await q.fetchrow(
        "SELECT "
        "(SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE community = $1"
        " AND src = 'mint') AS minted, "
        "(SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE community = $1"
        " AND dst = 'burn') AS burned, "
        "(SELECT COALESCE(SUM(balance), 0) FROM tips_accounts WHERE community = $1"
        " AND account = 'treasury') AS treasury, "
        "(SELECT COALESCE(SUM(balance), 0) FROM tips_accounts WHERE community = $1"
        " AND kind IN ('member', 'budget')) AS members, "
        "(SELECT COALESCE(SUM(balance), 0) FROM tips_accounts WHERE community = $1)"
        " AS total, "
        "(SELECT COUNT(*) FROM tips_accounts WHERE community = $1 AND kind = 'member')"
        " AS accounts",
        community,
    )
    assert row is not None
    return {k: int(row[k]) for k in ("minted", "burned", "treasury", "members", "total",
                                     "accounts")}


async def rewards_for(q: Queryable, community: str, subject: str) -> int:
    """Total paid for an idea (`idea:42`): its claim ref and the `idea:42:…` shares, found on
    the (community, reason, ref) index — a range, since ':' sorts after the digits."""
    value = await q.fetchval(
        "SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE community = $1 "
        "AND reason IN ('idea_accepted', 'idea_implemented', 'idea_funded') "
        "AND (ref = $2 OR (ref >= $3 AND ref < $4))",
        community, subject, subject + ":", subject + ";",
    )
    return int(value or 0)


async def member_flows(q: Queryable, community: str, member_id: int, since: float,
                       givers: int) -> tuple[int, int, list[tuple[int, int]]]:
    """(received, sent, [(giver, tipped)]) of `member:<id>` since `since`, on the src/dst
    indexes; a tip paid from a giving budget (`budget:<giver>`) names its giver too."""
    account = f"member:{member_id}"
    received = await q.fetchval(
        "SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE dst = $1 AND community = $2"
        " AND at >= $3", account, community, since)
    sent = await q.fetchval(
        "SELECT COALESCE(SUM(amount), 0) FROM tips_entries WHERE src = $1 AND community = $2"
        " AND at >= $3", account, community, since)
    rows = await q.fetch(
        "SELECT src, SUM(amount) AS amount, MAX(id) AS last FROM tips_entries WHERE dst = $1"
        " AND community = $2 AND reason = 'tip' AND at >= $3 GROUP BY src", account,
        community, since)
    tipped: dict[int, tuple[int, int]] = {}
    for row in rows:
        kind, _sep, rest = str(row["src"]).partition(":")
        if kind in ("member", "budget") and rest.isdigit():
            amount, last = tipped.get(int(rest), (0, 0))
            tipped[int(rest)] = (amount + int(row["amount"]), max(last, int(row["last"])))
    ranked = sorted(tipped.items(), key=lambda p: (-p[1][0], -p[1][1]))
    return int(received or 0), int(sent or 0), [(m, a) for m, (a, _l) in ranked[:givers]]


async def rewards_by_member(q: Queryable, community: str, subject: str) -> list[tuple[int, int]]:
    """What each member received for an idea (its claim ref and `idea:42:…` shares, on the
    same index as `rewards_for`), the largest first, ties by the earliest payment."""
    rows = await q.fetch(
        "SELECT dst, SUM(amount) AS amount, MIN(id) AS first FROM tips_entries"
        " WHERE community = $1 AND reason IN ('idea_accepted', 'idea_implemented', 'idea_funded')"
        " AND (ref = $2 OR (ref >= $3 AND ref < $4)) GROUP BY dst ORDER BY amount DESC, first",
        community, subject, subject + ":", subject + ";",
    )
    out = []
    for row in rows:
        kind, _sep, rest = str(row["dst"]).partition(":")
        if kind == "member" and rest.lstrip("-").isdigit():
            out.append((int(rest), int(row["amount"])))
    return out


async def all_entries(q: Queryable, community: str) -> list[LedgerEntry]:
    rows = await q.fetch(
        f"SELECT {ENTRY_COLUMNS} FROM tips_entries WHERE community = $1 ORDER BY id",
        community,
    )
    return [entry_of(r) for r in rows]


async def all_accounts(q: Queryable, community: str) -> list[Row]:
    return await q.fetch(
        "SELECT account, kind, member_id, balance, overdraft FROM tips_accounts "
        "WHERE community = $1 ORDER BY account",
        community,
    )


# --- integrity -------------------------------------------------------------------------------

async def balance_mismatches(q: Queryable) -> list[Row]:
    """Accounts whose stored balance differs from the sum of their entries (any community)."""
    return await q.fetch(
        "SELECT f.community, f.account, COALESCE(a.balance, 0) AS balance, f.net FROM ("
        " SELECT community, account, SUM(delta) AS net FROM ("
        "  SELECT community, dst AS account, amount AS delta FROM tips_entries"
        "  UNION ALL SELECT community, src AS account, -amount AS delta FROM tips_entries"
        " ) AS moves WHERE account NOT IN ('mint', 'burn') GROUP BY community, account"
        ") AS f LEFT JOIN tips_accounts a ON a.community = f.community AND a.account = f.account "
        "WHERE COALESCE(a.balance, 0) <> f.net "
        "UNION ALL "
        "SELECT a.community, a.account, a.balance, 0 AS net FROM tips_accounts a "
        "WHERE a.balance <> 0 AND NOT EXISTS (SELECT 1 FROM tips_entries e WHERE"
        " e.community = a.community AND (e.src = a.account OR e.dst = a.account))"
    )


async def supply(q: Queryable) -> list[Row]:
    """Per community: sum of balances, minted and burned."""
    return await q.fetch(
        "SELECT c.community, "
        "(SELECT COALESCE(SUM(balance), 0) FROM tips_accounts a WHERE a.community = c.community)"
        " AS total, "
        "(SELECT COALESCE(SUM(amount), 0) FROM tips_entries e WHERE e.community = c.community"
        " AND e.src = 'mint') AS minted, "
        "(SELECT COALESCE(SUM(amount), 0) FROM tips_entries e WHERE e.community = c.community"
        " AND e.dst = 'burn') AS burned "
        "FROM (SELECT community FROM tips_accounts UNION SELECT community FROM tips_entries)"
        " AS c ORDER BY c.community"
    )


async def negative_balances(q: Queryable) -> list[Row]:
    """Accounts below zero, with whether they were ever allowed an overdraft."""
    return await q.fetch(
        "SELECT community, account, balance, overdraft FROM tips_accounts WHERE balance < 0"
    )


# --- linking ---------------------------------------------------------------------------------

async def move_activity(q: Queryable, community: str, old: int, new: int) -> None:
    await q.execute(
        "UPDATE tips_activity SET member_id = $1 WHERE community = $2 AND member_id = $3",
        new, community, old,
    )


async def forget_member(q: Queryable, community: str, member_id: int) -> None:
    """Drop a linked-away member's counters so no allowance goes to an id nobody uses."""
    await q.execute(
        "DELETE FROM tips_members WHERE community = $1 AND member_id = $2",
        community, member_id,
    )


async def circulation(q: Queryable, community: str) -> tuple[int, int]:
    """A community's sum of balances and its debts (the negative balances, as a positive sum)."""
    row = await q.fetchrow(
        "SELECT COALESCE(SUM(balance), 0) AS total, "
        "COALESCE(SUM(CASE WHEN balance < 0 THEN -balance ELSE 0 END), 0) AS owed "
        "FROM tips_accounts WHERE community = $1",
        community,
    )
    assert row is not None
    return int(row["total"]), int(row["owed"])
