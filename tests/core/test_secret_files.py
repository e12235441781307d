"""`{ file = … }` secrets: systemd credentials, the config's folder, and redaction using the same rule."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.adapters.discord import DiscordConfig
from bot.config import ConfigErrors, load_config
from bot.logs import RedactSecrets

TOKEN = "discord-token-from-credentials"


def _config_file(folder: Path, token_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ruche.toml"
    path.write_text(f"[platforms.discord]\n{token_line}\n", encoding="utf-8")
    return path


def test_relative_file_is_read_from_credentials_directory(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "discord-token").write_text(TOKEN + "\n", encoding="utf-8")
    # A file of the same name next to the config must lose to the credential.
    config_dir = tmp_path / "etc"
    path = _config_file(config_dir, 'token = { file = "discord-token" }')
    (config_dir / "discord-token").write_text("the-wrong-token", encoding="utf-8")

    config = load_config(path, env={"CREDENTIALS_DIRECTORY": str(credentials)})

    assert config.section("platforms.discord", DiscordConfig).token.reveal() == TOKEN
    assert list(config.secret_values()) == [TOKEN]


def test_relative_file_without_credentials_directory_is_next_to_the_config(
    tmp_path: Path,
) -> None:
    config_dir = tmp_path / "etc"
    path = _config_file(config_dir, 'token = { file = "secrets/discord-token" }')
    (config_dir / "secrets").mkdir()
    (config_dir / "secrets" / "discord-token").write_text("beside-the-config", encoding="utf-8")

    config = load_config(path, env={})

    assert config.section("platforms.discord", DiscordConfig).token.reveal() == "beside-the-config"
    assert list(config.secret_values()) == ["beside-the-config"]


def test_absolute_file_ignores_credentials_directory(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "token"
    secret.parent.mkdir()
    secret.write_text("absolute-token", encoding="utf-8")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    path = _config_file(tmp_path / "etc", f'token = {{ file = "{secret}" }}')

    config = load_config(path, env={"CREDENTIALS_DIRECTORY": str(credentials)})

    assert config.section("platforms.discord", DiscordConfig).token.reveal() == "absolute-token"


def test_missing_credential_names_where_it_looked(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    path = _config_file(tmp_path / "etc", 'token = { file = "discord-token" }')
    config = load_config(path, env={"CREDENTIALS_DIRECTORY": str(credentials)})

    with pytest.raises(ConfigErrors) as caught:
        config.section("platforms.discord", DiscordConfig)

    message = str(caught.value)
    assert "platforms.discord.token" in message
    assert str(credentials / "discord-token") in message


def test_redaction_resolves_relative_files_like_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log filter gets the value the bot uses, not a same-named file in the working directory."""
    config_dir = tmp_path / "etc"
    path = _config_file(config_dir, 'token = { file = "discord-token" }')
    (config_dir / "discord-token").write_text("real-token-value", encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "discord-token").write_text("decoy-token-value", encoding="utf-8")
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)

    config = load_config(path)  # the process environment, as `ruche run` uses it
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "token %s", ("real-token-value",),
                               None)
    RedactSecrets(config.secret_values()).filter(record)

    assert record.getMessage() == "token ***"
