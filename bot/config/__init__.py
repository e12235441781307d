"""TOML configuration: dataclass schemas, secret references and validation that reports every problem.

Every section (core, adapter or plugin) is a dataclass whose field defaults are the documented
defaults. `build` turns a TOML table into an instance and lists every problem with its key path;
`load_config` does that for the core sections and `validate_config` for the sections adapters and
plugins register at startup. A schema may define ``validate(self) -> list[str]`` for range and
cross-field checks; a message starting with ``"field_name: "`` is reported on that key.
"""

from __future__ import annotations

from bot.config.build import build
from bot.config.chat import apply_overrides, coerce_setting, dump_defaults
from bot.config.loader import Config, load_config, validate_config
from bot.config.sections import (
    CORE_SCHEMAS,
    BotSection,
    CommunitySection,
    ConsoleSection,
    HooksSection,
    LoggingSection,
    StorageSection,
)
from bot.config.values import ConfigError, ConfigErrors, Secret

__all__ = [
    "CORE_SCHEMAS",
    "BotSection",
    "CommunitySection",
    "Config",
    "ConfigError",
    "ConfigErrors",
    "ConsoleSection",
    "HooksSection",
    "LoggingSection",
    "Secret",
    "StorageSection",
    "apply_overrides",
    "build",
    "coerce_setting",
    "dump_defaults",
    "load_config",
    "validate_config",
]
