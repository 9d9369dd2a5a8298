"""A throwaway PostgreSQL cluster from the machine's own binaries, for tests.

PostgreSQL refuses to run as root, so as root the cluster is created and started as the
`postgres` user, in a directory that user owns, listening on 127.0.0.1 and a private socket.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresCluster:
    bin_dir: Path
    base: Path
    port: int
    as_postgres_user: bool

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def url(self, database: str) -> str:
        """A SQLAlchemy URL (SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3)."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def psql(self, database: str, sql: str) -> str:
        result = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
            "-tAc", sql,
        )  # fmt: skip
        return result.stdout.strip()

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = self._run(
            "pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.base / "log"),
            "-w", "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            log = (self.base / "log").read_text() if (self.base / "log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{log}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    # Under /tmp itself: pytest's tmp_path sits in a root-only directory postgres cannot enter.
    base = Path(tempfile.mkdtemp(prefix="batch-platform-pg-"))
    as_postgres_user = os.geteuid() == 0
    if as_postgres_user:
        shutil.chown(base, "postgres", "postgres")
    cluster = PostgresCluster(bin_dir, base, free_port(), as_postgres_user)
    cluster.start()
    return cluster
