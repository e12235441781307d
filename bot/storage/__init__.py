"""Storage: one async database API over SQLite (default) and PostgreSQL, plus migrations."""

from bot.storage.db import (
    Database,
    DatabaseTooNew,
    DatabaseUnavailable,
    IntegrityError,
    Row,
    StorageError,
    Tx,
    open_database,
)
from bot.storage.migrations import Migrations, migration_status, run_migrations, serial_pk

__all__ = [
    "Database",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "IntegrityError",
    "Migrations",
    "Row",
    "StorageError",
    "Tx",
    "migration_status",
    "open_database",
    "run_migrations",
    "serial_pk",
]
