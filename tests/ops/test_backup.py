"""Backups and restores: the restore drill on the demo city (SQLite and PostgreSQL), damaged archives,
non-empty targets, and the fingerprint rule on plain rows."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from entas.core import backup
from entas.core.errors import Refused
from entas.core.models import AuditEvent

ENTAS = [sys.executable, "-m", "django"]


# -- the rule ------------------------------------------------------------------------------------------
def test_a_fingerprint_depends_on_every_value_and_on_order_but_not_on_value_types_read_back() -> None:
    rows = [(1, "Siti", None, Decimal("1.50"), dt.date(2026, 1, 2), b"\x00\x01"), (2, "Budi", 3.5, None, None, None)]
    base = backup.fingerprint_rows(iter(rows))
    assert base.rows == 2
    assert backup.fingerprint_rows(iter([tuple(r) for r in rows])) == base
    assert (
        backup.fingerprint_rows(
            iter([(1, "Siti", None, Decimal("1.50"), dt.date(2026, 1, 2), memoryview(b"\x00\x01")), rows[1]])
        )
        == base
    )
    assert backup.fingerprint_rows(iter(rows[::-1])).sha256 != base.sha256
    assert backup.fingerprint_rows(iter([rows[0], (2, "Budi", 3.5, None, None, b"")])).sha256 != base.sha256
    # NULL and the text "None" or "" are different content
    assert backup.fingerprint_rows(iter([(None,)])) != backup.fingerprint_rows(iter([("",)]))
    assert backup.fingerprint_rows(iter([(None,)])) != backup.fingerprint_rows(iter([("None",)]))
    # cells do not run into each other
    assert backup.fingerprint_rows(iter([("ab", "c")])) != backup.fingerprint_rows(iter([("a", "bc")]))


def test_compare_names_each_table_that_differs() -> None:
    fp = backup.TableFingerprint
    expected = {"a": {"rows": 2, "sha256": "x"}, "b": {"rows": 1, "sha256": "y"}, "c": {"rows": 0, "sha256": "z"}}
    found = {"a": fp(2, "x"), "b": fp(1, "other"), "d": fp(0, "z")}
    assert backup.compare(expected, found) == [
        "b: same 1 rows but different content",
        "c: missing after restore",
        "d: not in the backup",
    ]
    assert backup.compare(expected, {"a": fp(2, "x"), "b": fp(1, "y"), "c": fp(0, "z")}) == []
    assert backup.compare({"a": {"rows": 3, "sha256": "x"}}, {"a": fp(2, "x")}) == [
        "a: 3 rows in the backup, 2 restored"
    ]


# -- helpers -------------------------------------------------------------------------------------------
def live_fingerprints() -> dict[str, backup.TableFingerprint]:
    """The fingerprints of the database the test runs on, read directly (not through a backup)."""
    target = backup.current_target()
    if target.vendor == "sqlite":  # a plain connection: Django's converts values on the way out
        plain = sqlite3.connect(str(target.settings["NAME"]), uri=True)
        try:
            return backup.sqlite_fingerprints(plain)
        finally:
            plain.close()
    conn = target.pg_connect()
    try:
        return backup.postgres_fingerprints(conn)
    finally:
        conn.close()


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine the tests run on, as an ENTAS_DATABASE_URL."""
    target = backup.current_target()
    if target.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'entas.sqlite3'}"
        return
    import psycopg

    name = f"ops_drill_{uuid.uuid4().hex[:10]}"
    admin = target.pg_connect(autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    s = target.settings
    try:
        yield f"postgres://{s.get('USER') or 'postgres'}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        del psycopg


def run_entas(args: list[str], *, database_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ENTAS_DATABASE_URL": database_url,
        "ENTAS_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "entas.settings",
        "ENTAS_LANGUAGE": "en",
    }
    return subprocess.run([*ENTAS, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


# -- the drill -----------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_backs_up_the_demo_city_and_restores_it_identically(
    settings: Any, tmp_path: Path, empty_target: str, media_root: Path
) -> None:
    settings.DEBUG = True  # seed_demo refuses to run on a production setup
    call_command("seed_demo", "--households", "120", "--faults", "0.01", "--json", stdout=StringIO())
    (media_root / "imports").mkdir(parents=True, exist_ok=True)
    (media_root / "imports" / "keluarga.csv").write_bytes(b"nik;nama\n6471010101900001;Siti Aminah\n")
    (media_root / "reference").mkdir(parents=True, exist_ok=True)
    (media_root / "reference" / "garis.xlsx").write_bytes(os.urandom(4096))
    source = live_fingerprints()
    assert source["registry_member"].rows > 300

    out = StringIO()
    call_command("backup", "--out", str(tmp_path / "city.tar.gz"), "--json", stdout=out)
    made = json.loads(out.getvalue())
    media = backup.media_files(media_root)
    assert len(media) >= 2 and made["files"] == len(media) and made["tables"] == len(source)
    assert oct((tmp_path / "city.tar.gz").stat().st_mode & 0o777) == "0o600"
    assert AuditEvent.objects.filter(action="system.backup").count() == 1
    with tarfile.open(tmp_path / "city.tar.gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert {name: (t["rows"], t["sha256"]) for name, t in manifest["tables"].items()} == {
        name: (fp.rows, fp.sha256) for name, fp in source.items()
    }

    var_dir = tmp_path / "restored"
    restored = run_entas(
        ["restore", str(tmp_path / "city.tar.gz"), "--json"], database_url=empty_target, var_dir=var_dir
    )
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout)
    assert report["ok"] and report["mismatches"] == [] and report["files"] == len(media)
    assert {name: (t["rows"], t["sha256"]) for name, t in report["fingerprints"].items()} == {
        name: (fp.rows, fp.sha256) for name, fp in source.items()
    }
    for path, name in media:
        assert (var_dir / "media" / name).read_bytes() == path.read_bytes(), name

    # The restored installation works: entas reads its people.
    members = source["registry_member"].rows
    query = "from entas.registry.models import Member; print(Member.objects.count())"
    checked = run_entas(["shell", "-c", query], database_url=empty_target, var_dir=var_dir)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip().splitlines()[-1] == str(members)

    # A second restore into the same (now full) database is refused, in Indonesian by default.
    again = run_entas(["restore", str(tmp_path / "city.tar.gz")], database_url=empty_target, var_dir=var_dir)
    assert again.returncode == 1
    assert "is not empty" in again.stderr
    env_id = {**os.environ, "ENTAS_DATABASE_URL": empty_target, "ENTAS_VAR_DIR": str(var_dir), "ENTAS_LANGUAGE": "id"}
    indonesian = subprocess.run(
        [*ENTAS, "restore", str(tmp_path / "city.tar.gz")], env=env_id, capture_output=True, text=True, check=False
    )
    assert indonesian.returncode == 1 and "tidak kosong" in indonesian.stderr


# -- refusals ------------------------------------------------------------------------------------------
def _tamper(source: Path, destination: Path, member: str, content: bytes) -> None:
    with tarfile.open(source) as old, tarfile.open(destination, "w:gz") as new:
        for info in old:
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == member:
                data = content
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_altered_backup_is_refused_before_anything_changes(
    tmp_path: Path, empty_target: str, media_root: Path
) -> None:
    (media_root / "exports").mkdir(parents=True)
    (media_root / "exports" / "bank.csv").write_text("rekening;nominal\n1;300000\n")
    call_command("backup", "--out", str(tmp_path / "b.tar.gz"), stdout=StringIO())
    _tamper(
        tmp_path / "b.tar.gz", tmp_path / "altered.tar.gz", "media/exports/bank.csv", b"rekening;nominal\n1;900000\n"
    )
    (tmp_path / "truncated.tar.gz").write_bytes((tmp_path / "b.tar.gz").read_bytes()[:5000])
    (tmp_path / "other.tar.gz").write_bytes(b"not a backup at all")
    var_dir = tmp_path / "restored"
    for name, expected in [
        ("altered.tar.gz", "media/exports/bank.csv does not match"),
        ("truncated.tar.gz", "damaged"),
        ("other.tar.gz", "is not a backup of entas"),
    ]:
        result = run_entas(["restore", str(tmp_path / name)], database_url=empty_target, var_dir=var_dir)
        assert result.returncode == 1, name
        assert expected in result.stderr, (name, result.stderr)
        assert not (var_dir / "media" / "exports" / "bank.csv").exists()
    # the target is still empty: the untouched archive restores into it
    good = run_entas(["restore", str(tmp_path / "b.tar.gz")], database_url=empty_target, var_dir=var_dir)
    assert good.returncode == 0, good.stderr
    assert "match the backup" in good.stdout


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path) -> None:
    call_command("backup", "--out", str(tmp_path / "b.tar.gz"), stdout=StringIO())
    if connection.vendor == "sqlite":
        with pytest.raises(Refused, match="in-memory"):
            backup.restore_backup(tmp_path / "b.tar.gz")
    else:
        with pytest.raises(Refused, match="is not empty") as refused:
            backup.restore_backup(tmp_path / "b.tar.gz")
        assert refused.value.code == "conflict"
