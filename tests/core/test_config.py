"""Config: schema building, secrets, every-problem reporting, chat-side settings, the example file."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import (
    CORE_SCHEMAS,
    BotSection,
    CommunitySection,
    Config,
    ConfigError,
    ConfigErrors,
    ConsoleSection,
    HooksSection,
    LoggingSection,
    Secret,
    StorageSection,
    apply_overrides,
    build,
    coerce_setting,
    dump_defaults,
    load_config,
    validate_config,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
SECRET_VALUE = "s3cr3t-t0ken-value"


@dataclass
class Reward:
    amount: int = 1
    reason: str = ""


@dataclass
class Inner:
    depth: int = 1


@dataclass
class TipsSection:
    currency: str = "BZZ"
    max_tip: int = 1000
    rate: float = 0.0
    enabled: bool = True
    period: timedelta = timedelta(days=1)
    emojis: list[str] = field(default_factory=lambda: ["🪙"])
    weights: list[int] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    token: Secret | None = None
    mode: Literal["ledger", "mutual_credit"] = "ledger"
    limit: int | None = None
    inner: Inner = field(default_factory=Inner)
    rewards: dict[str, Reward] = field(default_factory=dict)

    def validate(self) -> list[str]:
        problems = []
        if self.max_tip <= 0:
            problems.append("max_tip: must be greater than 0")
        if self.mode == "mutual_credit" and self.limit is None:
            problems.append("mutual_credit mode needs a limit")
        return problems


@dataclass
class DiscordSection:
    token: Secret
    guilds: list[int] = field(default_factory=list)


def paths(problems: list[ConfigError]) -> list[str]:
    return [p.path for p in problems]


def only(problems: list[ConfigError], path: str) -> ConfigError:
    found = [p for p in problems if p.path == path]
    assert len(found) == 1, problems
    return found[0]


# --------------------------------------------------------------------------- Secret and errors


def test_secret_is_masked_everywhere() -> None:
    secret = Secret(SECRET_VALUE)
    assert repr(secret) == str(secret) == f"{secret}" == "Secret('***')"
    assert secret.reveal() == SECRET_VALUE
    assert SECRET_VALUE not in repr(TipsSection(token=secret))
    with pytest.raises(dataclasses.FrozenInstanceError):
        secret._value = "x"  # type: ignore[misc]


def test_config_error_strings() -> None:
    error = ConfigError("plugins.tips.max_tip", "expected an integer, got string 'abc'")
    assert str(error) == "plugins.tips.max_tip: expected an integer, got string 'abc'"
    assert str(ConfigError("a.b", "careful", "warning")) == "a.b: warning: careful"
    errors = ConfigErrors([error, ConfigError("bot.locale", "bad")])
    assert str(errors) == (
        "plugins.tips.max_tip: expected an integer, got string 'abc'\nbot.locale: bad"
    )
    assert len(errors.errors) == 2


# --------------------------------------------------------------------------- build


def test_build_defaults_and_values() -> None:
    data = {
        "currency": "HNY",
        "max_tip": 5,
        "rate": 1,
        "enabled": False,
        "period": "2h30m",
        "emojis": ["a", "b"],
        "weights": [1, 2],
        "names": {"x": "y"},
        "mode": "mutual_credit",
        "limit": 100,
        "inner": {"depth": 3},
        "rewards": {"idea": {"amount": 50}, "poll": {}},
    }
    tips, problems = build(TipsSection, data, "plugins.tips")
    assert problems == []
    assert tips == TipsSection(
        currency="HNY",
        max_tip=5,
        rate=1.0,
        enabled=False,
        period=timedelta(hours=2, minutes=30),
        emojis=["a", "b"],
        weights=[1, 2],
        names={"x": "y"},
        mode="mutual_credit",
        limit=100,
        inner=Inner(3),
        rewards={"idea": Reward(50), "poll": Reward()},
    )
    assert isinstance(tips.rate, float)
    default, problems = build(TipsSection, {})
    assert default == TipsSection() and problems == []


def test_build_reports_every_problem_with_its_path() -> None:
    data = {
        "max_tip": "abc",
        "maxtip": 3,
        "rate": "x",
        "enabled": "yes",
        "period": "3x",
        "emojis": ["ok", 3],
        "weights": [1, True],
        "names": {"a": 1},
        "mode": "Ledger",
        "limit": 1.5,
        "inner": {"depht": 1},
        "rewards": {"idea": {"amount": "many"}, "bad": 3},
    }
    tips, problems = build(TipsSection, data, "plugins.tips")
    assert tips is None
    messages = {p.path: p.message for p in problems}
    assert messages == {
        "plugins.tips.max_tip": "expected an integer, got string 'abc'",
        "plugins.tips.maxtip": "unknown key; did you mean 'max_tip'?",
        "plugins.tips.rate": "expected a number, got string 'x'",
        "plugins.tips.enabled": "expected a boolean (true or false), got string 'yes'",
        "plugins.tips.period": "invalid duration '3x': unknown unit 'x' (use w, d, h, m or s)",
        "plugins.tips.emojis[1]": "expected a string, got integer 3",
        "plugins.tips.weights[1]": "expected an integer, got boolean True",
        "plugins.tips.names.a": "expected a string, got integer 1",
        "plugins.tips.mode": (
            "expected one of 'ledger', 'mutual_credit', got string 'Ledger'; did you mean 'ledger'?"
        ),
        "plugins.tips.limit": "expected an integer, got float 1.5",
        "plugins.tips.inner.depht": "unknown key; did you mean 'depth'?",
        "plugins.tips.rewards.idea.amount": "expected an integer, got string 'many'",
        "plugins.tips.rewards.bad": "expected a table, got integer 3",
    }
    assert all(p.severity == "error" for p in problems)
    assert str(only(problems, "plugins.tips.max_tip")) == (
        "plugins.tips.max_tip: expected an integer, got string 'abc'"
    )


def test_bool_is_not_an_int_and_floats_must_be_finite() -> None:
    _, problems = build(TipsSection, {"max_tip": True, "rate": float("nan")}, "t")
    assert only(problems, "t.max_tip").message == "expected an integer, got boolean True"
    assert only(problems, "t.rate").message == "expected a finite number, got float nan"
    _, problems = build(TipsSection, {"rate": float("inf")}, "t")
    assert paths(problems) == ["t.rate"]


def test_unknown_key_without_close_match_lists_valid_keys() -> None:
    _, problems = build(Inner, {"zzz": 1}, "s")
    assert only(problems, "s.zzz").message == "unknown key; valid keys: depth"


def test_wrong_kinds_are_named_in_toml_terms() -> None:
    _, problems = build(TipsSection, {"emojis": "🪙", "names": [], "inner": 2, "period": 3})
    messages = {p.path: p.message for p in problems}
    assert messages["emojis"] == "expected an array of strings, got string '🪙'"
    assert messages["names"] == "expected a table, got an array"
    assert messages["inner"] == "expected a table, got integer 2"
    assert messages["period"] == 'expected a duration like "3d" or "2h30m", got integer 3'


def test_validate_messages_get_the_section_path() -> None:
    _, problems = build(TipsSection, {"max_tip": 0, "mode": "mutual_credit"}, "plugins.tips")
    assert {(p.path, p.message) for p in problems} == {
        ("plugins.tips.max_tip", "must be greater than 0"),
        ("plugins.tips", "mutual_credit mode needs a limit"),
    }


def test_validate_that_raises_is_reported() -> None:
    @dataclass
    class Buggy:
        x: int = 1

        def validate(self) -> list[str]:
            raise RuntimeError("oops")

    instance, problems = build(Buggy, {}, "p")
    assert instance is None
    assert only(problems, "p").message == "validate() failed: RuntimeError: oops"


def test_unsupported_schema_type_is_a_reported_error() -> None:
    @dataclass
    class Odd:
        x: set[int] = field(default_factory=set)

    instance, problems = build(Odd, {"x": [1]}, "p")
    assert instance is None
    assert only(problems, "p.x").message.startswith("schema error: unsupported field type")


def test_non_table_data() -> None:
    instance, problems = build(Inner, 3, "p")  # type: ignore[arg-type]
    assert instance is None
    assert only(problems, "p").message == "expected a table, got integer 3"


def test_missing_required_key() -> None:
    instance, problems = build(DiscordSection, {}, "platforms.discord")
    assert instance is None
    assert only(problems, "platforms.discord.token").message == "missing required key"


def test_quoted_keys_in_paths() -> None:
    _, problems = build(TipsSection, {"rewards": {"a.b": {"amount": "x"}}}, "t")
    assert paths(problems) == ['t.rewards."a.b".amount']


# --------------------------------------------------------------------------- secrets in TOML


def test_secret_from_env() -> None:
    section, problems = build(
        DiscordSection, {"token": {"env": "TOKEN"}}, env={"TOKEN": SECRET_VALUE + "\n"}
    )
    assert problems == []
    assert section is not None and section.token.reveal() == SECRET_VALUE


def test_secret_from_file_is_stripped_and_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(f"  {SECRET_VALUE}\n", encoding="utf-8")
    section, problems = build(DiscordSection, {"token": {"file": str(tmp_path / "token")}})
    assert problems == [] and section is not None
    assert section.token.reveal() == SECRET_VALUE
    section, problems = build(DiscordSection, {"token": {"file": "token"}}, base_dir=tmp_path)
    assert problems == [] and section is not None
    assert section.token.reveal() == SECRET_VALUE


def test_plain_string_secret_is_accepted_with_a_warning() -> None:
    section, problems = build(DiscordSection, {"token": SECRET_VALUE}, "platforms.discord")
    assert section is not None and section.token.reveal() == SECRET_VALUE
    warning = only(problems, "platforms.discord.token")
    assert warning.severity == "warning"
    assert "env" in warning.message and "file" in warning.message
    assert SECRET_VALUE not in str(warning)


@pytest.mark.parametrize(
    ("value", "env", "message"),
    [
        ({"env": "NOPE"}, {}, "environment variable NOPE is not set"),
        ({"env": "EMPTY"}, {"EMPTY": "  "}, "environment variable EMPTY is empty"),
        ({"env": ""}, {}, "env must name an environment variable"),
        ({"file": "/nonexistent/ruche-secret"}, {}, "cannot read secret file"),
        ({"env": "A", "file": "/x"}, {}, "exactly one key, env or file (found: env, file)"),
        ({"value": SECRET_VALUE}, {}, "exactly one key, env or file (found: value)"),
        (12345, {}, "got integer"),
        ("", {}, "secret is empty"),
    ],
)
def test_secret_problems_name_the_key_never_the_value(
    value: object, env: dict[str, str], message: str
) -> None:
    section, problems = build(DiscordSection, {"token": value}, "platforms.discord", env=env)
    assert section is None
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1
    assert errors[0].path == "platforms.discord.token"
    assert message in errors[0].message
    assert SECRET_VALUE not in "\n".join(map(str, problems))
    assert "12345" not in "\n".join(map(str, problems))


def test_empty_secret_file(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    _, problems = build(DiscordSection, {"token": {"file": str(tmp_path / "empty")}}, "d")
    assert "is empty" in only(problems, "d.token").message


def test_optional_secret_defaults_to_none() -> None:
    section, problems = build(TipsSection, {}, env={})
    assert section is not None and section.token is None and problems == []


# --------------------------------------------------------------------------- load_config / Config


def test_zero_config_defaults() -> None:
    config = load_config(None, env={})
    assert config.path is None
    assert config.raw == {}
    assert config.bot == BotSection()
    assert config.bot.name == "Ruche" and config.bot.command_prefix == "!"
    assert config.bot.locale == "en" and config.bot.timezone == "UTC"
    assert config.storage.url == "sqlite:///data/ruche.sqlite3"
    assert config.logging == LoggingSection("INFO", "text")
    assert config.console == ConsoleSection(True, "console", ["operator"], ["operator"])
    assert config.plugins_disabled == []
    assert config.communities == {}
    assert config.hooks == HooksSection(10.0)
    assert config.warnings == []


def test_load_file(tmp_path: Path) -> None:
    path = tmp_path / "ruche.toml"
    path.write_text(
        """
