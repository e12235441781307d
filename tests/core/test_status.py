"""`!status` and `!lasterror`: what an admin learns from chat, and what they never see."""

from __future__ import annotations

import io
import logging

from bot.logs import RedactSecrets
from bot.testing import MakeBot


async def test_status_reports_the_bot_to_admins_only(make_bot: MakeBot) -> None:
    tb = await make_bot()
    chat = tb.chat
    out = await chat.say("operator", "!status")
    first, second, third = out.splitlines()
    assert first.startswith("Ruche ") and " · up " in first
    assert second == f"Platforms: console · database: {tb.bot.db.dialect} (reachable)"
    assert tb.bot.db.dialect in ("sqlite", "postgresql")
    assert third == "Announcements waiting: 0 · no error since start"
    refused = await chat.say("mod", "!status")
    assert "Ruche " not in refused
    assert "Ruche " not in await chat.say("mod", "!lasterror")


async def test_lasterror_is_one_line_without_secrets(make_bot: MakeBot) -> None:
    tb = await make_bot(raw={"platforms": {"console": {"enabled": False}}})
    chat = tb.chat
    assert await chat.say("operator", "!lasterror") == "No error since start."
    tb.bot.last_error.redactor = RedactSecrets(["hunter2-token"])
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ruche.test").exception("sync failed with hunter2-token\nsecond line")
    out = await chat.say("operator", "!lasterror")
    assert out.startswith("Last error, ")
    assert "in ruche.test: sync failed with *** (ValueError)" in out
    assert "hunter2" not in out and "second line" not in out and "Traceback" not in out
    assert "1 errors since start" in out
    assert "1 errors since start, the last at" in await chat.say("operator", "!status")


async def test_a_stopped_bot_no_longer_collects_errors(make_bot: MakeBot) -> None:
    tb = await make_bot()
    handler = tb.bot.last_error
    await tb.stop()
    logging.getLogger("ruche.test").error("after stop")
    assert handler.count == 0


async def test_lasterror_sees_the_exception_before_the_log_filter_rewrites_it(
        make_bot: MakeBot) -> None:
    """In `ruche run` the stderr handler's secret filter drops a record's exc_info; the
    last-error handler comes first, so it still names the exception, redacted by the same rule."""
    root = logging.getLogger()
    stderr = logging.StreamHandler(io.StringIO())
    stderr.addFilter(RedactSecrets(["hunter2-token"]))
    root.addHandler(stderr)
    try:
        tb = await make_bot(raw={"platforms": {"console": {"enabled": False}}})
        tb.bot.last_error.redactor = RedactSecrets(["hunter2-token"])
        try:
            raise KeyError("x")
        except KeyError:
            logging.getLogger("ruche.test").exception("lookup of hunter2-token failed")
        out = await tb.chat.say("operator", "!lasterror")
        assert "lookup of *** failed (KeyError)" in out and "hunter2" not in out
    finally:
        root.removeHandler(stderr)
