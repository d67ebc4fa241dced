"""Backups of an installation: the database and the files entas keeps, in one archive with a manifest.

``entas backup --out FILE`` writes a tar archive (gzip-compressed) holding:

- ``database.sqlite3`` — a consistent copy made with SQLite's online backup API while entas runs
  (readers and writers go on; the copy is of one moment), or ``database.dump`` — ``pg_dump``'s
  custom format, taken from an exported snapshot;
- ``media/…`` — the uploaded and generated files (``MEDIA_ROOT``: imports waiting to run, rejection
  files, exports, reference uploads);
- ``manifest.json`` (last) — what the archive is: when, from which database engine and schema
  (the applied migrations), every file's size and SHA-256, and every table's row count and a
  SHA-256 of its content, computed from the same moment the copy was taken.

``entas restore FILE`` refuses a damaged archive (a checksum that does not match) and a target
database that is not empty, before it changes anything; it then restores the database and the
files and recomputes every table's row count and checksum: a restore that does not reproduce the
backup exactly is reported as failed. That makes every restore a drill, and the drill a test
(tests/core/test_backup.py, on SQLite and PostgreSQL).

Not in the archive: the secret key (``var/secret_key`` or ENTAS_SECRET_KEY: keep it with the
server's configuration, it signs sessions and is not needed to read the data) and the collected
static files (``entas collectstatic`` makes them again).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Refused

FORMAT = "entas-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.dump"
MEDIA_PREFIX = "media/"
CHUNK = 1024 * 1024
FETCH_ROWS = 5000


# -- fingerprints: what a table holds, as a row count and a checksum ------------------------------------
@dataclass(frozen=True)
class TableFingerprint:
    rows: int
    sha256: str


def _normalise(value: Any) -> str:
    """One cell as text that is the same for the same value read back from a restored copy."""
    if value is None:
        return "\\N"
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes | bytearray):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def fingerprint_rows(rows: Iterator[Sequence[Any]]) -> TableFingerprint:
    """The row count and SHA-256 of rows given in a stable order (a pure function of the values)."""
    digest = hashlib.sha256()
    count = 0
    for row in rows:
        count += 1
        digest.update("\x1f".join(_normalise(v) for v in row).encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return TableFingerprint(count, digest.hexdigest())


def _fetch(cursor: Any, sql: str) -> Iterator[Sequence[Any]]:
    cursor.execute(sql)
    while True:
        batch = cursor.fetchmany(FETCH_ROWS)
        if not batch:
            return
        yield from batch


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [name for (name,) in rows]


def sqlite_fingerprints(conn: sqlite3.Connection) -> dict[str, TableFingerprint]:
    """Every table of a SQLite database, its rows in primary-key order (rowid for a rowid table)."""
    out: dict[str, TableFingerprint] = {}
    for table in _sqlite_tables(conn):
        quoted = '"' + table.replace('"', '""') + '"'
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({quoted})")]
        keys = [row[1] for row in sorted(conn.execute(f"PRAGMA table_info({quoted})"), key=lambda r: r[5]) if row[5]]
        order = ", ".join('"' + c.replace('"', '""') + '"' for c in (keys or columns))
        cursor = conn.cursor()
        out[table] = fingerprint_rows(_fetch(cursor, f"SELECT * FROM {quoted} ORDER BY {order}"))  # noqa: S608
    return out


POSTGRES_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname
"""
POSTGRES_ORDER = """
SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
"""


def postgres_fingerprints(conn: Any) -> dict[str, TableFingerprint]:
    """Every table of the current schema of a PostgreSQL database, rows in primary-key order."""
    with conn.cursor() as cursor:
        cursor.execute(POSTGRES_TABLES)
        tables = [name for (name,) in cursor.fetchall()]
    out: dict[str, TableFingerprint] = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        with conn.cursor() as cursor:
            cursor.execute(POSTGRES_ORDER, [quoted])
            keys = [name for (name,) in cursor.fetchall()]
            if keys:
                order = ", ".join('"' + k.replace('"', '""') + '"' for k in keys)
            else:
                cursor.execute(f"SELECT * FROM {quoted} LIMIT 0")  # noqa: S608
                order = ", ".join(str(i + 1) for i in range(len(cursor.description)))
        with conn.cursor(name=f"fp_{len(out)}") as cursor:  # a server-side cursor: a big table streams
            cursor.itersize = FETCH_ROWS
            out[table] = fingerprint_rows(iter(_fetch(cursor, f"SELECT * FROM {quoted} ORDER BY {order}")))  # noqa: S608
    return out


