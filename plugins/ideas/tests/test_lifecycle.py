"""The transition table, and every illegal move refused through the chat with a clear message."""

from __future__ import annotations

import pytest

from bot.commands import UserError
from plugins.ideas import lifecycle, store
from plugins.ideas.config import IdeasConfig
from plugins.ideas.models import STATUS_LABELS, STATUSES, status_label
from plugins.ideas.tests.conftest import Harness, Start, known
from plugins.ideas.voting import verdict


def test_the_table_covers_the_spec_lifecycle() -> None:
    moves = {(src, a.target) for a in lifecycle.ACTIONS.values() if a.target
             for src in a.sources}
    for move in [("pending", "open"), ("open", "review"), ("review", "voting"),
                 ("voting", "accepted"), ("voting", "rejected"), ("accepted", "implemented"),
                 ("open", "withdrawn"), ("pending", "withdrawn"), ("open", "merged")]:
        assert move in moves, move
    assert set(STATUS_LABELS) == set(STATUSES)
    # final statuses lead nowhere
    for final in ("rejected", "implemented", "withdrawn", "merged"):
        assert not any(final in a.sources for a in lifecycle.ACTIONS.values() if a.target), final
    for action in lifecycle.ACTIONS.values():
        assert action.sources <= set(STATUSES) and (action.target in STATUSES or
                                                    action.target is None)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", sorted(lifecycle.ACTIONS))
def test_check_refuses_exactly_what_the_table_does_not_allow(action: str, status: str) -> None:
    act = lifecycle.ACTIONS[action]
    if status in act.sources:
        assert lifecycle.check(action, status, 7) == (act.target or status)
    else:
        with pytest.raises(UserError) as info:
            lifecycle.check(action, status, 7)
        text = str(info.value)
        assert text.startswith(f"Cannot {act.label} idea #7: it is ")
        assert "only possible when" in text


#: The chat command that attempts each action on idea {n}, and who types it.
ATTEMPTS = {
    "approve": ("mod", "!idea approve {n}"),
    "accept": ("mod", "!idea accept {n}"),
    "reject": ("mod", "!idea reject {n} not now"),
    "implement": ("mod", "!idea implement {n}"),
    "withdraw": ("alice", "!idea withdraw {n}"),
    "merge": ("mod", "!idea merge {n} 2"),
    "merge_into": ("mod", "!idea merge 1 {n}"),
    "poll": ("mod", "!idea poll {n}"),
    "edit": ("alice", "!idea edit {n} New title"),
    "support": ("carol", "!idea support {n}"),
    "unsupport": ("bob", "!idea unsupport {n}"),
    "comment": ("carol", "!idea comment {n} hello"),
    "coauthor": ("alice", "!idea coauthor {n} @dave"),
    "feedback": ("carol", "!idea feedback {n} 4"),
}

#: Idea number → the status it is brought to.
IN_STATUS = {1: "pending", 2: "open", 3: "review", 4: "voting", 5: "accepted", 6: "rejected",
             7: "implemented", 8: "withdrawn", 9: "merged"}


async def one_idea_per_status(h: Harness) -> None:
    await known(h, "dave")
    for n in IN_STATUS:
        await h.say("alice", f"!idea submit Idea {n}")
        if n > 1:
            await h.say("mod", f"!idea approve {n}")
    await h.say("bob", "!idea support 3")
    await h.say("mod", "!idea poll 4")
    for n in (5, 7, 9):
        await h.say("mod", f"!idea accept {n}" if n != 9 else "!idea merge 9 5")
    await h.say("mod", "!idea reject 6 no")
    await h.say("mod", "!idea implement 7")
    await h.say("alice", "!idea withdraw 8")
    for n, status in IN_STATUS.items():
        row = await store.idea_by_number(h.bot.db, "console", n)
        assert row is not None and row.status == status, (n, row)


async def test_every_illegal_action_is_refused_in_chat(start: Start) -> None:
    h = await start(premoderation=True, support_threshold=1, auto_poll=False,
                    submissions_per_day=0)
    await one_idea_per_status(h)
    refused = 0
    for action, (who, template) in ATTEMPTS.items():
        act = lifecycle.ACTIONS[action]
        for n, status in IN_STATUS.items():
            if status in act.sources or (action == "merge_into" and n == 1) or (
                    action == "merge" and n == 2):
                continue
            out = await h.say(who, template.format(n=n))
            expected = f"Cannot {act.label} idea #{n}: it is {status_label(status)} ("
            assert out.startswith(expected), (action, status, out)
            refused += 1
    assert refused > 60
    for n, status in IN_STATUS.items():  # nothing moved
        row = await store.idea_by_number(h.bot.db, "console", n)
        assert row is not None and row.status == status


async def test_illegal_refusal_in_french(start: Start) -> None:
    h = await start(locale="fr")
    await h.say("alice", "!idea submit Lampe")
    out = await h.say("mod", "!idea implement 1")
    assert out == ("Impossible de faire « marquer comme réalisée » sur l’idée n°1 : elle est "
                   "ouverte (possible seulement si elle est acceptée).")


@pytest.mark.parametrize(("ballots", "totals", "quorum_met", "expected"), [
    (10, (6.0, 4.0), True, "vote_accept"),
    (10, (5.0, 5.0), True, "vote_reject"),   # a tie is not more than half
    (10, (4.0, 6.0), True, "vote_reject"),
    (2, (2.0, 0.0), True, "vote_no_quorum"),  # fewer ballots than quorum = 3
    (10, (9.0, 1.0), False, "vote_no_quorum"),  # the votes plugin's own quorum failed
    (3, (0.0, 0.0), True, "vote_reject"),    # only blank ballots
])
def test_decision_rule(ballots: int, totals: tuple[float, float], quorum_met: bool,
                       expected: str) -> None:
    assert verdict(IdeasConfig(), ballots, totals, quorum_met) == expected


def test_decision_rule_options() -> None:
    strict = IdeasConfig(majority=2 / 3, no_quorum="rejected", quorum=5)
    assert verdict(strict, 9, (6.0, 3.0), True) == "vote_reject"  # exactly 2/3 is not more
    assert verdict(strict, 10, (7.0, 3.0), True) == "vote_accept"
    assert verdict(strict, 4, (4.0, 0.0), True) == "vote_reject"


def test_config_validation() -> None:
    assert IdeasConfig().validate() == []
    problems = IdeasConfig(support_threshold=0, majority=1.0, page_size=0).validate()
    assert [p.split(":")[0] for p in problems] == ["support_threshold", "majority", "page_size"]
