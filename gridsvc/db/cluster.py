"""The private PostGIS cluster that gridsvc starts by itself when no database URL is given.

The cluster lives under ``GRIDSVC_HOME`` (``pgdata/``, a socket in ``run/``, ``postgres.log``),
listens on a Unix socket only and trusts local connections: whoever can reach the socket
directory can use it, and that directory is private to the user who owns the cluster.
PostgreSQL refuses to run as root, so when gridsvc runs as root the server runs as an unprivileged
user (``GRIDSVC_CLUSTER_USER``, default ``postgres``), which is given search access to the home.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gridsvc.errors import DatabaseUnavailable

DB_NAME = "gridsvc"
SUPERUSER = "postgres"


def find_pg_bindir() -> Path:
    """Directory of the newest installed PostgreSQL server binaries."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise DatabaseUnavailable(
        "找不到 PostgreSQL 服务程序（initdb、pg_ctl）：请安装，如 "
        "`apt-get install -y postgresql-15 postgresql-15-postgis-3`，或设置 GRIDSVC_DATABASE_URL"
    )


@dataclass(frozen=True)
class LocalCluster:
    """A PostgreSQL cluster owned by gridsvc under ``home``."""

    home: Path
    run_as: str = "postgres"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        return self.home / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{DB_NAME}?host={self.socket_dir}"

    def maintenance_url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/postgres?host={self.socket_dir}"

    # -- state ---------------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        result = self._pg_ctl("status", check=False)
        return result.returncode == 0

    # -- lifecycle -----------------------------------------------------------------------------
    def ensure_started(self) -> bool:
        """Create and start the cluster if needed; return True when it had to be started."""
        if not self.initialized():
            self.init()
        if self.running():
            return False
        self.start()
        return True

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for d in (self.pgdata, self.socket_dir):
            d.mkdir(parents=True, exist_ok=True)
            self._hand_over(d)
        self._run(
            [
                str(find_pg_bindir() / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=reject",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            what="initdb",
        )
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as fh:
            fh.write(
                "\n# gridsvc private cluster\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "unix_socket_permissions = 0700\n"
                "fsync = on\n"
                "max_wal_size = 2GB\n"
                "max_connections = 300\n"  # a few server processes' pools (GRIDSVC_DB_POOL_SIZE + _MAX_OVERFLOW)
            )

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.logfile), what="pg_ctl start")
        for _ in range(100):
            if (self.socket_dir / ".s.PGSQL.5432").exists():
                return
            time.sleep(0.1)
        raise DatabaseUnavailable(f"本机私有 PostGIS 没有打开套接字；见 {self.logfile}")

    def stop(self) -> bool:
        if not self.running():
            return False
        self._pg_ctl("stop", "-m", "fast", "-w", what="pg_ctl stop")
        return True

    # -- helpers -------------------------------------------------------------------------------
    def _is_root(self) -> bool:
        return os.geteuid() == 0

    def _hand_over(self, path: Path) -> None:
        """When root, give ``path`` to the cluster user and let that user reach it."""
        if not self._is_root():
            return
        user = _lookup_user(self.run_as)
        os.chown(path, user.pw_uid, user.pw_gid)
        path.chmod(0o700)
        grant_search_access(path.parent, user)
        if not (self.logfile.exists()):
            self.logfile.touch()
        os.chown(self.logfile, user.pw_uid, user.pw_gid)

    def _pg_ctl(self, *args: str, check: bool = True, what: str = "pg_ctl") -> subprocess.CompletedProcess:
        return self._run([str(find_pg_bindir() / "pg_ctl"), "-D", str(self.pgdata), *args], check=check, what=what)

    def _run(self, cmd: list[str], *, check: bool = True, what: str) -> subprocess.CompletedProcess:
        if self._is_root():
            cmd = ["setpriv", f"--reuid={self.run_as}", f"--regid={self.run_as}", "--init-groups", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise DatabaseUnavailable(
                f"{what} 失败（退出码 {result.returncode}）：{result.stderr.strip() or result.stdout.strip()}"
                f"；见 {self.logfile}"
            )
        return result


def _lookup_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise DatabaseUnavailable(
            f"gridsvc 以 root 运行，而 PostgreSQL 不能以 root 运行；用来运行它的用户 {name!r} 不存在"
            "（请创建该用户、设置 GRIDSVC_CLUSTER_USER，或以普通用户运行 gridsvc）"
        ) from None


def grant_search_access(path: Path, user: pwd.struct_passwd) -> None:
    """Let ``user`` traverse every directory from / down to ``path`` (search, never read).

    Uses a POSIX ACL naming only that user where ``setfacl`` exists, else the ``o+x`` bit.
    """
    for d in [path, *path.parents]:
        st = d.stat()
        if st.st_uid == user.pw_uid or st.st_mode & 0o001:
            continue
        if st.st_gid == user.pw_gid and st.st_mode & 0o010:
            continue
        if shutil.which("setfacl"):
            subprocess.run(["setfacl", "-m", f"u:{user.pw_name}:x", str(d)], check=True)
        else:
            d.chmod(st.st_mode | 0o001)
