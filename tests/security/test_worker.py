"""Probe: the background worker and the registry import on a busy or vanishing database (issue #15).

- A lock held past SQLite's busy timeout used to kill the worker's polling thread while the process
  lived on: jobs stayed queued, nothing said why. The worker now logs the outage, retries and runs
  the jobs once the lock is gone; started while the lock is held, it waits the same way.
- A PostgreSQL server that refuses connections (at start, or going away mid-run) is retried, or,
  with ``--give-up-after``, the worker exits with status 3 for its supervisor: never alive and silent.
- Two imports into the same areas are serialised (the second is refused, naming the first); a busy
  database after the last commit no longer fails a finished import; every commit leaves a
  ``registry.import`` audit event, so an interrupted import still says what it wrote.

The worker runs as a real ``entas worker`` process (tests/security/worker_probe.py) against a file
database of its own, never the test database. Waits have generous deadlines; nothing is timed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.core.models import AuditEvent, Job
from entas.core.worker import mark_unstarted
from entas.registry import importer as importer_module
from entas.registry import parsing
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR
from tests.registry.helpers import standard_family, write_csv

# Worker processes on file databases: an integration test, whatever fixtures it uses.
pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds to wait for something that should happen within a few


# -- the worker in a process of its own --------------------------------------------------------------
def wait_for(condition: Callable[[], Any], what: str, log: Path | None = None, deadline: float = DEADLINE) -> Any:
    """Poll ``condition`` until it returns something true; fail saying ``what`` did not happen."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        with contextlib.suppress(Exception):  # the table may not exist yet, the file may be locked
            value = condition()
            if value:
                return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {deadline:.0f} s" + (f"; worker log:\n{log.read_text()}" if log else ""))