# -- the database in use --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """The database a backup reads or a restore writes: the default one (ENTAS_DATABASE_URL)."""

    vendor: str  # "sqlite" or "postgresql"
    settings: dict[str, Any]

    @property
    def label(self) -> str:
        if self.vendor == "sqlite":
            return str(self.settings["NAME"])
        host = self.settings.get("HOST") or "localhost"
        return f"postgresql://{host}:{self.settings.get('PORT') or 5432}/{self.settings['NAME']}"

    def pg_env(self) -> dict[str, str]:
        """The libpq environment for pg_dump/pg_restore (the password never on a command line)."""
        env = dict(os.environ)
        s = self.settings
        for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
            if s.get(key):
                env[name] = str(s[key])
        env["PGDATABASE"] = str(s["NAME"])
        for option, name in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
            if (s.get("OPTIONS") or {}).get(option):
                env[name] = str(s["OPTIONS"][option])
        return env

    def pg_connect(self, **kwargs: Any) -> Any:
        import psycopg

        s = self.settings
        params = {
            "dbname": s["NAME"],
            "host": s.get("HOST") or None,
            "port": s.get("PORT") or None,
            "user": s.get("USER") or None,
            "password": s.get("PASSWORD") or None,
        }
        return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, **kwargs)


def current_target() -> Target:
    connection = connections["default"]
    return Target(connection.vendor, dict(connection.settings_dict))


def _is_memory(name: str) -> bool:
    return name == ":memory:" or "mode=memory" in name


# -- backup ---------------------------------------------------------------------------------------------
@dataclass
class Manifest:
    format: str
    created_at: str
    vendor: str
    database_member: str
    migrations: dict[str, str]
    tables: dict[str, dict[str, Any]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    entas_version: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created_at": self.created_at,
            "entas_version": self.entas_version,
            "vendor": self.vendor,
            "database_member": self.database_member,
            "migrations": self.migrations,
            "tables": self.tables,
            "files": self.files,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            format=data["format"],
            created_at=data["created_at"],
            entas_version=data.get("entas_version", ""),
            vendor=data["vendor"],
            database_member=data["database_member"],
            migrations=data.get("migrations", {}),
            tables=data["tables"],
            files=data["files"],
        )

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("entas")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return ""


