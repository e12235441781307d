"""The console adapter: a local chat room on stdin/stdout, also the scripting interface (SPEC §1)."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot import hookimpl
from bot.adapters.local import LocalAdapter, SentMessage
from bot.files import private_dir, private_file, write_private
from bot.plugin import Plugin

if TYPE_CHECKING:
    from bot.app import Bot

log = logging.getLogger("ruche.console")

LINE = re.compile(r"^([A-Za-z0-9_.\-]{1,64})>\s?(.*)$", re.DOTALL)
REACT = re.compile(r"^:(react|unreact)\s+(\S+)\s+#?(\d+)\s+(\S+)\s*$")
OPERATOR = "operator"
PREFIX = "ruche> "


def parse_line(line: str) -> tuple[str, str]:
    """`NAME> text` → (NAME, text); anything else comes from the operator."""
    match = LINE.match(line)
    if match:
        return match.group(1), match.group(2)
    return OPERATOR, line


def render(sent: SentMessage, edited: bool = False) -> str:
    """Every line of a bot message prefixed, the first with its number (`[#N]`)."""
    text = sent.current if edited else sent.text
    head = f"[#{sent.number}]"
    if edited:
        head += " (edited)"
    if sent.to:
        head += f" (to {sent.to})"
    lines = text.splitlines() or [""]
    out = [f"{PREFIX}{head} {lines[0]}".rstrip()]
    out.extend(f"{PREFIX}{line}".rstrip() for line in lines[1:])
    return "\n".join(out)


class ConsoleAdapter(LocalAdapter):
    """Reads lines, processes each to completion before the next, prints replies."""

    def __init__(self, moderators: list[str], admins: list[str], room: str = "console",
                 stdin: TextIO | None = None, stdout: TextIO | None = None,
                 interactive: bool | None = None, data_dir: Path | None = None) -> None:
        super().__init__("console", room, moderators, admins)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.data_dir = data_dir or Path("data")
        self._task: asyncio.Task[None] | None = None
        self._colour = self.interactive and self.stdout.isatty()
        self._output_closed = False

    async def start(self, bot: Bot) -> None:
        await super().start(bot)
        self._task = asyncio.create_task(self._run(), name="console")

    async def stop(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    def show(self, sent: SentMessage, edited: bool = False) -> None:
        text = render(sent, edited)
        if self._colour:
            text = f"\x1b[36m{text}\x1b[0m"
        if self._output_closed:
            return
        try:
            print(text, file=self.stdout, flush=True)
        except BrokenPipeError:
            self._close_output()

    def _close_output(self) -> None:
        """The reader of our output went away (`ruche run | head`): stop like any Unix filter."""
        self._output_closed = True
        log.info("console output closed; no more console input is read")
        if self.stdout is sys.stdout:
            # Python would otherwise complain when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    async def send_file(self, room: Any, filename: str, data: bytes, caption: str = "") -> Any:
        """Save uploads under data/exports so the operator can open them."""
        folder = private_dir(self.data_dir / "exports")
        safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", filename) or "file"
        write_private(folder / safe, data)  # exports hold members' names and balances
        return await super().send_file(room, f"{safe} → {folder / safe}", data, caption)

    async def handle_line(self, line: str) -> None:
        """One console line: a reaction command, or a message from NAME or the operator."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        react = REACT.match(line)
        if react:
            verb, name, number, emoji = react.groups()
            try:
                await self.user_react(name, int(number), emoji, added=verb == "react")
            except KeyError:
                print(f"console: there is no bot message #{number}", file=sys.stderr)
            return
        if line.startswith((":react", ":unreact")):
            print("console: usage: :react NAME MESSAGE_NO EMOJI", file=sys.stderr)
            return
        name, text = parse_line(line)
        await self.say(name, text)

    async def _run(self) -> None:
        try:
            if self.interactive:
                await self._interactive()
            else:
                await self._scripted()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("console input failed")
        if set(self.bot.adapters) - {self.platform}:
            # A service under systemd has no stdin: the other platforms keep running.
            log.info("console input closed; other platforms keep running")
            return
        self.bot.request_stop()

    async def _scripted(self) -> None:
        """Lines strictly in order, each finished before the next is read; EOF stops the bot."""
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def reader() -> None:
            try:
                for raw in self.stdin:
                    loop.call_soon_threadsafe(queue.put_nowait, raw)
            except Exception:  # closed stdin, decoding error: end of input
                pass
            loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=reader, name="console-stdin", daemon=True).start()
        while not self._output_closed and (line := await queue.get()) is not None:
            await self.handle_line(line)

    async def _interactive(self) -> None:
        """A friendly prompt with history; `NAME> text` speaks as NAME."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.patch_stdout import patch_stdout

        history = private_file(private_dir(self.data_dir) / ".console_history")
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        print("Ruche console — type !help, or NAME> text to speak as NAME; Ctrl-D quits.",
              file=self.stdout, flush=True)
        with patch_stdout():
            while True:
                try:
                    line = await session.prompt_async("> ")
                except (EOFError, KeyboardInterrupt):
                    return
                await self.handle_line(line)


class ConsolePlugin(Plugin):
    """Registers the console adapter when `[platforms.console]` is enabled."""

    name = "console"

    adapter: ConsoleAdapter | None = None

    @hookimpl
    def register_adapters(self, bot: Bot) -> list[ConsoleAdapter]:
        section = bot.config.console
        if not section.enabled:
            return []
        self.adapter = ConsoleAdapter(section.moderators, section.admins, section.room,
                                      data_dir=Path(bot.config.bot.data_dir))
        return [self.adapter]

    @hookimpl
    def on_config_reloaded(self, bot: Bot) -> None:
        """`moderators` and `admins` apply live; the room and `enabled` need a restart."""
        if self.adapter is not None:
            apply_roles(self.adapter, bot.config.console.moderators, bot.config.console.admins)


def apply_roles(adapter: LocalAdapter, moderators: list[str], admins: list[str]) -> None:
    """Give a console-like adapter new role lists; the next message is judged by them."""
    adapter.moderators, adapter.admins = set(moderators), set(admins)


plugin = ConsolePlugin
