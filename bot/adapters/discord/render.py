"""OutgoingMessage parts as discord.py components: stateless buttons, one-field modals."""

from __future__ import annotations

import logging
import os
import random
from typing import Any

import discord

from bot.adapters.discord.translate import clip
from bot.model import Button

log = logging.getLogger("ruche.discord")

CUSTOM_ID_LIMIT = 100
MAX_BUTTONS = 25
PER_ROW = 5
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


class CommandButton(discord.ui.Button[discord.ui.View]):
    """A button whose custom id is a command line: never stored in discord.py's view store.

    Clicks reach the adapter's own INTERACTION_CREATE handler, so they work after a restart
    with no view to re-register (what `add_view`/DynamicItem would otherwise be needed for).
    """

    def is_dispatchable(self) -> bool:
        return False


def renderable(buttons: tuple[Button, ...]) -> tuple[list[Button], list[Button]]:
    """Buttons Discord can show, and those it cannot (custom id too long, more than 25)."""
    shown: list[Button] = []
    dropped: list[Button] = []
    for button in buttons:
        if len(button.custom_id) > CUSTOM_ID_LIMIT or len(shown) >= MAX_BUTTONS:
            dropped.append(button)
        else:
            shown.append(button)
    if dropped:
        log.warning("discord: %d button(s) cannot be shown (custom id > %d chars or > %d)",
                    len(dropped), CUSTOM_ID_LIMIT, MAX_BUTTONS)
    return shown, dropped


def with_hints(text: str, dropped: list[Button]) -> str:
    """Buttons Discord cannot show are still named, so members can type the command."""
    if not dropped:
        return text
    return text + "\n" + "  ".join(f"{b.emoji} {b.label}".strip() for b in dropped)


def _emoji(text: str) -> discord.PartialEmoji | None:
    if not text:
        return None
    try:
        return discord.PartialEmoji.from_str(text)
    except Exception:  # a malformed custom emoji must not cost the whole message
        return None


def view_for(buttons: list[Button]) -> discord.ui.View | None:
    """A view laid out five buttons per row; None when there is nothing to show."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for index, button in enumerate(buttons):
        view.add_item(CommandButton(
            style=STYLES.get(button.style, discord.ButtonStyle.secondary),
            label=clip(button.label, 80) or None,
            custom_id=button.custom_id,
            emoji=_emoji(button.emoji),
            row=index // PER_ROW,
        ))
    view.stop()  # finished before it is sent: discord.py neither stores nor times it out
    return view


def modal_for(title: str, custom_id: str) -> discord.ui.Modal:
    """One text field completing a `form:` button's command line (ranked or score ballots)."""
    modal = discord.ui.Modal(title=clip(title or "Ruche", 45), custom_id=custom_id[:CUSTOM_ID_LIMIT])
    modal.add_item(discord.ui.TextInput(label=clip(title or "Answer", 45), custom_id="value",
                                        max_length=1000))
    modal.stop()  # answered by the adapter's handler, not by discord.py's view store
    return modal


#: Nonces only need to differ between sends; discord.py's own default (`secrets.randbits`)
#: reads the OS's entropy on every message, which costs more than the rest of rendering.
_NONCES = random.Random(os.urandom(16))


def nonce() -> int:
    """A 64-bit nonce for a channel message, as discord.py would make, without a syscall."""
    return _NONCES.getrandbits(64)


def send_kwargs(text: str, buttons: list[Button]) -> dict[str, Any]:
    """Keyword arguments common to channel sends, interaction responses and followups."""
    kwargs: dict[str, Any] = {"content": text or "\u200b"}
    view = view_for(buttons)
    if view is not None:
        kwargs["view"] = view
    return kwargs
