"""`!history` says every movement in words, including reasons other plugins write."""

from __future__ import annotations

from plugins.tips.tests.conftest import MakeKit


async def test_a_vote_paid_in_tokens_reads_as_words_in_both_languages(make_kit: MakeKit) -> None:
    kit = await make_kit()
    await kit.fund("alice", 50)
    assert "set to tokens" in await kit.say("mod", "!config plugins.votes.quadratic_currency "
                                                   "tokens")
    assert "paid in tokens" in await kit.say("mod", '!poll new "Oven?" Yes No --method quadratic')
    assert "recorded" in await kit.say("alice", "!vote 1 Yes=2")
    out = await kit.say("alice", "!history 1")
    assert "−4 BZZ · tokens spent on a vote" in out and "poll_vote" not in out
    await kit.say("mod", "!config bot.locale fr")
    assert "jetons dépensés pour un vote" in await kit.say("alice", "!history 1")
    await kit.check()
