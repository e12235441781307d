"""Secret references: the one rule for where `{ env = … }` and `{ file = … }` take their value.

The config loader and the log redaction both call `resolve_secret`, so the bot never redacts
a different value from the one it uses. A relative `{ file = … }` is looked up in systemd's
`$CREDENTIALS_DIRECTORY` when that is set (`LoadCredential=`), else next to the config file
(in the working directory when there is no file); an absolute path is used as written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY"


class SecretUnavailable(Exception):
    """A reference that names no usable value; the message never contains the secret."""


def is_reference(value: object) -> bool:
    """Whether a raw TOML value is a `{ env = … }` or `{ file = … }` table."""
    return isinstance(value, Mapping) and [str(k) for k in value] in (["env"], ["file"])


def secret_file_path(name: str, *, env: Mapping[str, str], base_dir: Path | None) -> Path:
    """Where a `{ file = NAME }` secret lives, so systemd credentials need no absolute path."""
    file = Path(name).expanduser()
    if file.is_absolute():
        return file
    credentials = env.get(CREDENTIALS_DIRECTORY)
    if credentials:
        return Path(credentials) / file
    return base_dir / file if base_dir is not None else file


def resolve_secret(
    reference: Mapping[str, object], *, env: Mapping[str, str], base_dir: Path | None
) -> str:
    """The stripped value of a secret reference; raises SecretUnavailable saying why not."""
    keys = sorted(str(k) for k in reference)
    if keys == ["env"]:
        name = reference["env"]
        if not isinstance(name, str) or not name:
            raise SecretUnavailable("env must name an environment variable")
        if name not in env:
            raise SecretUnavailable(f"environment variable {name} is not set")
        value = env[name].strip()
        if not value:
            raise SecretUnavailable(f"environment variable {name} is empty")
        return value
    if keys == ["file"]:
        name = reference["file"]
        if not isinstance(name, str) or not name:
            raise SecretUnavailable("file must be a path")
        file = secret_file_path(name, env=env, base_dir=base_dir)
        where = "" if str(file) == name else f" (looked at {file})"
        try:
            value = file.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            raise SecretUnavailable(f"secret file {name!r} is not UTF-8 text") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SecretUnavailable(f"cannot read secret file {name!r}{where}: {reason}") from None
        if not value:
            raise SecretUnavailable(f"secret file {name!r} is empty")
        return value
    raise SecretUnavailable(
        f"a secret reference has exactly one key, env or file (found: {', '.join(keys) or 'none'})"
    )


def secret_values(raw: object, *, env: Mapping[str, str], base_dir: Path | None) -> Iterator[str]:
    """Every secret the raw config references and that resolves, for log redaction."""
    if isinstance(raw, Mapping):
        if is_reference(raw):
            try:
                yield resolve_secret(raw, env=env, base_dir=base_dir)
            except SecretUnavailable:
                pass
            return
        for value in raw.values():
            yield from secret_values(value, env=env, base_dir=base_dir)
    elif isinstance(raw, list):
        for value in raw:
            yield from secret_values(value, env=env, base_dir=base_dir)
