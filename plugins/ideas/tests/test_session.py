"""Scripted sessions of the whole lifecycle: through the chat, in French, and the real console."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from plugins.ideas.tests.conftest import Harness, Start

#: `NAME> text` lines as typed in the console (SPEC §1), and a fragment each reply must contain.
SESSION = [
    ("mod> !campaign open Garden --bounty 100 --until 30d Ideas for the shared garden",
     "Campaign Garden is open."),
    ("alice> !idea submit Compost corner | three bins near the gate --campaign Garden",
     "Idea #1 “Compost corner” submitted."),
    ("bob> !idea submit Compost area --campaign garden", "Idea #2 “Compost area” submitted."),
    ("alice> !idea coauthor 1 @carol", "carol is now a co-author of idea #1."),
    ("dave> !idea comment 1 I can build the bins", "Comment added to idea #1"),
    ("erin> !idea support 2", "You support idea #2 (1 support)."),
    ("mod> !idea merge 2 1", "Idea #2 is merged into idea #1, which now has 2 supports."),
    ("dave> !idea support 1", "Idea #1 reached 3 supports and moves to review."),
    ("frank> !idea show 1", "Poll: #1 (!poll show 1)"),
    ("frank> !idea list voting", "#1 [being voted on] Compost corner — 3 supports · by alice"),
    ("<poll closes: 5 yes, 1 no>", "Idea #1 “Compost corner” is now accepted (poll #1: 5 yes, "
                                   "1 no)."),
    ("mod> !idea implement 1 built last Saturday", "is now implemented"),
    ("frank> !idea feedback 1 4 works well", "Thanks! Idea #1 is rated 4.0/5 (1 rating)."),
    ("mod> !campaign close Garden", "Accepted ideas: #1; they share the bounty of 100."),
    ("frank> !idea search compost", "#1 [implemented] Compost corner"),
]


async def play(h: Harness, script: list[tuple[str, str]]) -> None:
    for line, expected in script:
        if line.startswith("<poll closes"):
            before = len(h.chat.sent)
            await h.votes.close(h.bot, h.votes.polls[-1], yes=5, no=1)
            out = "\n".join(m.current for m in h.chat.sent[before:])
        else:
            name, _sep, text = line.partition("> ")
            out = await h.say(name, text)
        assert expected in out, (line, out)


async def test_whole_lifecycle_through_the_chat(start: Start) -> None:
    h = await start(support_threshold=3)
    for name in ("carol", "dave", "erin", "frank"):
        await h.say(name, "hello")
    await play(h, SESSION)
    names = [n for n, _p in h.events.events]
    assert names.count("accepted") == 1 and names.count("implemented") == 1
    assert names.count("merged") == 1 and names.count("campaign_closed") == 1
    [closed] = h.events.named("campaign_closed")
    assert closed.bounty == 100 and [i.number for i in closed.accepted_ideas] == [1]
    alice = h.dms("alice")
    assert alice[-3:] == ["Your idea #1 “Compost corner” is now being voted on.",
                          "Your idea #1 “Compost corner” is now accepted: poll #1: 5 yes, 1 no",
                          "Your idea #1 “Compost corner” is now implemented: built last "
                          "Saturday"]
    assert h.dms("carol")[-1] == alice[-1]  # the co-author hears too


async def test_french_replies(start: Start) -> None:
    h = await start(locale="fr", support_threshold=1, auto_poll=False)
    assert await h.say("alice", "!idea submit Four à pain | pour le quartier") == (
        "Idée n°1 « Four à pain » proposée. Soutenez-la avec !idée soutenir 1.")
    out = await h.say("bob", "!idea support 1")
    assert "Vous soutenez l’idée n°1 (1 soutien)." in out
    assert "L’idée n°1 a atteint 1 soutien et passe en examen." in out
    assert "Un modérateur décidera" in out
    out = await h.say("bob", "!idea show 1")
    assert out.splitlines()[:3] == ["Idée n°1 « Four à pain » — en examen", "pour le quartier",
                                    "Par alice"]
    assert await h.say("bob", "!idea show 5") == "Il n’y a pas d’idée n°5."
    assert await h.say("bob", "!idea accept 1") == (
        "Vous n’avez pas le droit de faire cela (ideas.moderate).")
    help_text = await h.say("bob", "!help idea")
    assert "Idées : proposer, soutenir, discuter et décider ensemble." in help_text
    assert "• !idée soutenir <idée> — Soutenir une idée" in help_text
    assert await h.say("bob", "!campaign list") == "Pas encore de campagne."


async def test_help_lists_every_subcommand_with_its_usage(start: Start) -> None:
    h = await start()
    out = await h.say("mod", "!help idea")
    for usage in (
        "!idea submit <text…> [--campaign name] [--anonymous]",
        "!idea list [status] [--mine] [--campaign name] [--page number]",
        "!idea show <idea>", "!idea search <words…> [--page number]",
        "!idea edit <idea> <text…>", "!idea withdraw <idea>", "!idea support <idea>",
        "!idea unsupport <idea>", "!idea comment <idea> <text…>",
        "!idea coauthor <idea> <member>", "!idea merge <duplicate> <target>",
        "!idea approve <idea> [reason…]", "!idea accept <idea> [reason…]",
        "!idea reject <idea> [reason…]", "!idea implement <idea> [reason…]",
        "!idea poll <idea> [--duration duration] [--method "
        "single|approval|ranked|score|quadratic]",
        "!idea feedback <idea> <rating> [text…]",
    ):
        assert f"• {usage} — " in out, usage
    out = await h.say("mod", "!help campaign")
    assert "• !campaign open <name> [description…] [--bounty amount] [--until date|duration]" in out
    assert "• !campaign list — " in out and "• !campaign close <name> — " in out
    out = await h.say("alice", "!help idea support")
    assert out.splitlines()[:2] == ["Usage: !idea support <idea>",
                                    "Support an idea; enough supports send it to review."]


async def test_everything_loaded_together(make_bot: object) -> None:
    """With every built-in plugin (votes and tips as they are), ideas still answers."""
    tb = await make_bot()  # type: ignore[operator]
    out = await tb.chat.say("alice", "!idea submit Together with everyone")
    assert "Idea #1 “Together with everyone” submitted." in out


CONSOLE_SCRIPT = """\
alice> !idea submit Dark mode | easier on the eyes --anonymous
bob> !idea support 1
carol> !idea support 1
bob> !idea list
mod> !idea accept 1 voted at the meeting
!idea implement 1
bob> !idea feedback 1 5 great
bob> !idea show 1
"""


def test_console_session(tmp_path: Path) -> None:
    """SPEC §1: the console reads `NAME> text` lines, prints `ruche> ` replies, exits 0 at EOF."""
    config = tmp_path / "ruche.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path}/ruche.sqlite3"\n'
        f'[bot]\ndata_dir = "{tmp_path}/data"\n'
        '[plugins]\ndisabled = ["votes", "tips"]\n'
        '[plugins.ideas]\nsupport_threshold = 2\n'
        '[platforms.console]\nmoderators = ["operator", "mod"]\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(config)],
                          input=CONSOLE_SCRIPT, capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "ruche> [#1] Idea #1 “Dark mode” submitted. Support it with !idea support 1.",
        "ruche> The author stays anonymous to other members.",
        "ruche> Idea #1 reached 2 supports and moves to review.",
        "ruche> Voting is unavailable: a moderator will decide.",
        "ruche> #1 [in review] Dark mode — 2 supports · by anonymous",
        "(to alice) Your idea #1 “Dark mode” is now accepted: voted at the meeting",
        "Idea #1 “Dark mode” is now implemented; its authors were told.",
        "ruche> Feedback: 5.0/5 (1 rating)",
    ):
        assert expected in out, (expected, out)
    public = [line for line in out.splitlines() if "(to " not in line]
    assert not any("alice" in line for line in public), out
