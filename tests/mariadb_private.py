"""A MariaDB server of our own for outage tests: freeze it, thaw it, stop it, start it again.

Outage tests must never touch the machine's MariaDB (127.0.0.1:3306, other tests and the
lead's work use it), so each session gets a private `mariadbd` with its own data directory,
port, socket and log under a temporary directory:

    server = PrivateMariaDB(tmp_dir)   # nothing runs yet
    server.start()                     # installs the datadir once, waits until it answers
    server.url                         # mysql+mysqlconnector://root@127.0.0.1:<port>/studio_test
    server.freeze() / server.thaw()    # SIGSTOP / SIGCONT: a hung server, connections stay open
    server.stop() / server.stop(kill=True)   # clean shutdown / SIGKILL (a crash)
    server.start()                     # the same port and datadir: the data survives
    server.reset_database()            # drop and recreate `studio_test` (empty, utf8mb4)
    server.close()                     # thaw and stop whatever state it is in
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import mysql.connector

from studio_ops.processes import free_port

DATABASE = "studio_test"
# Small enough for a throwaway server; the defaults allocate 128 MB of buffer pool and logs.
_SERVER_OPTIONS = ("--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M")


def mariadb_binaries() -> tuple[str, str] | None:
    """(mariadbd, mariadb-install-db) when both are installed, else None."""
    server = shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    return (server, install) if server and install else None


class PrivateMariaDB:
    """One private mariadbd on a free loopback port; restartable on that port and datadir."""

    def __init__(self, workdir: Path, port: int | None = None, database: str = DATABASE):
        binaries = mariadb_binaries()
        if binaries is None:
            raise RuntimeError("mariadbd / mariadb-install-db are not installed")
        self.server_bin, self.install_bin = binaries
        self.workdir = Path(workdir)
        self.datadir = self.workdir / "data"
        self.socket = self.workdir / "sock"
        self.log_path = self.workdir / "mariadbd.log"
        self.port = port or free_port()
        self.database = database
        self.popen: subprocess.Popen | None = None
        self.frozen = False

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database (root, empty password)."""
        return f"mysql+mysqlconnector://root@127.0.0.1:{self.port}/{self.database}"

    @property
    def running(self) -> bool:
        """True while the mariadbd process exists (frozen or not)."""
        return self.popen is not None and self.popen.poll() is None

    def _user_args(self) -> list[str]:
        # mariadbd refuses to run as root unless told to; as another user the flag is wrong.
        return ["--user=root"] if os.geteuid() == 0 else []

    def _install(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.workdir / "install.log", "wb") as log:
            subprocess.run(
                [
                    self.install_bin,
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                    *self._user_args(),
                    *_SERVER_OPTIONS,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=120,
            )

    def connect(self, timeout: int = 2, **kwargs):
        """A mysql.connector connection to the server as root (no database selected)."""
        return mysql.connector.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            connection_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            **kwargs,
        )

    def start(self, timeout: float = 60) -> PrivateMariaDB:
        """Start mariadbd (installing the datadir the first time) and wait until it answers."""
        if self.running:
            return self
        if not (self.datadir / "mysql").is_dir():
            self._install()
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it until it exits
        try:
            self.popen = subprocess.Popen(
                [
                    self.server_bin,
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--port={self.port}",
                    f"--socket={self.socket}",
                    f"--pid-file={self.workdir / 'mariadbd.pid'}",
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                    *self._user_args(),
                    *_SERVER_OPTIONS,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        self.frozen = False
        try:
            self._wait_until_answering(timeout)
            self._create_database()
        except BaseException:
            self.stop(kill=True)
            raise
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"mariadbd exited with code {self.popen.returncode}; see {self.log_path}"
                )
            try:
                self.connect(timeout=1).close()
                return
            except mysql.connector.Error:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"mariadbd did not answer within {timeout}s; see {self.log_path}"
                    ) from None
                time.sleep(0.1)

    def _create_database(self, drop: bool = False) -> None:
        conn = self.connect(timeout=10)
        try:
            cursor = conn.cursor()
            if drop:
                cursor.execute(f"DROP DATABASE IF EXISTS `{self.database}`")
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{self.database}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            cursor.close()
        finally:
            conn.close()

    def reset_database(self) -> None:
        """Drop and recreate the test database (empty, not migrated)."""
        self._create_database(drop=True)

    def freeze(self) -> None:
        """SIGSTOP mariadbd: it accepts TCP connections but never answers (a hung server)."""
        if not self.running:
            raise RuntimeError("mariadbd is not running")
        os.kill(self.popen.pid, signal.SIGSTOP)
        self.frozen = True
        self._wait_stopped()

    def _wait_stopped(self, timeout: float = 5) -> None:
        # SIGSTOP takes effect asynchronously: a query sent right after kill() could still
        # be answered. Linux shows the stopped state in /proc; elsewhere, a short pause.
        stat = Path(f"/proc/{self.popen.pid}/stat")
        if not stat.exists():
            time.sleep(0.2)
            return
        deadline = time.monotonic() + timeout
        while stat.read_text().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
            if time.monotonic() > deadline:
                raise RuntimeError("mariadbd did not stop after SIGSTOP")
            time.sleep(0.01)

    def thaw(self) -> None:
        """SIGCONT mariadbd after `freeze()` (a no-op when it is not frozen)."""
        if self.running and self.frozen:
            os.kill(self.popen.pid, signal.SIGCONT)
        self.frozen = False

    def stop(self, kill: bool = False, timeout: float = 30) -> None:
        """Shut down cleanly (SIGTERM), or SIGKILL it like a crash; always gone on return."""
        if not self.running:
            self.popen = None
            self.frozen = False
            return
        if kill:
            self.popen.kill()  # works on a stopped process too
        else:
            self.thaw()  # a stopped process would hold SIGTERM until it runs again
            self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)
        self.popen = None
        self.frozen = False

    def close(self) -> None:
        """Stop the server whatever state it is in (for teardown)."""
        try:
            self.stop()
        finally:
            if self.running:
                self.popen.kill()
