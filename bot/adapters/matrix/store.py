"""The Matrix adapter's own tables (`matrix_*`): sync token, reactions, direct rooms, polls."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from bot.adapters.matrix.translate import PollResponse, PollStart, ReactionRecord

if TYPE_CHECKING:
    from bot.storage import Database, Tx


class MatrixStore:
    """SQL only; one instance per adapter, keyed by the bot's account where rows are per account."""

    def __init__(self, db: Database, account: str) -> None:
        self.db = db
        self.account = account

    async def next_batch(self) -> str | None:
        value = await self.db.fetchval(
            "SELECT next_batch FROM matrix_sync WHERE account = $1", self.account)
        return str(value) if value else None

    async def save_next_batch(self, token: str) -> None:
        """Written once a batch is processed, so a restart resumes after it (never replays)."""
        await self.db.execute(
            "INSERT INTO matrix_sync (account, next_batch, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (account) DO UPDATE SET next_batch = excluded.next_batch,"
            " updated_at = excluded.updated_at",
            self.account, token, time.time())

    # -- reactions ------------------------------------------------------------------------------

    async def add_reaction(self, record: ReactionRecord) -> None:
        await self.db.execute(
            "INSERT INTO matrix_reactions (event_id, room_id, target_id, emoji, sender,"
            " target_sender, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (event_id) DO NOTHING",
            record.event_id, record.room_id, record.target_id, record.emoji, record.sender,
            record.target_sender, time.time())

    async def pop_reaction(self, event_id: str) -> ReactionRecord | None:
        """The reaction a redaction removes, forgotten at once (a second redaction is a no-op)."""

        async def op(tx: Tx) -> ReactionRecord | None:
            row = await tx.fetchrow(
                "SELECT event_id, room_id, target_id, emoji, sender, target_sender"
                " FROM matrix_reactions WHERE event_id = $1", event_id)
            if row is None:
                return None
            await tx.execute("DELETE FROM matrix_reactions WHERE event_id = $1", event_id)
            return ReactionRecord(row["event_id"], row["room_id"], row["target_id"],
                                  row["emoji"], row["sender"], row["target_sender"])

        return await self.db.atomic(op)

    # -- direct rooms ---------------------------------------------------------------------------

    async def direct_room(self, user_id: str) -> str | None:
        value = await self.db.fetchval(
            "SELECT room_id FROM matrix_direct_rooms WHERE account = $1 AND user_id = $2",
            self.account, user_id)
        return str(value) if value else None

    async def direct_rooms(self) -> set[str]:
        rows = await self.db.fetch(
            "SELECT room_id FROM matrix_direct_rooms WHERE account = $1", self.account)
        return {str(r["room_id"]) for r in rows}

    async def save_direct_room(self, user_id: str, room_id: str) -> None:
        await self.db.execute(
            "INSERT INTO matrix_direct_rooms (account, user_id, room_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (account, user_id) DO UPDATE SET room_id = excluded.room_id",
            self.account, user_id, room_id)

    # -- polls ----------------------------------------------------------------------------------

    async def save_poll(self, poll: PollStart) -> None:
        await self.db.execute(
            "INSERT INTO matrix_polls (event_id, room_id, sender, answers, max_selections)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
            poll.event_id, poll.room_id, poll.sender,
            json.dumps({"ids": list(poll.answers), "labels": list(poll.labels),
                        "question": poll.question}),
            poll.max_selections)

    async def poll(self, event_id: str) -> tuple[PollStart, bool] | None:
        """A known poll and whether it has ended."""
        row = await self.db.fetchrow(
            "SELECT event_id, room_id, sender, answers, max_selections, ended FROM matrix_polls"
            " WHERE event_id = $1", event_id)
        if row is None:
            return None
        data = json.loads(row["answers"])
        poll = PollStart(row["event_id"], row["room_id"], row["sender"], data["question"],
                         tuple(data["ids"]), tuple(data["labels"]), int(row["max_selections"]))
        return poll, bool(row["ended"])

    async def end_poll(self, event_id: str) -> None:
        await self.db.execute("UPDATE matrix_polls SET ended = 1 WHERE event_id = $1", event_id)

    async def ballots(self, poll_id: str) -> list[tuple[str, tuple[int, ...]]]:
        """(user, chosen options) of every member who answered a native poll."""
        rows = await self.db.fetch(
            "SELECT user_id, answers FROM matrix_poll_ballots WHERE poll_id = $1", poll_id)
        return [(str(r["user_id"]), tuple(json.loads(r["answers"]))) for r in rows]

    async def swap_ballot(self, response: PollResponse,
                          chosen: tuple[int, ...]) -> tuple[int, ...] | None:
        """Store a member's latest selection; return the one it replaces (None: response older
        than the stored one, to be ignored)."""

        async def op(tx: Tx) -> tuple[int, ...] | None:
            row = await tx.fetchrow(
                "SELECT answers, ts FROM matrix_poll_ballots WHERE poll_id = $1 AND user_id = $2",
                response.poll_id, response.sender)
            if row is not None and float(row["ts"]) > response.ts:
                return None
            await tx.execute(
                "INSERT INTO matrix_poll_ballots (poll_id, user_id, answers, ts)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (poll_id, user_id) DO UPDATE"
                " SET answers = excluded.answers, ts = excluded.ts",
                response.poll_id, response.sender, json.dumps(list(chosen)), response.ts)
            return tuple(json.loads(row["answers"])) if row is not None else ()

        return await self.db.atomic(op)
