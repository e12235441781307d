"""A real Synapse for the test session (../shared/recipes/matrix-synapse.md): SQLite, 127.0.0.1.

Installed by scripts/setup-synapse into .synapse-venv; found through SYNAPSE_PYTHON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-only"
RATE = {"per_second": 10000, "burst_count": 100000}


def synapse_python() -> str:
    default = ROOT / ".synapse-venv" / "bin" / "python"
    return os.environ.get("SYNAPSE_PYTHON") or str(default)


def unavailable_reason(python: str) -> str | None:
    """Why Synapse cannot run here (None when it can)."""
    if not Path(python).exists() and "/" in python:
        reason = f"no Python at {python} (run scripts/setup-synapse)"
    else:
        probe = subprocess.run([python, "-c", "import synapse"], capture_output=True, text=True)
        if probe.returncode == 0:
            return None
        reason = f"matrix-synapse is not importable from {python}"
    why = os.environ.get("SYNAPSE_UNAVAILABLE")
    marker = ROOT / ".synapse-venv" / "UNAVAILABLE"
    if not why and marker.exists():
        why = marker.read_text().strip()
    return f"{reason}: {why}" if why else reason


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(work: Path, port: int) -> Path:
    """homeserver.yaml with every pitfall of the recipe handled (JSON is valid YAML)."""
    log_config = work / "log.yaml"
    log_config.write_text(
        "version: 1\n"
        "formatters: {precise: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}\n"
        "handlers:\n"
        f"  file: {{class: logging.FileHandler, formatter: precise, filename: {work / 'homeserver.log'}}}\n"
        "root: {level: INFO, handlers: [file]}\n"
        "disable_existing_loggers: false\n"
    )
    config: dict[str, Any] = {
        "server_name": "localhost",
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http",
                       "tls": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(work / "homeserver.db")}},
        "registration_shared_secret": SECRET,
        "enable_registration": True,
        "enable_registration_without_verification": True,
        "bcrypt_rounds": 4,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "caches": {"sync_response_cache_duration": 0},
        "log_config": str(log_config),
        "media_store_path": str(work / "media"),
        "signing_key_path": str(work / "signing.key"),
        "report_stats": False,
        "macaroon_secret_key": "test-macaroon",
        "form_secret": "test-form",
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "federation_domain_whitelist": [],
        "rc_message": RATE,
        "rc_registration": RATE,
        "rc_registration_token_validity": RATE,
        "rc_login": {"address": RATE, "account": RATE, "failed_attempts": RATE},
        "rc_admin_redaction": RATE,
        "rc_joins": {"local": RATE, "remote": RATE},
        "rc_joins_per_room": RATE,
        "rc_3pid_validation": RATE,
        "rc_invites": {"per_room": RATE, "per_user": RATE, "per_issuer": RATE},
        "rc_third_party_invite": RATE,
        "rc_media_create": RATE,
        "rc_presence": {"per_user": RATE},
        "rc_delayed_event_mgmt": RATE,
        "rc_room_creation": RATE,
        "rc_reports": RATE,
        "rc_user_directory": RATE,
        "rc_profile": RATE,
    }
    path = work / "homeserver.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path


@dataclass
class Account:
    """A registered user: what a client needs to restore the login."""

    user_id: str
    access_token: str
    device_id: str
    password: str


class Homeserver:
    """The running Synapse: register users, restart it under a running bot."""

    def __init__(self, python: str, work: Path) -> None:
        self.python = python
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = write_config(work, self.port)
        self.proc: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._out = open(self.work / "stdio.log", "ab")
        self.proc = subprocess.Popen(
            [self.python, "-m", "synapse.app.homeserver", "-c", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Synapse exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=1):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.05)
        raise RuntimeError(f"Synapse not ready after {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM to our own Popen only, SIGKILL after 15 s."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if self._out is not None:
            self._out.close()
            self._out = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        parts = []
        for name in ("stdio.log", "homeserver.log"):
            path = self.work / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def register(self, name: str = "user", *, admin: bool = False) -> Account:
        """A new user with a unique name, through the shared-secret admin API (HMAC-SHA1)."""
        username = f"{name}{uuid.uuid4().hex[:8]}"
        password = "pw-" + uuid.uuid4().hex[:8]
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), username.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        result = self._request("POST", "/_synapse/admin/v1/register", {
            "nonce": nonce, "username": username, "password": password, "admin": admin,
            "mac": mac.hexdigest()})
        return Account(result["user_id"], result["access_token"], result["device_id"], password)


def start_homeserver(work: Path) -> Homeserver:
    work.mkdir(parents=True, exist_ok=True)
    server = Homeserver(synapse_python(), work)
    server.start()
    return server


if __name__ == "__main__":  # manual smoke test: python tests/matrix/synapse.py
    import tempfile

    hs = start_homeserver(Path(tempfile.mkdtemp()))
    print(hs.url, hs.register("smoke"), file=sys.stderr)
    hs.stop()
