"""`[plugins.pulse]` (digests, `!pulse`) and `[web]` (the dashboard server), with defaults."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from bot.api import Secret, operator_only


@dataclass(frozen=True)
class PulseConfig:
    """Defaults that make `!pulse` useful with no config; digests wait for a room."""

    digest: Literal["off", "daily", "weekly"] = "off"  # how often the digest is posted
    digest_room: str = ""  # where, as PLATFORM:ROOM (e.g. "matrix:!abc:example.org"); "" = nowhere
    closing_soon: timedelta = timedelta(days=1)  # polls closing within this are "closing soon"
    flow_window: timedelta = timedelta(days=30)  # the token-flow view aggregates tips this far back
    activity_items: int = 15  # entries in the dashboard's recent-activity list
    column_items: int = 8  # ideas shown per pipeline column (the count shows them all)
    show_treasury: bool = True  # the dashboard shows the treasury balance
    # how long pulse keeps its activity records
    retention: timedelta = operator_only(timedelta(days=60))
    # how long a `!dashboard` link to a member's own page works
    personal_link_ttl: timedelta = operator_only(timedelta(days=7))

    def validate(self) -> list[str]:
        """Ranges a type cannot express, reported with their key."""
        problems: list[str] = []
        if self.digest_room and (":" not in self.digest_room
                                 or not all(self.digest_room.split(":", 1))):
            problems.append("digest_room: expected PLATFORM:ROOM like 'discord:1234' or ''")
        if not 1 <= self.activity_items <= 100:
            problems.append("activity_items: must be between 1 and 100")
        if not 1 <= self.column_items <= 50:
            problems.append("column_items: must be between 1 and 50")
        if self.retention < timedelta(days=8):
            problems.append("retention: must be at least 8d (a weekly digest reads 7 days)")
        if self.flow_window > self.retention:
            problems.append("flow_window: must not exceed retention")
        if not timedelta(hours=1) <= self.personal_link_ttl <= timedelta(days=90):
            problems.append("personal_link_ttl: must be between 1h and 90d")
        if self.closing_soon <= timedelta(0):
            problems.append("closing_soon: must be positive")
        return problems


@dataclass(frozen=True)
class WebConfig:
    """[web]: the read-only dashboard, /healthz and /metrics; off unless enabled."""

    enabled: bool = False
    bind: str = "127.0.0.1"  # address to listen on; "0.0.0.0" for every interface
    port: int = 8080  # 0 picks a free port (tests)
    public_url: str = ""  # the address people use (behind a proxy); default http://BIND:PORT
    public: bool = True  # communities without a token are readable by anyone who can connect
    tokens: dict[str, Secret] = field(default_factory=dict)  # community id → access token
    metrics_token: Secret | None = None  # if set, /metrics needs `Authorization: Bearer …`

    def validate(self) -> list[str]:
        """Catch an unusable address before the server fails to bind at startup."""
        problems: list[str] = []
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            if self.bind != "localhost":
                problems.append("bind: expected an IP address like 127.0.0.1 or 0.0.0.0")
        if not 0 <= self.port <= 65535:
            problems.append("port: must be between 0 and 65535")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            problems.append("public_url: must start with http:// or https://")
        for community, token in self.tokens.items():
            if len(token.reveal()) < 16:
                problems.append(f"tokens.{community}: use at least 16 characters")
        return problems

    def base_url(self, port: int | None = None) -> str:
        """Where the dashboard is reached: `public_url`, else built from bind and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.bind if self.bind not in ("0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port if port is not None else self.port}"
