"""The Matrix plugin without a homeserver: config, lazy import, trust policy, 429s, outages."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nio import RoomSendError
from nio.crypto import TrustState

from bot.adapters.matrix import MatrixConfig, MatrixPlugin
from bot.adapters.matrix.crypto import Trust, parse_trusted
from bot.adapters.matrix.sender import LRU, Sender, retry_after
from bot.config import Config, build, validate_config
from bot.testing import make_test_bot

from .synapse import free_port

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"homeserver": "https://matrix.example.org", "user_id": "@ruche:example.org",
        "access_token": {"env": "MATRIX_TOKEN"}}
BUILTINS = {"core": "bot.commands.builtin", "matrix": "bot.adapters.matrix"}


def problems(table: dict[str, Any]) -> list[str]:
    _instance, found = build(MatrixConfig, table, "platforms.matrix", env={"MATRIX_TOKEN": "t"})
    return [str(p) for p in found if p.severity == "error"]


def test_defaults_and_secret() -> None:
    env = {"MATRIX_TOKEN": "syt_s3cr3t"}
    config, found = build(MatrixConfig, GOOD, "platforms.matrix", env=env)
    assert config is not None and not found
    assert config.access_token is not None and config.access_token.reveal() == "syt_s3cr3t"
    assert "s3cr3t" not in repr(config)
    assert config.encryption and config.trust == "tofu"
    assert (config.moderator_power_level, config.admin_power_level) == (50, 100)
    assert config.store_path("data") == Path("data/matrix/ruche_example.org")


def test_every_problem_is_reported_with_its_key() -> None:
    assert problems({**GOOD, "trust": "nobody"}) == [
        "platforms.matrix.trust: expected one of 'tofu', 'all', 'verified-only', "
        "got string 'nobody'"]
    found = problems({"homeserver": "matrix.example.org", "user_id": "ruche",
                      "access_token": "x", "rooms": ["general"]})
    assert [p.split(":", 1)[0] for p in found] == [
        "platforms.matrix.homeserver", "platforms.matrix.user_id", "platforms.matrix.rooms"]
    assert problems({**GOOD, "moderator_power_level": 120}) == [
        "platforms.matrix.moderator_power_level: must be between 0 and admin_power_level"]
    assert any("access_token" in p for p in problems({"homeserver": "https://m.org",
                                                     "user_id": "@r:m.org"}))
    assert any("trusted_devices" in p for p in problems({**GOOD, "trusted_devices": ["x"]}))
    assert any("rooms" in p for p in problems({**GOOD, "rooms": ["general"]}))
    assert problems({**GOOD, "rooms": ["!hashonlyv12", "!a:b.org", "#alias:b.org"]}) == []
    assert any("spaces" in p for p in problems({**GOOD, "spaces": ["#noserver"]}))
    assert any("sync_timeout" in p for p in problems({**GOOD, "sync_timeout": "0s"}))
    assert any("timeline_limit" in p for p in problems({**GOOD, "timeline_limit": 0}))


def test_whole_file_validation_knows_the_matrix_section() -> None:
    config = Config({"platforms": {"matrix": {**GOOD, "colour": "blue"}}}, env={"MATRIX_TOKEN": "t"})
    found = validate_config(config, {"platforms.matrix": MatrixConfig})
    assert [str(p) for p in found if p.severity == "error"] == [
        "platforms.matrix.colour: unknown key; valid keys: " + ", ".join(
            MatrixConfig.__dataclass_fields__)]


def test_importing_the_plugin_loads_no_nio() -> None:
    code = ("import sys, bot.app, bot.adapters.matrix; "
            "sys.exit(1 if 'nio' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


async def test_no_section_no_adapter(tmp_path: Path) -> None:
    tb = await make_test_bot(tmp_path, builtins=BUILTINS)
    try:
        assert "matrix" not in tb.bot.adapters
        assert MatrixPlugin(tb.bot).register_adapters(tb.bot) == []
        assert "pong" in (await tb.chat.say("alice", "!ping")).lower()
    finally:
        await tb.stop()


async def test_homeserver_down_never_blocks_the_other_platforms(tmp_path: Path) -> None:
    """Startup does not wait for Matrix; the console keeps answering; stop is prompt."""
    raw = {"platforms": {"matrix": {
        "homeserver": f"http://127.0.0.1:{free_port()}", "user_id": "@ruche:localhost",
        "access_token": "x", "max_timeouts": 0, "max_backoff": "1s"}}}
    started = time.monotonic()
    tb = await make_test_bot(tmp_path, raw=raw, builtins=BUILTINS)
    try:
        assert time.monotonic() - started < 5
        adapter: Any = tb.bot.adapters["matrix"]
        await asyncio.sleep(1.5)  # a few failed attempts, each logged and retried
        assert not adapter.connected and not adapter.ready.is_set()
        assert adapter._task is not None and not adapter._task.done()
        assert "pong" in (await tb.chat.say("alice", "!ping")).lower()
    finally:
        stopping = time.monotonic()
        await tb.stop()
        assert time.monotonic() - stopping < 5


def test_retry_after_reads_429s_only() -> None:
    assert retry_after(RoomSendError("slow down", "M_LIMIT_EXCEEDED", 1500)) == 1.5
    assert retry_after(RoomSendError("slow down", "M_LIMIT_EXCEEDED", 10**9)) == 60.0
    assert retry_after(RoomSendError("no", "M_FORBIDDEN")) is None
    assert retry_after(object()) is None


async def test_sender_honours_retry_after_then_gives_up() -> None:
    config, _ = build(MatrixConfig, {**GOOD, "rate_limit_retries": 2}, "p",
                      env={"MATRIX_TOKEN": "t"})
    assert config is not None
    sender = Sender(config, Trust("tofu", []))
    calls: list[float] = []

    async def limited() -> object:
        calls.append(time.monotonic())
        return RoomSendError("slow down", "M_LIMIT_EXCEEDED", 50)

    result = await sender.call(limited)
    assert isinstance(result, RoomSendError) and len(calls) == 3
    assert calls[1] - calls[0] >= 0.045 and calls[2] - calls[1] >= 0.045

    answers = iter([RoomSendError("slow", "M_LIMIT_EXCEEDED", 10), "ok"])

    async def once() -> object:
        return next(answers)

    assert await sender.call(once) == "ok"


def test_lru_forgets_the_oldest() -> None:
    lru = LRU(size=2)
    lru.remember("a", "1")
    lru.remember("b", "2")
    lru.remember("a", "1")
    lru.remember("c", "3")
    assert list(lru) == ["a", "c"]


@dataclass
class FakeDevice:
    user_id: str
    device_id: str
    ed25519: str = "KEY"
    trust_state: TrustState = TrustState.unset

    @property
    def id(self) -> str:
        return self.device_id

    @property
    def verified(self) -> bool:
        return self.trust_state is TrustState.verified

    @property
    def blacklisted(self) -> bool:
        return self.trust_state is TrustState.blacklisted


class FakeDeviceStore:
    def __init__(self, devices: list[FakeDevice]) -> None:
        self.devices = devices

    def active_user_devices(self, user: str) -> list[FakeDevice]:
        return [d for d in self.devices if d.user_id == user]


class FakeClient:
    user_id, device_id = "@ruche:s", "BOT"

    def __init__(self, devices: list[FakeDevice]) -> None:
        self.device_store = FakeDeviceStore(devices)
        self.olm = object()

    def verify_device(self, d: FakeDevice) -> None:
        d.trust_state = TrustState.verified

    def blacklist_device(self, d: FakeDevice) -> None:
        d.trust_state = TrustState.blacklisted

    def unblacklist_device(self, d: FakeDevice) -> None:
        d.trust_state = TrustState.unset


def devices() -> list[FakeDevice]:
    return [FakeDevice("@a:s", "A1"), FakeDevice("@a:s", "A2", "OTHER"),
            FakeDevice("@b:s", "B1", trust_state=TrustState.blacklisted),
            FakeDevice("@ruche:s", "BOT")]


@pytest.mark.parametrize(("policy", "expected"), [
    ("tofu", ["verified", "verified", "blacklisted", "unset"]),
    ("all", ["unset", "unset", "blacklisted", "unset"]),
    ("verified-only", ["blacklisted", "blacklisted", "blacklisted", "unset"]),
])
def test_trust_policies(policy: Any, expected: list[str]) -> None:
    found = devices()
    Trust(policy, []).apply(FakeClient(found), ["@a:s", "@b:s", "@ruche:s"])  # type: ignore[arg-type]
    assert [d.trust_state.name for d in found] == expected
    assert Trust(policy, []).share_with_unverified == (policy != "verified-only")


def test_trusted_devices_win_and_are_checked_against_their_fingerprint() -> None:
    found = devices()
    trust = Trust("verified-only", ["@a:s A1 KEY", "@a:s A2 WRONG", "@b:s B1"])
    trust.apply(FakeClient(found), ["@a:s", "@b:s"])  # type: ignore[arg-type]
    assert [d.trust_state.name for d in found[:3]] == ["verified", "blacklisted", "verified"]
    assert parse_trusted(["@a:s A1", "junk"]) == {("@a:s", "A1"): None}