def _migrations(fingerprint_source: Iterator[tuple[str, str]]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in fingerprint_source:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


class _HashingReader(io.RawIOBase):
    """Reads a file while hashing it, for tarfile.addfile: a file is read once, hashed as written."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def readinto(self, buffer: Any) -> int:  # pragma: no cover - tarfile calls read()
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _add(archive: tarfile.TarFile, source: Path, name: str) -> dict[str, Any]:
    info = archive.gettarinfo(str(source), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with source.open("rb") as raw:
        reader = _HashingReader(raw)
        archive.addfile(info, reader)
    return {"size": info.size, "sha256": reader.digest.hexdigest()}


def media_files(root: Path) -> list[tuple[Path, str]]:
    """The files under MEDIA_ROOT, as (path, name relative to it), in a stable order."""
    if not root.exists():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((path, path.relative_to(root).as_posix()))
    return found


def create_backup(out: Path) -> Manifest:
    """Write a backup of the database and MEDIA_ROOT to ``out`` (a .tar.gz), and return its manifest.

    The file appears complete or not at all: it is written beside ``out`` and renamed at the end."""
    target = current_target()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".entas-backup-", dir=out.parent) as work:
        workdir = Path(work)
        if target.vendor == "sqlite":
            member, tables, migrations = SQLITE_MEMBER, *_dump_sqlite(target, workdir / SQLITE_MEMBER)
        elif target.vendor == "postgresql":
            member, tables, migrations = POSTGRES_MEMBER, *_dump_postgres(target, workdir / POSTGRES_MEMBER)
        else:  # pragma: no cover - entas runs on these two
            raise Refused(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": target.vendor})
        manifest = Manifest(
            format=FORMAT,
            created_at=timezone.now().isoformat(),
            entas_version=_version(),
            vendor=target.vendor,
            database_member=member,
            migrations=migrations,
            tables={name: {"rows": fp.rows, "sha256": fp.sha256} for name, fp in sorted(tables.items())},
        )
        partial = workdir / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=3) as archive:
            manifest.files[member] = _add(archive, workdir / member, member)
            for path, name in media_files(Path(settings.MEDIA_ROOT)):
                manifest.files[MEDIA_PREFIX + name] = _add(archive, path, MEDIA_PREFIX + name)
            data = json.dumps(manifest.as_dict(), indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(timezone.now().timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # it holds every NIK of the city
        os.replace(partial, out)
    return manifest


def _dump_sqlite(target: Target, destination: Path) -> tuple[dict[str, TableFingerprint], dict[str, str]]:
    """Copy the live database with the online backup API, then fingerprint the copy (one moment)."""
    connection = connections["default"]
    connection.ensure_connection()
    raw = connection.connection
    copy = sqlite3.connect(destination)
    try:
        raw.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        tables = sqlite_fingerprints(copy)
        migrations = (
            _migrations(iter(copy.execute("SELECT app, name FROM django_migrations").fetchall()))
            if "django_migrations" in tables
            else {}
        )
    finally:
        copy.close()
    return tables, migrations


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise Refused(
            _("%(tool)s is not installed: install the PostgreSQL client tools (apt install postgresql-client).")
            % {"tool": command[0]}
        )
    result = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise Refused(
            _("%(tool)s failed: %(error)s") % {"tool": command[0], "error": " ".join(result.stderr.split())[:500]}
        )


def _dump_postgres(target: Target, destination: Path) -> tuple[dict[str, TableFingerprint], dict[str, str]]:
    """pg_dump in custom format from a snapshot this function holds open, fingerprinted from the same
    snapshot: the checksums describe exactly the rows the dump holds, however busy the server."""
    conn = target.pg_connect(autocommit=False)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
             f"--file={destination}"],
            target.pg_env(),
        )  # fmt: skip
        tables = postgres_fingerprints(conn)
        migrations: dict[str, str] = {}
        if "django_migrations" in tables:
            with conn.cursor() as cursor:
                cursor.execute("SELECT app, name FROM django_migrations")
                migrations = _migrations(iter(cursor.fetchall()))
        conn.rollback()
    finally:
        conn.close()
    return tables, migrations


# -- restore --------------------------------------------------------------------------------------------
@dataclass
class RestoreReport:
    manifest: Manifest
    database: str
    files: int
    tables: dict[str, TableFingerprint]
    mismatches: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "database": self.database,
            "backup_created_at": self.manifest.created_at,
            "vendor": self.manifest.vendor,
            "tables": len(self.tables),
            "rows": sum(fp.rows for fp in self.tables.values()),
            "files": self.files,
            "mismatches": self.mismatches,
            "fingerprints": {name: {"rows": fp.rows, "sha256": fp.sha256} for name, fp in self.tables.items()},
        }


def read_archive(path: Path, into: Path) -> Manifest:
    """Unpack a backup into the folder ``into`` and check every file against the manifest.

    Raises Refused when the file is not a backup of entas, is damaged or was altered."""
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as exc:
        raise Refused(_("%(file)s is not a backup of entas (%(error)s).") % {"file": path, "error": exc}) from exc
    digests: dict[str, str] = {}
    manifest_data = b""
    with archive:
        try:
            for info in archive:
                name = info.name
                pure = PurePosixPath(name)
                if not info.isfile() or pure.is_absolute() or ".." in pure.parts:
                    raise Refused(
                        _("%(file)s holds an unexpected entry %(name)r: not restored.") % {"file": path, "name": name}
                    )
                source = archive.extractfile(info)
                assert source is not None
                if name == MANIFEST:
                    manifest_data = source.read()
                    continue
                destination = into / pure
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with destination.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                digests[name] = digest.hexdigest()
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise Refused(_("%(file)s is damaged (%(error)s): not restored.") % {"file": path, "error": exc}) from exc
    if not manifest_data:
        raise Refused(_("%(file)s has no manifest: it is not a complete backup of entas.") % {"file": path})
    try:
        manifest = Manifest.from_dict(json.loads(manifest_data))
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused(_("The manifest of %(file)s cannot be read: not restored.") % {"file": path}) from exc
    if manifest.format != FORMAT:
        raise Refused(
            _("%(file)s is a backup of format %(format)s; this version of entas reads %(ours)s.")
            % {"file": path, "format": manifest.format, "ours": FORMAT}
        )
    wrong = sorted(
        name
        for name in {*digests, *manifest.files}
        if digests.get(name) != (manifest.files.get(name) or {}).get("sha256")
    )
    if wrong:
        raise Refused(
            _(
                "%(file)s is damaged or was altered: the checksum of %(names)s does not match its manifest. "
                "Not restored."
            )
            % {"file": path, "names": ", ".join(wrong[:5])}
        )
    return manifest


def table_count(target: Target) -> int:
    """How many tables the database already holds (0: empty, a restore may go ahead)."""
    if target.vendor == "sqlite":
        name = str(target.settings["NAME"])
        if _is_memory(name) or not Path(name).exists():
            return 0
        conn = sqlite3.connect(name)
        try:
            return len(_sqlite_tables(conn))
        finally:
            conn.close()
    conn = target.pg_connect(autocommit=True)
    try:
        with conn.cursor() as cursor:
            cursor.execute(POSTGRES_TABLES)
            return len(cursor.fetchall())
    finally:
        conn.close()


def refuse_unless_empty(target: Target) -> None:
    tables = table_count(target)
    if tables:
        raise Refused(
            _(
                "The database %(database)s is not empty (it holds %(tables)d tables). A backup is restored only "
                "into an empty database, so that nothing is overwritten: create a new database, point "
                "ENTAS_DATABASE_URL at it and run the restore again."
            )
            % {"database": target.label, "tables": tables},
            code="conflict",
        )


def restore_backup(path: Path) -> RestoreReport:
    """Restore a backup into the empty database named by ENTAS_DATABASE_URL and its files into MEDIA_ROOT,
    then check every table against the manifest. Nothing is changed when a check before it fails."""
    target = current_target()
    if target.vendor == "sqlite" and _is_memory(str(target.settings["NAME"])):
        raise Refused(_("An in-memory database cannot be restored into: name a database file."))
    refuse_unless_empty(target)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix=".entas-restore-", dir=_work_dir(target)) as work:
        workdir = Path(work)
        manifest = read_archive(Path(path), workdir)
        if manifest.vendor != target.vendor:
            raise Refused(
                _(
                    "This backup is of a %(theirs)s database and cannot be restored into %(ours)s. Restore it into "
                    "the same kind of database it came from."
                )
                % {"theirs": manifest.vendor, "ours": target.vendor}
            )
        clashes = [
            name
            for name in manifest.files
            if name.startswith(MEDIA_PREFIX)
            and (media_root / name[len(MEDIA_PREFIX) :]).exists()
            and _sha256(media_root / name[len(MEDIA_PREFIX) :]) != manifest.files[name]["sha256"]
        ]
        if clashes:
            raise Refused(
                _("%(count)d files in %(folder)s differ from the backup's (%(names)s): move them away first.")
                % {"count": len(clashes), "folder": media_root, "names": ", ".join(clashes[:3])},
                code="conflict",
            )
        connections["default"].close()
        if target.vendor == "sqlite":
            tables = _restore_sqlite(target, workdir / manifest.database_member)
        else:
            tables = _restore_postgres(target, workdir / manifest.database_member)
        files = 0
        for name in manifest.files:
            if name.startswith(MEDIA_PREFIX):
                destination = media_root / name[len(MEDIA_PREFIX) :]
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(workdir / name, destination)
                files += 1
    mismatches = compare(manifest.tables, tables)
    return RestoreReport(manifest=manifest, database=target.label, files=files, tables=tables, mismatches=mismatches)


def compare(expected: dict[str, dict[str, Any]], found: dict[str, TableFingerprint]) -> list[str]:
    """The tables whose restored row count or checksum differs from the backup's (empty: identical)."""
    out = []
    for name in sorted({*expected, *found}):
        want, have = expected.get(name), found.get(name)
        if want is None or have is None:
            out.append(f"{name}: {'not in the backup' if want is None else 'missing after restore'}")
        elif want["rows"] != have.rows:
            out.append(f"{name}: {want['rows']} rows in the backup, {have.rows} restored")
        elif want["sha256"] != have.sha256:
            out.append(f"{name}: same {have.rows} rows but different content")
    return out


def _work_dir(target: Target) -> Path:
    """Where a restore unpacks: beside the SQLite file (the move into place is then a rename)."""
    if target.vendor == "sqlite":
        folder = Path(str(target.settings["NAME"])).resolve().parent
    else:
        folder = Path(settings.VAR_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _restore_sqlite(target: Target, source: Path) -> dict[str, TableFingerprint]:
    destination = Path(str(target.settings["NAME"]))
    for suffix in ("", "-wal", "-shm", "-journal"):  # an empty database file (checked above) and its companions
        with contextlib.suppress(FileNotFoundError):
            Path(f"{destination}{suffix}").unlink()
    os.chmod(source, 0o600)
    shutil.move(source, destination)
    conn = sqlite3.connect(destination)
    try:
        return sqlite_fingerprints(conn)
    finally:
        conn.close()


def _restore_postgres(target: Target, source: Path) -> dict[str, TableFingerprint]:
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={target.settings['NAME']}", str(source)],
        target.pg_env(),
    )  # fmt: skip
    conn = target.pg_connect(autocommit=False)
    try:
        with conn.cursor() as cursor:
            cursor.execute("ANALYZE")  # pg_restore leaves the planner without statistics
        conn.commit()
        tables = postgres_fingerprints(conn)
        conn.rollback()
    finally:
        conn.close()
    return tables
