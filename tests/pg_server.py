"""A throwaway PostgreSQL server for tests: Debian's binaries (`/usr/lib/postgresql/<v>/bin`), a cluster in a temp
dir owned by an unprivileged user (the server refuses to run as root), trust auth on 127.0.0.1 and a free port;
`stop()` removes it. When the binaries are missing it installs them (`apt-get install -y postgresql` as root, as
tests/e2e/browser.py installs Chromium) or fails with one line: never a silent skip."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def pg_bin() -> Path:
    """The newest Debian PostgreSQL `bin` folder, installing the package when none is there."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=False, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                           "apt-get install postgresql (the store tests need a real server)")
    return found[-1].parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


@dataclass
class PgServer:
    bin: Path
    dir: Path
    port: int
    os_user: str | None  # the unprivileged user the server runs as (None: this process is not root)

    @property
    def url(self) -> str:
        return f"postgresql://ida@127.0.0.1:{self.port}/ida"

    def fresh_url(self) -> str:
        """A URL to a new empty schema of the test database: one store per test."""
        return f"{self.url}?schema=t_{secrets.token_hex(6)}"

    def stop(self) -> None:
        subprocess.run(_as_user(self.os_user) + [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m",
                                                 "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server() -> PgServer:
    """initdb + pg_ctl start on 127.0.0.1:<free port>, a superuser `ida` and a database `ida` (trust auth)."""
    bin_dir = pg_bin()
    os_user = None
    if os.geteuid() == 0:
        os_user = "postgres"
        try:
            pwd.getpwnam(os_user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", os_user], check=True)
    root = Path(tempfile.mkdtemp(prefix="ida-pg-"))
    if os_user:
        shutil.chown(root, os_user)
    data, port = root / "data", free_port()
    run = _as_user(os_user)
    subprocess.run(run + [str(bin_dir / "initdb"), "-D", str(data), "-U", "ida", "-A", "trust", "-E", "UTF8",
                          "--no-sync"], check=True, capture_output=True)
    opts = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
    subprocess.run(run + [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w",
                          "start"], check=True, capture_output=True)
    server = PgServer(bin_dir, root, port, os_user)
    deadline = time.time() + 30
    while True:
        done = subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "ida", "ida"],
                              capture_output=True, text=True)
        if done.returncode == 0:
            return server
        if time.time() > deadline:
            server.stop()
            raise RuntimeError(f"PostgreSQL on 127.0.0.1:{port} did not start: {done.stderr.strip()}")
        time.sleep(0.2)