class WorkerProcess:
    """``entas worker`` in its own process group (so stopping it stops any child it made)."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.worker_probe", "worker", "--interval", "0.2", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.handle.close()
        return self.process.returncode


def probe_env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")] if p)
    return {
        **os.environ,
        "ENTAS_VAR_DIR": str(tmp_path),
        "ENTAS_DATABASE_URL": database_url,
        "ENTAS_WORKER_HEARTBEAT_SECONDS": "1",
        "ENTAS_LOG_LEVEL": "WARNING",
        "PYTHONPATH": pythonpath,
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.worker_probe", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "entas.manage", "migrate", "-v0"], cwd=PROJECT_ROOT, env=env, check=True, timeout=120
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- SQLite: a lock held past the busy timeout ----------------------------------------------------------
@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, as a long import or a backup would."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def sqlite_value(path: Path, sql: str, *params: Any) -> Any:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
        row = db.execute(sql, params).fetchone()
    return row[0] if row else None


def test_the_worker_outlives_a_lock_held_past_the_busy_timeout_and_then_runs_the_queued_jobs(
    tmp_path: Path,
) -> None:
    env = probe_env(tmp_path, "", ENTAS_SQLITE_BUSY_SECONDS="1")  # "" = the SQLite file under ENTAS_VAR_DIR
    db = tmp_path / "entas.sqlite3"
    migrate(env)
    status = lambda job: sqlite_value(db, "SELECT status FROM core_job WHERE id = ?", job)  # noqa: E731
    # Started while another process holds the lock: it waits, saying so, instead of dying at start.
    with write_lock(db):
        worker = WorkerProcess(env, tmp_path / "worker.log")
        try:
            wait_for(
                lambda: "Database unavailable" in worker.text(), "the worker logging the locked database", worker.log
            )
            assert worker.process.poll() is None
        except BaseException:
            worker.stop()
            raise
    try:
        first = int(manage(env, "submit"))
        wait_for(lambda: status(first) == "succeeded", f"job {first} running after the lock", worker.log)
        # Locked again while it polls: the loop that used to die with "database is locked".
        outages = worker.text().count("Database unavailable")
        with write_lock(db):
            wait_for(
                lambda: worker.text().count("Database unavailable") > outages, "a second outage logged", worker.log
            )
        second = int(manage(env, "submit"))
        wait_for(lambda: status(second) == "succeeded", f"job {second} running after the second lock", worker.log)
        assert "Database available again" in worker.text()
        assert sqlite_value(db, "SELECT last_outage FROM core_workerheartbeat"), (
            "the outage is recorded for the health check"
        )
        assert worker.process.poll() is None
    finally:
        code = worker.stop()
    assert code == 0
    assert sqlite_value(db, "SELECT stopped_at FROM core_workerheartbeat") is not None  # a clean stop is told apart


# -- PostgreSQL: a server that refuses connections ----------------------------------------------------------
def test_a_worker_whose_database_refuses_connections_keeps_retrying_and_says_so(tmp_path: Path) -> None:
    env = probe_env(tmp_path, f"postgres://postgres@127.0.0.1:{free_port()}/entas")  # nothing listens there
    worker = WorkerProcess(env, tmp_path / "worker.log")
    try:
        wait_for(lambda: worker.text().count("Database unavailable") >= 2, "two logged retries", worker.log)
        assert worker.process.poll() is None, worker.text()  # alive, and saying why it does nothing
        assert "retrying in" in worker.text()
    finally:
        worker.stop()


def test_a_worker_told_to_give_up_exits_with_status_3_for_its_supervisor(tmp_path: Path) -> None:
    env = probe_env(tmp_path, f"postgres://postgres@127.0.0.1:{free_port()}/entas")
    worker = WorkerProcess(env, tmp_path / "worker.log", "--give-up-after", "2")
    try:
        code = worker.process.wait(timeout=DEADLINE)
    finally:
        worker.stop()
    assert code == 3, worker.text()
    assert "Database unavailable" in worker.text() and "giving up" in worker.text()


class TcpProxy:
    """A TCP forwarder standing in for the network path to PostgreSQL: stopping it is the server
    going away (open connections cut, new ones refused); starting it again brings it back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.server: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def start(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.server,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close alone would not
            self.server.close()
            self.server = None
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.sockets = []

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the worker probe (skipped when no server answers)."""
    psycopg = pytest.importorskip("psycopg")
    base = os.environ.get("ENTAS_DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = f"entas_worker_probe_{os.getpid()}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server answers at " + admin_url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path="/" + name))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_worker_whose_postgresql_goes_away_mid_run_recovers_and_runs_the_queued_jobs(
    tmp_path: Path, postgres_database: str
) -> None:
    direct = probe_env(tmp_path, postgres_database)
    migrate(direct)
    parts = urlsplit(postgres_database)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    proxy.start()
    credentials = parts.netloc.rpartition("@")[0]
    through_proxy = probe_env(tmp_path, urlunsplit(parts._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}")))
    worker = WorkerProcess(through_proxy, tmp_path / "worker.log")
    psycopg = pytest.importorskip("psycopg")

    def status(job: int) -> str | None:
        with psycopg.connect(postgres_database) as db:
            row = db.execute("SELECT status FROM core_job WHERE id = %s", [job]).fetchone()
        return row[0] if row else None

    try:
        first = int(manage(direct, "submit"))
        wait_for(lambda: status(first) == "succeeded", f"job {first} running", worker.log)
        proxy.stop()  # the server goes away: open connections cut, new ones refused
        wait_for(lambda: "Database unavailable" in worker.text(), "the worker logging the lost server", worker.log)
        second = int(manage(direct, "submit"))  # queued while the worker cannot see the database
        assert worker.process.poll() is None
        proxy.start()
        wait_for(lambda: status(second) == "succeeded", f"job {second} running after the server came back", worker.log)
        # The job's status can be read before the worker's log line is written (a busy machine: CI ran
        # this beside the PostgreSQL suite and read the log a moment too early).
        wait_for(lambda: "Database available again" in worker.text(), "the worker logging the server back", worker.log)
    finally:
        worker.stop()
        proxy.stop()


# -- a job's own start and outcome on a locked database ------------------------------------------------------
@pytest.mark.django_db
def test_a_job_whose_start_and_outcome_meet_a_locked_database_is_still_recorded(
    monkeypatch: pytest.MonkeyPatch, operator_manggar: User
) -> None:
    """A lock past the busy timeout just as the job starts or ends used to leave it queued (while the
    queue had taken it) or running (its work done) until it was taken for interrupted."""
    monkeypatch.setattr(jobqueue, "UPDATE_PAUSE_SECONDS", 0)
    real = QuerySet.update
    failures = {"running": 0, "succeeded": 0}

    def update(self: QuerySet[Any], **fields: Any) -> int:
        status = fields.get("status")
        if self.model is Job and status in failures and failures[status] < 2:
            failures[status] += 1
            raise OperationalError("database is locked")
        return real(self, **fields)

    monkeypatch.setattr(QuerySet, "update", update)
    job = jobqueue.execute(jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar).pk)
    assert job.status == "succeeded" and failures == {"running": 2, "succeeded": 2}


# -- one import at a time per area -------------------------------------------------------------------------
def families(kelurahan: str, n: int, first_kk: int) -> list[dict[str, str]]:
    kecamatan = kelurahan.replace(".", "")[:6]
    rows: list[dict[str, str]] = []
    for i in range(n):
        rows += standard_family(kelurahan, f"{kecamatan}0101{first_kk + i:06d}", serial=1000 + 10 * i)
    return rows


def import_params(name: str, **extra: Any) -> dict[str, Any]:
    """An import job's parameters for the file ``name`` under MEDIA_ROOT."""
    return {"file": name, "name": name, "source": "operator", "dry_run": False, **extra}


@pytest.mark.django_db
def test_a_second_import_into_the_same_areas_is_refused_naming_the_one_under_way(
    operator_manggar: User, operator_damai: User, dinsos_manager: User
) -> None:
    first = jobqueue.submit(kind="registry.import", params=import_params("a.csv"), actor=operator_manggar, queue=False)
    assert first.locks == [f"registry.{MANGGAR}"]
    with pytest.raises(Refused) as refused:
        jobqueue.submit(kind="registry.import", params=import_params("a.csv"), actor=operator_manggar, queue=False)
    assert refused.value.code == "busy"
    assert f"#{first.pk}" in refused.value.message and "op.manggar" in refused.value.message
    assert Job.objects.filter(kind="registry.import").count() == 1  # nothing recorded for the refused one
    # Another kelurahan's families are not touched by the first: that import may run beside it.
    jobqueue.submit(kind="registry.import", params=import_params("b.csv"), actor=operator_damai, queue=False)
    # A city-wide import overlaps both; a dry run writes nothing and waits for nobody.
    with pytest.raises(Refused):
        jobqueue.submit(kind="registry.import", params=import_params("c.csv"), actor=dinsos_manager, queue=False)
    with pytest.raises(Refused):
        jobqueue.submit(kind="registry.import", params=import_params("c.csv"), actor=None, queue=False)
    jobqueue.submit(kind="registry.import", params=import_params("a.csv", dry_run=True), actor=operator_manggar)


@pytest.mark.django_db
def test_an_import_lock_is_released_when_the_job_ends_or_is_found_interrupted(operator_manggar: User) -> None:
    def submit() -> Job:
        return jobqueue.submit(
            kind="registry.import", params=import_params("a.csv"), actor=operator_manggar, queue=False
        )

    done = jobqueue.execute(submit().pk)  # fails at once (no such file): finished all the same
    assert done.status == "failed"
    running = submit()
    Job.objects.filter(pk=running.pk).update(status="running", heartbeat_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(Refused):
        submit()
    assert jobqueue.mark_interrupted() == 1  # its worker stopped long ago
    submit()


@pytest.mark.django_db
def test_a_queued_job_the_queue_took_but_never_started_is_failed_and_frees_its_areas(
    operator_manggar: User,
) -> None:
    job = jobqueue.submit(kind="registry.import", params=import_params("a.csv"), actor=operator_manggar)
    jobqueue._enqueue(job.pk)  # what the commit does: hand it to the task queue
    job.refresh_from_db()
    assert mark_unstarted() == 0  # waiting its turn: left alone
    DBTaskResult.objects.filter(id=job.task_id).update(status="FAILED")  # taken, then the claim failed
    assert mark_unstarted() == 1
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    jobqueue.submit(kind="registry.import", params=import_params("a.csv"), actor=operator_manggar)


def test_lock_keys_overlap_along_the_dotted_hierarchy() -> None:
    assert jobqueue.locks_overlap("registry", "registry.64.71.01.1001")
    assert jobqueue.locks_overlap("registry.64.71.01", "registry.64.71.01.1001")
    assert not jobqueue.locks_overlap("registry.64.71.01.1001", "registry.64.71.06.1005")
    assert not jobqueue.locks_overlap("programs.cycle.1", "programs.cycle.12")


@pytest.mark.django_db
def test_the_import_page_refuses_a_second_import_and_keeps_nothing_of_it(
    client_for: Callable[[User], Client], operator_manggar: User, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = client_for(operator_manggar)
    content = write_csv(tmp_path / "f.csv", families(MANGGAR, 1, 1)).read_bytes()

    def upload() -> Any:
        return client.post(
            reverse("registry:import"), {"file": SimpleUploadedFile("f.csv", content), "source": "operator"}
        )

    assert upload().status_code == 302
    first = Job.objects.get(kind="registry.import")
    refused = upload()
    assert refused.status_code == 409
    assert f"#{first.pk}" in refused.content.decode()
    assert Job.objects.filter(kind="registry.import").count() == 1
    assert len(list((tmp_path / "imports").iterdir())) == 1  # the refused upload is not kept


@pytest.mark.django_db
def test_the_import_command_refuses_while_another_import_is_under_way(
    regions: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_csv(tmp_path / "f.csv", families(MANGGAR, 1, 1))
    running = jobqueue.submit(kind="registry.import", params=import_params("x.csv"), actor=None, queue=False)
    with pytest.raises(CommandError, match=f"#{running.pk}"):
        call_command("import_registry", str(path), stdout=StringIO())
    assert not list((tmp_path / "media" / "imports").iterdir())
    assert not Household.objects.exists()


# -- what a busy database does to an import ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_busy_database_after_the_last_commit_does_not_fail_the_import(
    regions: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two imports at once: the first wrote every row and then failed in ``PRAGMA optimize`` with
    "database is locked", and the job was reported failed. Refreshing statistics is now best effort."""
    settings.MEDIA_ROOT = tmp_path
    write_csv(tmp_path / "f.csv", families(MANGGAR, 2, 1))
    monkeypatch.setattr(importer_module, "ANALYZE_AFTER", 1)

    def locked() -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(importer_module, "_refresh_statistics", locked)
    job = jobqueue.execute(jobqueue.submit(kind="registry.import", params=import_params("f.csv"), actor=None).pk)
    assert job.status == "succeeded", job.error
    assert job.result["inserted"] == 6 and Household.objects.count() == 2
    assert "database is locked" in job.log  # said, not hidden
    event = AuditEvent.objects.get(action="registry.import")
    assert event.after["inserted"] == 6 and event.after["complete"] is True


@pytest.mark.django_db
def test_an_interrupted_import_leaves_an_audit_event_for_what_it_committed(
    regions: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MEDIA_ROOT = tmp_path
    write_csv(tmp_path / "f.csv", families(MANGGAR, 6, 1))
    monkeypatch.setattr(parsing, "BATCH_ROWS", 6)  # two families per batch,
    monkeypatch.setattr(importer_module, "COMMIT_ROWS", 6)  # one batch per commit
    original = importer_module.Importer._apply
    calls = {"n": 0}

    def locked_on_the_third_batch(self: Any, *args: Any, write: bool) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OperationalError("database is locked")
        original(self, *args, write=write)

    monkeypatch.setattr(importer_module.Importer, "_apply", locked_on_the_third_batch)
    job = jobqueue.execute(jobqueue.submit(kind="registry.import", params=import_params("f.csv"), actor=None).pk)
    assert job.status == "failed" and "OperationalError" in job.error  # the details go to the server log
    assert Household.objects.count() == 4  # two commits landed, the third rolled back whole
    events = list(AuditEvent.objects.filter(action="registry.import").order_by("id"))
    assert [e.after["commit"] for e in events] == [1, 2]
    assert events[-1].after["inserted"] == 12 and events[-1].after["complete"] is False
    assert {e.after["job"] for e in events} == {job.pk}


@pytest.mark.django_db
def test_a_finished_import_records_what_it_wrote_once_per_commit(
    regions: Any, tmp_path: Path, settings: Any, operator_manggar: User
) -> None:
    settings.MEDIA_ROOT = tmp_path
    write_csv(tmp_path / "f.csv", families(MANGGAR, 2, 1) + families(DAMAI, 1, 50))
    job = jobqueue.execute(
        jobqueue.submit(kind="registry.import", params=import_params("f.csv"), actor=operator_manggar).pk
    )
    assert job.status == "succeeded"
    event = AuditEvent.objects.get(action="registry.import")  # one commit: one event
    assert event.actor == operator_manggar and event.object_repr == "f.csv"
    assert (event.after["inserted"], event.after["rejected"], event.after["complete"]) == (6, 3, True)
    assert event.after["job"] == job.pk