[bot]
locale = "fr"
command_prefix = "?"
timezone = "Europe/Paris"

[platforms.console]
moderators = ["operator", "alice"]

[plugins]
disabled = ["votes"]

[plugins.tips]
max_tip = 500

[communities.home]
name = "Home"
locale = "en"
rooms = ["console:console", "discord:123", "matrix:!abc:example.org"]

[communities.other]
prefix = "$"
rooms = ["matrix-space:!space:example.org"]
""",
        encoding="utf-8",
    )
    config = load_config(path, env={})
    assert config.path == path
    assert config.bot.locale == "fr" and config.bot.command_prefix == "?"
    assert config.console.moderators == ["operator", "alice"]
    assert config.plugins_disabled == ["votes"]
    assert config.communities["home"] == CommunitySection(
        "Home", "en", None, ["console:console", "discord:123", "matrix:!abc:example.org"]
    )
    assert config.community_locale("home") == "en"
    assert config.community_locale("other") == "fr"
    assert config.community_locale("nope") == "fr"
    assert config.community_prefix("other") == "$"
    assert config.community_prefix("home") == "?"
    assert config.plugin_raw("tips") == {"max_tip": 500}
    assert config.plugin_raw("ideas") == {}
    config.plugin_raw("tips")["max_tip"] = 1
    assert config.raw["plugins"]["tips"]["max_tip"] == 500


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[bot]\nname = "x"\nlocale = \n', encoding="utf-8")
    with pytest.raises(ConfigErrors) as info:
        load_config(path)
    (error,) = info.value.errors
    assert error.path == f"{path}:3"
    assert error.message.startswith("invalid TOML:")
    assert "line 3" in str(error)


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors, match="cannot read config file"):
        load_config(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[bot]\nname = "caf\xe9"\n')
    with pytest.raises(ConfigErrors, match="not UTF-8"):
        load_config(path)


def test_core_errors_are_all_reported_at_once() -> None:
    raw: dict[str, Any] = {
        "bot": {"locale": "de", "prefixx": "!"},
        "storage": {"url": 3},
        "logging": {"level": "info", "format": "xml"},
        "platforms": {"console": {"moderators": "alice"}},
        "plugins": {"disabled": "votes"},
        "communities": {"a b": {"rooms": ["discord:abc"]}, "ok": {"locale": "es"}},
        "hooks": {"timeout": "10s"},
    }
    with pytest.raises(ConfigErrors) as info:
        Config(raw, env={})
    assert sorted(paths(info.value.errors)) == sorted(
        [
            "bot.locale",
            "bot.prefixx",
            "storage.url",
            "logging.level",
            "logging.format",
            "platforms.console.moderators",
            "plugins.disabled",
            'communities."a b".rooms',
            'communities."a b"',
            "communities.ok.locale",
            "hooks.timeout",
        ]
    )
    assert "did you mean 'INFO'?" in only(info.value.errors, "logging.level").message


@pytest.mark.parametrize(
    ("raw", "path", "fragment"),
    [
        ({"bot": {"timezone": "Mars/Olympus"}}, "bot.timezone", "unknown time zone"),
        ({"bot": {"command_prefix": ""}}, "bot.command_prefix", "non-empty"),
        ({"bot": {"command_prefix": "! "}}, "bot.command_prefix", "no spaces"),
        ({"bot": {"command_prefix": "!!!!!!"}}, "bot.command_prefix", "at most 5"),
        ({"bot": {"name": " "}}, "bot.name", "must not be empty"),
        ({"storage": {"url": "mysql://u:pw@h/db"}}, "storage.url", "sqlite"),
        ({"hooks": {"timeout": 0}}, "hooks.timeout", "greater than 0"),
        ({"platforms": {"console": {"room": ""}}}, "platforms.console.room", "non-empty"),
        ({"platforms": 3}, "platforms", "expected a table"),
        ({"plugins": []}, "plugins", "expected a table"),
        ({"communities": {"c": {"rooms": ["nocolon"]}}}, "communities.c.rooms", "PLATFORM:ID"),
        ({"communities": {"c": {"rooms": ["matrix:abc"]}}}, "communities.c.rooms", "Matrix id"),
        ({"communities": {"c": {"prefix": ""}}}, "communities.c.prefix", "non-empty"),
    ],
)
def test_core_range_checks(raw: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        Config(raw, env={})
    error = only(info.value.errors, path)
    assert fragment in error.message
    assert "pw@" not in str(info.value)


def test_announce_rooms_are_checked_like_rooms() -> None:
    raw = {"communities": {"a": {"rooms": ["console:console"], "announce_rooms": ["nope"]}}}
    with pytest.raises(ConfigErrors) as info:
        Config(raw)
    assert "invalid room 'nope'" in only(info.value.errors,
                                               "communities.a.announce_rooms").message
    config = Config({"communities": {"a": {"rooms": ["console:console"],
                                           "announce_rooms": ["irc:#x"]}}})
    found = {(p.path, p.message) for p in validate_config(config, SCHEMAS)}
    assert ("communities.a.announce_rooms",
            "room 'irc:#x': platform 'irc' is not configured") in found
    assert config.communities["a"].announcement_rooms() == ["irc:#x"]
    default = Config({"communities": {"a": {"rooms": ["console:console"]}}})
    assert default.communities["a"].announcement_rooms() == ["console:console"]


def test_room_in_two_communities() -> None:
    raw = {
        "communities": {"a": {"rooms": ["console:console"]}, "b": {"rooms": ["console:console"]}}
    }
    with pytest.raises(ConfigErrors) as info:
        Config(raw)
    assert only(info.value.errors, "communities.b.rooms").message == (
        "room 'console:console' already belongs to community 'a'"
    )


def test_section_builds_caches_and_raises(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text(SECRET_VALUE, encoding="utf-8")
    path = tmp_path / "ruche.toml"
    path.write_text(
        '[platforms.discord]\ntoken = { file = "tok" }\n'
        '[plugins.tips]\nmax_tip = "lots"\ncurrency = "HNY"\n'
        '[plugins.votes]\ntoken = "inline"\n',
        encoding="utf-8",
    )
    config = load_config(path, env={})
    discord = config.section("platforms.discord", DiscordSection)
    assert discord.token.reveal() == SECRET_VALUE
    assert config.section("platforms.discord", DiscordSection) is discord
    with pytest.raises(ConfigErrors) as info:
        config.section("plugins.tips", TipsSection)
    assert str(info.value) == "plugins.tips.max_tip: expected an integer, got string 'lots'"
    votes = config.section("plugins.votes", TipsSection)
    assert votes.token is not None
    assert [str(w) for w in config.warnings] == [
        'plugins.votes.token: warning: secret written in the config file; use { env = "NAME" } '
        'or { file = "/path" }'
    ]
    assert config.section("plugins.absent", TipsSection) == TipsSection()
    assert config.section("bot", BotSection) is config.bot


# --------------------------------------------------------------------------- validate_config


SCHEMAS: dict[str, type] = {
    "plugins.tips": TipsSection,
    "plugins.ideas": Inner,
    "platforms.discord": DiscordSection,
    "web": Inner,
}


def test_validate_config_clean() -> None:
    config = Config({"plugins": {"tips": {"max_tip": 3}}, "web": {"depth": 2}})
    assert validate_config(config, SCHEMAS) == []


def test_validate_config_reports_everything() -> None:
    raw: dict[str, Any] = {
        "bott": {},
        "webb": {},
        "platforms": {"discrod": {}, "irc": {}},
        "plugins": {
            "disabled": ["votes", "tipz"],
            "tips": {"max_tip": -1, "currency": 3},
            "ideas": {"depth": "deep"},
            "votes": {"anything": "goes"},
            "idaes": {},
            "weather": {},
        },
        "communities": {"c": {"rooms": ["irc:#chan", "matrix:!a:b"]}},
    }
    config = Config(raw)
    problems = validate_config(config, SCHEMAS, known_plugins={"tips", "ideas", "votes", "pulse"})
    messages = {(p.path, p.severity): p.message for p in problems}
    assert messages[("bott", "error")] == "unknown section; did you mean 'bot'?"
    assert messages[("webb", "error")] == "unknown section; did you mean 'web'?"
    assert messages[("platforms.discrod", "error")] == (
        "no such platform; loaded: console, discord; did you mean 'discord'?"
    )
    assert messages[("platforms.irc", "error")] == "no such platform; loaded: console, discord"
    assert messages[("plugins.idaes", "error")] == (
        "no such plugin; loaded: ideas, pulse, tips; did you mean 'ideas'?"
    )
    assert messages[("plugins.weather", "error")].startswith("no such plugin; loaded:")
    assert messages[("plugins.disabled", "warning")] == (
        "'tipz' is not a known plugin; did you mean 'tips'?"
    )
    assert messages[("plugins.tips.currency", "error")] == "expected a string, got integer 3"
    assert messages[("plugins.ideas.depth", "error")] == "expected an integer, got string 'deep'"
    room_messages = sorted(p.message for p in problems if p.path == "communities.c.rooms")
    assert room_messages == [
        "room 'irc:#chan': platform 'irc' is not configured",
        "room 'matrix:!a:b': platform 'matrix' is not configured",
    ]
    assert not any(p.path.startswith("plugins.votes") for p in problems)
    # A range problem shows beside a type error of the same section: one pass finds both.
    assert messages[("plugins.tips.max_tip", "error")] == "must be greater than 0"


def test_lenient_config_keeps_core_errors_and_checks_the_rest() -> None:
    raw: dict[str, Any] = {"bot": {"command_prefix": 3}, "hooks": {"timeout": 0},
                           "communities": {"ok": {"rooms": ["irc:#x"]},
                                           "bad": {"rooms": ["nope"]}},
                           "plugins": {"tips": {"currency": 3}}}
    with pytest.raises(ConfigErrors):
        Config(raw)
    config = Config(raw, lenient=True)
    assert config.bot.command_prefix == "!" and config.hooks.timeout == 10.0  # the defaults
    assert list(config.communities) == ["ok"]  # the valid community is still checked
    found = {(p.path, p.message) for p in validate_config(config, SCHEMAS)}
    assert ("bot.command_prefix", "expected a string, got integer 3") in found
    assert ("hooks.timeout", "must be greater than 0") in found
    assert ("communities.ok.rooms", "room 'irc:#x': platform 'irc' is not configured") in found
    assert any(path == "communities.bad.rooms" for path, _ in found)
    assert ("plugins.tips.currency", "expected a string, got integer 3") in found


def test_validate_config_plugin_without_settings_and_range_check() -> None:
    config = Config({"plugins": {"pulse": {"x": 1}, "tips": {"max_tip": 0}}})
    problems = validate_config(config, SCHEMAS, known_plugins={"tips", "pulse"})
    assert {(p.path, p.message) for p in problems} == {
        ("plugins.pulse", "this plugin has no settings"),
        ("plugins.tips.max_tip", "must be greater than 0"),
    }


def test_validate_config_without_known_plugins_uses_schemas() -> None:
    config = Config({"plugins": {"disabled": ["ideas", "nope"]}})
    problems = validate_config(config, SCHEMAS)
    assert [(p.path, p.severity) for p in problems] == [("plugins.disabled", "warning")]
    assert "'nope'" in problems[0].message


def test_validate_config_required_plugin_keys_and_platform_presence() -> None:
    config = Config({"platforms": {"discord": {}}})
    problems = validate_config(config, {"platforms.discord": DiscordSection})
    assert paths(problems) == ["platforms.discord.token"]
    assert validate_config(Config({}), {"platforms.discord": DiscordSection}) == []


def test_validate_config_includes_core_warnings() -> None:
    config = Config({"plugins": {"tips": {"token": "inline"}}})
    config.section("plugins.tips", TipsSection)
    problems = validate_config(config, SCHEMAS)
    assert [(p.path, p.severity) for p in problems].count(("plugins.tips.token", "warning")) >= 1


# --------------------------------------------------------------------------- chat-side settings


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("max_tip", "500", 500),
        ("max_tip", " -3 ", -3),
        ("rate", "0.5", 0.5),
        ("rate", "2", 2.0),
        ("enabled", "yes", True),
        ("enabled", "OFF", False),
        ("enabled", "true", True),
        ("currency", "HNY", "HNY"),
        ("period", "2h 30m", timedelta(hours=2, minutes=30)),
        ("emojis", "a, b,,c", ["a", "b", "c"]),
        ("weights", "1,2", [1, 2]),
        ("weights", "", []),
        ("mode", "mutual_credit", "mutual_credit"),
        ("mode", "LEDGER", "ledger"),
        ("limit", "none", None),
        ("limit", "7", 7),
        ("inner.depth", "4", 4),
    ],
)
def test_coerce_setting(key: str, raw: str, expected: object) -> None:
    value = coerce_setting(TipsSection, key, raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("max_tip", "abc", "expected a whole number"),
        ("max_tip", "1e3", "expected a whole number"),
        ("max_tip", "٣", "expected a whole number"),
        ("max_tip", "1_000", "expected a whole number"),
        ("max_tip", "1.5", "expected a whole number"),
        ("rate", "nan", "expected a number"),
        ("rate", "inf", "expected a number"),
        ("enabled", "maybe", "expected yes or no"),
        ("period", "3x", "invalid duration '3x'"),
        ("mode", "other", "expected one of ledger, mutual_credit"),
        ("weights", "1,x", "expected a whole number"),
        ("token", "abc", "secret"),
        ("maxtip", "5", "unknown setting 'maxtip'; did you mean 'max_tip'?"),
        ("names", "a=b", "cannot be changed from chat"),
        ("rewards", "x", "cannot be changed from chat"),
        ("inner", "x", "cannot be changed from chat"),
        ("currency.x", "x", "has no sub-settings"),
        ("currency", "a\x00b", "control characters"),
        ("currency", "x" * 5000, "too long"),
    ],
)
def test_coerce_setting_rejects(key: str, raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)) as info:
        coerce_setting(TipsSection, key, raw)
    assert "\n" not in str(info.value)


def test_secret_fields_are_never_settable() -> None:
    with pytest.raises(ValueError, match="secret"):
        coerce_setting(DiscordSection, "token", "x")


def test_apply_overrides_revalidates() -> None:
    tips = TipsSection()
    updated = apply_overrides(tips, {"max_tip": 500, "inner.depth": 2})
    assert updated.max_tip == 500 and updated.inner.depth == 2 and tips.max_tip == 1000
    with pytest.raises(ValueError, match="max_tip: must be greater than 0"):
        apply_overrides(tips, {"max_tip": coerce_setting(TipsSection, "max_tip", "0")})


def test_dump_defaults() -> None:
    assert dump_defaults(TipsSection) == {
        "currency": "BZZ",
        "max_tip": 1000,
        "rate": 0.0,
        "enabled": True,
        "period": "1d",
        "emojis": ["🪙"],
        "weights": [],
        "names": {},
        "mode": "ledger",
        "limit": None,
        "inner": {"depth": 1},
        "rewards": {},
    }
    assert dump_defaults(DiscordSection) == {"guilds": []}
    assert dump_defaults(BotSection) == {
        "name": "Ruche",
        "command_prefix": "!",
        "locale": "en",
        "data_dir": "data",
        "timezone": "UTC",
    }


def test_defaults_dumped_then_built_round_trip() -> None:
    for schema in (TipsSection, *CORE_SCHEMAS.values()):
        data = {k: v for k, v in dump_defaults(schema).items() if v is not None}
        instance, problems = build(schema, data)
        assert problems == [] and instance == schema()


# --------------------------------------------------------------------------- robustness

toml_scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
)
_CORE_FIELDS = {f.name for schema in CORE_SCHEMAS.values() for f in dataclasses.fields(schema)}
field_names = st.sampled_from(
    [*sorted(_CORE_FIELDS), "console", "disabled", "tips", "home", "env", "file"]
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(field_names, st.text(max_size=8)), inner, max_size=3),
    ),
    max_leaves=10,
)
section_names = st.sampled_from(
    ["bot", "storage", "logging", "platforms", "plugins", "communities", "hooks", "x"]
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.dictionaries(section_names, toml_values, max_size=4))
def test_config_never_crashes(raw: dict[str, Any]) -> None:
    try:
        config = Config(raw, env={})
    except ConfigErrors as errors:
        assert errors.errors and all(isinstance(e, ConfigError) for e in errors.errors)
    else:
        assert isinstance(validate_config(config, SCHEMAS), list)


@given(st.text(max_size=30))
def test_coerce_setting_only_raises_value_error(raw: str) -> None:
    for key in ("max_tip", "rate", "enabled", "period", "emojis", "weights", "mode", "limit"):
        try:
            coerce_setting(TipsSection, key, raw)
        except ValueError:
            pass


# --------------------------------------------------------------------------- config.example.toml

_HEADER = re.compile(r"^#?\s*\[([A-Za-z0-9_.\"-]+)\]\s*(?:#.*)?$")
_KEY = re.compile(r"^#?\s*([A-Za-z0-9_]+)\s*=")


def _documented_keys(text: str) -> set[tuple[str, str]]:
    """(section, key) pairs written in the file, commented-out examples included."""
    found: set[tuple[str, str]] = set()
    section = ""
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            section = re.sub(r"^communities\.[^.]+$", "communities.*", header[1])
            continue
        key = _KEY.match(line)
        if key:
            found.add((section, key[1]))
    return found


def _uncommented(text: str) -> str:
    """The example with its commented-out sections (header and key lines) enabled."""
    lines = []
    in_commented_section = False
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            in_commented_section = line.startswith("#")
        if in_commented_section and line.startswith("#") and (header or _KEY.match(line)):
            line = line[1:].lstrip()
        lines.append(line)
    return "\n".join(lines)


def test_example_config_loads_cleanly() -> None:
    config = load_config(EXAMPLE, env={})
    assert config.warnings == []
    # Plugin sections are checked against the schemas the loaded plugins register.
    from bot.app import Bot

    bot = Bot(config, use_entry_points=False)
    asyncio.run(bot.load())
    assert validate_config(config, bot.config_schemas) == []
    assert config.bot == BotSection()
    assert config.storage == StorageSection()
    assert config.logging == LoggingSection()
    assert config.console == ConsoleSection()
    assert config.hooks == HooksSection()
    assert config.plugins_disabled == []


def test_example_config_documents_every_core_key() -> None:
    documented = _documented_keys(EXAMPLE.read_text(encoding="utf-8"))
    missing = [
        f"[{section}] {f.name}"
        for section, schema in CORE_SCHEMAS.items()
        for f in dataclasses.fields(schema)
        if (section, f.name) not in documented
    ]
    if ("plugins", "disabled") not in documented:
        missing.append("[plugins] disabled")
    assert not missing, "config.example.toml lacks: " + ", ".join(missing)


def test_example_config_commented_examples_are_valid() -> None:
    raw = tomllib.loads(_uncommented(EXAMPLE.read_text(encoding="utf-8")))
    config = Config(raw, env={})
    assert config.communities, "the commented [communities.*] example should be enabled here"


def test_example_config_defaults_match_the_schemas() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, schema in CORE_SCHEMAS.items():
        if "*" in section:
            continue
        table: Any = raw
        for part in section.split("."):
            table = table[part]
        defaults = {k: v for k, v in dump_defaults(schema).items() if v is not None}
        assert table == defaults, section


def test_example_config_ends_with_plugins_marker() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "# --- plugins ---" in text
    core_part = text.split("# --- plugins ---", 1)[0]
    assert "[plugins]" in core_part


def test_union_with_secret_never_echoes_the_value() -> None:
    @dataclass
    class Either:
        token: Secret | int = 0

    _, problems = build(Either, {"token": [SECRET_VALUE]}, "p")
    assert only(problems, "p.token").message.endswith("got array")
    _, problems = build(Either, {"token": 1.5}, "p")
    assert "1.5" not in str(problems)
