"""A PostgreSQL server a test starts and stops at will, on a TCP port of its choosing.

The session server of `bot.testing` must stay up for every other test; outage tests need
their own, in a temp folder outside pytest's (root-only) basetemp, run with pgserver's
bundled binaries (as its `pgserver` user when the tests run as root).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """initdb once, then `start()` / `stop()` as often as a test needs; `close()` removes it."""

    def __init__(self, port: int | None = None) -> None:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver._commands import pg_ctl

        self._pg_ctl = pg_ctl
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix="ruche-pgfault-"))
        self.pgdata = self.base / "data"
        # pgserver creates the folder with the right owner and runs initdb, then starts a
        # socket-only server that we stop at once: we want a fixed TCP port instead.
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        self.user: str | None = server.system_user
        self._ctl(["-w", "-m", "fast", "stop"])
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, args: list[str]) -> None:
        self._pg_ctl(args, pgdata=self.pgdata, user=self.user, timeout=60)

    def start(self) -> None:
        self._ctl(["-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.pgdata}",
                   "-l", str(self.pgdata / "log"), "start"])
        self.running = True

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when the server is restarted."""
        self._ctl(["-w", "-m", "fast", "stop"])
        self.running = False

    def close(self) -> None:
        if self.running:
            try:
                self.stop()
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
