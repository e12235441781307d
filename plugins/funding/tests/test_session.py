"""The whole story as a console session: idea accepted → round opened → pledges → close → funds
released; then a second round that fails and refunds everyone. In-process, and as a real
`python -m bot run` with a piped script and a config file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plugins.funding.tests.conftest import MakeKit

#: `NAME> text` lines as typed in the console, and a fragment each reply must contain.
SESSION = [
    ("bob> hello", ""),
    ("carol> hello", ""),
    ("dave> hello", ""),
    ("alice> !idea submit Community oven | a bread oven in the square",
     "Idea #1 “Community oven” submitted."),
    ("bob> !idea support 1", "You support idea #1 (1 support)."),
    ("carol> !idea support 1", "Idea #1 reached 2 supports and moves to review."),
    ("mod> !idea accept 1 voted at the meeting", "Idea #1 “Community oven” is now accepted"),
    ("mod> !grant @bob 100 welcome", "mod granted bob 100 BZZ from the treasury: welcome"),
    ("mod> !grant @carol 100 welcome", "granted carol 100 BZZ"),
    ("mod> !grant @dave 100 welcome", "granted dave 100 BZZ"),
    ('alice> !fund open 1 100 --until 7d --tiers "10:Backer;50:Patron" '
     '--stretch "120:Solar panel"',
     "Funding round open for idea #1 “Community oven”: goal 100 BZZ, 7d left"),
    ("bob> !pledge 1 60", "You pledged 60 BZZ to idea #1 (your pledge: 60 BZZ, Patron)."),
    ("carol> !pledge 1 40", "▰▰▰▰▰▰▰▰▰▰ 100% · 100 of 100 BZZ"),
    ("dave> !pledge 1 30", "130% · 130 of 100 BZZ"),
    ("dave> !unpledge 1", "Your pledge of 30 BZZ to idea #1 was refunded."),
    ("dave> !pledge 1 25", "(your pledge: 25 BZZ, Backer)"),
    ("erin> !fund show 1", "Stretch goals: ✓ 120 BZZ Solar panel"),
    ("erin> !fund list", "• #1 Community oven — ▰▰▰▰▰▰ 125% · 125 of 100 BZZ · 3 backers"),
    ("erin> !idea show 1", "Funding: ▰▰▰▰▰▰▰▰▰▰ 125% · 125 of 100 BZZ · 3 backers"),
    ("mod> !fund close 1",
     "Idea #1 “Community oven” is funded: 125 BZZ of 100 BZZ from 3 backers, released to "
     "alice. Thanks to bob (Patron), carol (Backer), dave (Backer)! Stretch goals reached: "
     "Solar panel."),
    ("alice> !balance", "175 BZZ"),  # 50 for the accepted idea + 125 raised
    ("alice> !idea submit Tool library", "Idea #2 “Tool library” submitted."),
    ("mod> !idea accept 2", "Idea #2 “Tool library” is now accepted"),
    ("alice> !fund open 2 500", "Funding round open for idea #2 “Tool library”: goal 500 BZZ"),
    ("bob> !pledge 2 20", "You pledged 20 BZZ to idea #2"),
    ("carol> !pledge 2 30", "10% · 50 of 500 BZZ"),
    ("bob> !pledge 2 1000", "Not enough BZZ: the balance is 20, the amount 1000."),
    ("mod> !fund close 2",
     "Idea #2 “Tool library” missed its goal: 50 BZZ of 500 BZZ. Every pledge was refunded "
     "in full."),
    ("bob> !balance", "40 BZZ"),
    ("carol> !balance", "60 BZZ"),
    ("dave> !balance", "75 BZZ"),
    ("erin> !fund list ended", "#2 Tool library — ▰▱▱▱▱▱ 10% · 50 of 500 BZZ · 2 backers · "
                               "goal missed, refunded"),
]


async def test_the_whole_story_through_the_chat(make_kit: MakeKit) -> None:
    kit = await make_kit(tips={"idea_accepted_reward": 50}, ideas={"support_threshold": 2})
    for line, expected in SESSION:
        name, _sep, text = line.partition("> ")
        out = await kit.say(name, text)
        assert expected in out, (line, out)
    assert await kit.balance("escrow:fund:1") == 0 and await kit.balance("escrow:fund:2") == 0
    assert [r.state for r, _b in kit.events.named("succeeded")] == ["succeeded"]
    assert [r.state for r in kit.events.named("failed")] == ["failed"]
    assert await kit.problems() == []


def test_the_whole_story_in_the_real_console(tmp_path: Path) -> None:
    config = tmp_path / "ruche.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path}/ruche.sqlite3"\n'
        f'[bot]\ndata_dir = "{tmp_path}/data"\n'
        '[platforms.console]\nmoderators = ["operator", "mod"]\n'
        '[plugins.ideas]\nsupport_threshold = 2\nauto_poll = false\n'
        '[plugins.tips]\nallowance_amount = 0\nactivity_reward = 0\nidea_accepted_reward = 50\n'
        '[plugins.funding]\nmin_duration = "1m"\nrecovery_grace = "5s"\n', encoding="utf-8")
    script = "".join(line + "\n" for line, _expected in SESSION)
    done = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(config)],
                          input=script, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line, expected in SESSION:
        assert expected in out, (line, expected, out)
    assert "ruche> " in out
    check = subprocess.run([sys.executable, "-m", "bot", "db", "--config", str(config), "check"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
