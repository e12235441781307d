"""Logging the bot's account in and keeping its device: session file, nio client, E2EE store.

The device id and the encryption store live together under the store directory: a new device
id would mean new keys, and members' clients would have to trust the bot again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from bot.adapters.matrix import MatrixConfig
from bot.files import (
    PRIVATE_DIR,
    PRIVATE_FILE,
    private_dir,
    private_umask,
    write_private,
)

log = logging.getLogger("ruche.matrix")

SESSION_FILE = "session.json"


class LoginFailed(Exception):
    """The homeserver refused the credentials; retrying will not help until the config changes."""


def _fingerprint(token: str) -> str:
    """Tells whether the configured token changed without writing the token itself to disk."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def read_session(store: Path) -> dict[str, Any]:
    try:
        data = json.loads((store / SESSION_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_session(store: Path, data: dict[str, Any]) -> None:
    """Atomically, readable by the bot's user only (it may hold an access token)."""
    private_dir(store, tighten=True)
    tmp = store / (SESSION_FILE + ".tmp")
    write_private(tmp, json.dumps(data))
    os.replace(tmp, store / SESSION_FILE)


def tighten_store(store: Path) -> None:
    """Make the E2EE key store owner-only: nio creates its files under the process umask.

    The store is one account's folder, which Ruche created, so everything in it is ours."""
    private_dir(store, tighten=True)
    for path in store.rglob("*"):
        with contextlib.suppress(OSError):
            path.chmod(PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)


def _restore(client: AsyncClient, store: Path, user_id: str, device: str, token: str) -> None:
    """Restore a login; nio opens (or creates) its key store here, so under an owner-only umask."""
    with private_umask():
        client.restore_login(user_id, device, token)
    tighten_store(store)


def make_client(config: MatrixConfig, store: Path) -> AsyncClient:
    """A nio client whose own retry loops are bounded: the adapter's loop owns reconnection."""
    private_dir(store, tighten=True)
    client_config = AsyncClientConfig(
        encryption_enabled=config.encryption,
        store_sync_tokens=False,  # the sync token lives in the database (matrix_sync)
        pickle_key=config.pickle_key.reveal() if config.pickle_key else "DEFAULT_KEY",
        max_limit_exceeded=0,  # 429s come back to us: we honour retry_after_ms with a bound
        max_timeouts=config.max_timeouts,
        max_timeout_retry_wait_time=min(config.max_backoff.total_seconds(), 10.0),
        request_timeout=config.request_timeout.total_seconds(),
    )
    return AsyncClient(config.homeserver.rstrip("/"), config.user_id, store_path=str(store),
                       config=client_config)


async def _whoami(client: AsyncClient, token: str) -> WhoamiResponse | None:
    client.access_token = token
    response = await client.whoami()
    return response if isinstance(response, WhoamiResponse) else None


async def login(client: AsyncClient, config: MatrixConfig, store: Path) -> None:
    """Restore the saved device (or log in once) and load its encryption store."""
    session = read_session(store)
    if config.access_token is not None:
        token = config.access_token.reveal()
        device = session.get("device_id") if session.get("token_sha") == _fingerprint(token) \
            else None
        if not device:
            who = await _whoami(client, token)
            if who is None:
                raise LoginFailed("the homeserver rejected access_token (whoami failed)")
            if who.user_id != config.user_id:
                raise LoginFailed(f"access_token belongs to {who.user_id}, not {config.user_id}")
            device = who.device_id or config.device_name
            write_session(store, {"user_id": config.user_id, "device_id": device,
                                  "token_sha": _fingerprint(token)})
        _restore(client, store, config.user_id, str(device), token)
        return
    saved = session.get("access_token")
    if isinstance(saved, str) and session.get("device_id") and await _whoami(client, saved):
        _restore(client, store, config.user_id, str(session["device_id"]), saved)
        return
    if config.password is None:
        raise LoginFailed("no access_token or password configured")
    if session.get("device_id"):
        client.device_id = str(session["device_id"])  # same device, same E2EE keys
    response = await client.login(config.password.reveal(), device_name=config.device_name)
    if not isinstance(response, LoginResponse):
        raise LoginFailed(f"password login refused: {getattr(response, 'message', response)}")
    tighten_store(store)  # nio opened its key store while handling the login response
    write_session(store, {"user_id": response.user_id, "device_id": response.device_id,
                          "access_token": response.access_token})
    log.info("matrix: logged in as %s, device %s", response.user_id, response.device_id)
