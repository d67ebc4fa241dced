"""Probe: the web under load, with SQLite's write lock held by someone else (issue #15, Under load).

Twenty people against the server during a web import used to get HTTP 500 "database is locked" on
login and on household pages, and Django's "session interrupted" 400 on pages that only read: every
request wrote its session, the import held the write lock for tens of seconds at a time, and a
lock met past the busy timeout surfaced as a crash.

- Reading a page writes nothing (a session is written when it changes, and refreshed at most every
  few minutes; a refresh that meets a busy database is left for later).
- A request that must write waits for the lock (the busy timeout); a lock held longer answers 503
  with a page in Indonesian saying to try again, never 500, and leaves nothing half written.
- The import ends its transactions on SQLite after ENTAS_IMPORT_COMMIT_SECONDS of writing and
  pauses, so that other writers get their turn.

The lock tests run the production server (``entas serve``) on a file database of their own, with
another connection holding ``BEGIN IMMEDIATE``. Waits have generous deadlines; nothing is timed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from entas.accounts.models import User
from entas.core import busy
from entas.core.models import AuditEvent
from entas.registry import importer as importer_module
from entas.registry import parsing
from entas.registry import services as registry_services
from entas.registry.models import Household
from tests.conftest import MANGGAR
from tests.registry.helpers import write_csv
from tests.security.test_worker import families as manggar_families
from tests.security.test_worker import free_port, probe_env, wait_for, write_lock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUSY_SECONDS = 4  # the server's busy timeout in these tests
INDONESIAN_BUSY = "Basis data sedang sibuk"
CREDENTIALS = {"username": "op.manggar", "password": "correct-horse-battery"}


def writes(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


# -- reading writes nothing ------------------------------------------------------------------------------
def test_reading_pages_and_the_api_writes_nothing_to_the_database(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    with CaptureQueriesContext(connection) as queries:
        for path in ["/", "/registry/", "/registry/?q=Warga", "/api/v1/households", "/jobs/"]:
            assert client.get(path).status_code == 200, path
    assert writes(queries.captured_queries) == []


def test_a_session_in_use_is_refreshed_every_few_minutes_so_it_stays_alive(
    client_for: Callable[[User], Client], operator_manggar: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(operator_manggar)
    session = Session.objects.get()
    expires = session.expire_date
    now = time.time()
    monkeypatch.setattr(busy.time, "time", lambda: now + busy.SESSION_REFRESH_SECONDS - 5)
    client.get("/registry/")
    assert Session.objects.get().expire_date == expires  # not due yet: nothing written
    monkeypatch.setattr(busy.time, "time", lambda: now + busy.SESSION_REFRESH_SECONDS + 5)
    client.get("/registry/")
    assert Session.objects.get().expire_date > expires  # due: written, its idle lifetime starts again


# -- a busy database answers 503, never 500 or 400 --------------------------------------------------------
def lock_session_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(Session, "save", locked)


def test_a_session_refresh_that_meets_a_busy_database_is_skipped_and_the_page_is_served(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_for(operator_manggar)  # its session was saved before the database got busy
    client.raise_request_exception = False
    lock_session_writes(monkeypatch)
    later = time.time() + busy.SESSION_REFRESH_SECONDS + 5
    monkeypatch.setattr(busy.time, "time", lambda: later)  # the session is due a refresh
    response = client.get("/registry/")
    assert response.status_code == 200  # was Django's "session interrupted" 400
    assert manggar_household.kk_number in response.content.decode()


def test_a_login_that_meets_a_busy_database_answers_503_in_indonesian_not_500(
    operator_manggar: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(raise_request_exception=False)
    lock_session_writes(monkeypatch)
    response = client.post("/accounts/login/", CREDENTIALS)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert INDONESIAN_BUSY in response.content.decode()


def test_a_household_page_whose_audit_row_meets_a_busy_database_answers_503_and_shows_nothing(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_for(operator_manggar)
    client.raise_request_exception = False

    def locked(**kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(registry_services.audit, "record", locked)
    response = client.get(f"/registry/{manggar_household.pk}/")
    assert response.status_code == 503
    assert INDONESIAN_BUSY in response.content.decode()
    assert manggar_household.kk_number not in response.content.decode()  # not shown unaudited
    api = client.get(f"/api/v1/households/{manggar_household.pk}")
    assert api.status_code == 503 and api.json()["code"] == "busy" and api["Retry-After"]


def test_other_database_errors_still_answer_500(
    client_for: Callable[[User], Client],
    operator_manggar: User,
    manggar_household: Household,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_for(operator_manggar)
    client.raise_request_exception = False

    def broken(**kwargs: Any) -> None:
        raise OperationalError("no such table: core_auditevent")

    monkeypatch.setattr(registry_services.audit, "record", broken)
    assert client.get(f"/registry/{manggar_household.pk}/").status_code == 500
    assert client.get(f"/api/v1/households/{manggar_household.pk}").status_code == 500


def test_momentary_postgresql_failures_count_as_busy_and_others_do_not() -> None:
    class PgError(Exception):
        def __init__(self, sqlstate: str | None) -> None:
            self.sqlstate = sqlstate

    def raised_from(cause: BaseException) -> BaseException:
        try:
            raise OperationalError("wrapped") from cause
        except OperationalError as exc:
            return exc

    for state in ["55P03", "57014", "40001", "40P01", "57P03", "08006"]:
        assert busy.is_busy(raised_from(PgError(state))), state
    for state in ["23505", "42P01", "22001"]:  # unique violation, undefined table, value too long
        assert not busy.is_busy(raised_from(PgError(state))), state
    assert busy.is_busy(OperationalError("database is locked"))
    assert not busy.is_busy(OperationalError("no such column: x"))
    assert not busy.is_busy(ValueError("database is locked"))


# -- the import leaves room for other writers on SQLite --------------------------------------------------------
@pytest.mark.skipif("os.environ.get('ENTAS_DATABASE_URL', '').startswith('postgres')")
def test_an_import_on_sqlite_commits_and_pauses_once_it_has_held_the_lock_its_time(
    regions: Any, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ENTAS_IMPORT_COMMIT_SECONDS = 0.001  # every write of a chunk outlasts it
    monkeypatch.setattr(parsing, "BATCH_ROWS", 12)  # four families of three per parsed batch,
    monkeypatch.setattr(importer_module, "SQLITE_WRITE_ROWS", 6)  # written two families at a time
    pauses: list[float] = []
    monkeypatch.setattr(importer_module.time, "sleep", pauses.append)
    path = write_csv(tmp_path / "f.csv", manggar_families(MANGGAR, 8, 1))
    summary = importer_module.import_registry(path, actor=None, rejection_path=tmp_path / "rejected.csv")
    assert summary.inserted == 24 and Household.objects.count() == 8
    commits = list(AuditEvent.objects.filter(action="registry.import").order_by("id"))
    assert [e.after["inserted"] for e in commits] == [6, 12, 18, 24, 24]  # the last says it is complete
    assert commits[-1].after["complete"] and not commits[-2].after["complete"]
    assert len(pauses) == 4 and all(p >= importer_module.PAUSE_MIN_SECONDS * 0.5 for p in pauses)


@pytest.mark.skipif("os.environ.get('ENTAS_DATABASE_URL', '').startswith('postgres')")
@pytest.mark.django_db(transaction=True)  # no test transaction around it: autocommit, as in the worker
def test_the_statistics_refresh_after_an_import_takes_the_write_lock_before_it_reads() -> None:
    # Run bare, PRAGMA optimize reads and then writes: SQLite refuses such an upgrade at once, without
    # waiting for the busy timeout, when another connection committed meanwhile (as requests do
    # during an import), so the refresh failed with "database is locked" under load.
    seen: list[tuple[str, bool]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        importer_module._refresh_statistics()
    assert [entry for entry in seen if "PRAGMA" in entry[0]] == [("PRAGMA optimize", True)]


# -- the household page does not read the whole city ----------------------------------------------------------
def test_the_household_pages_duplicate_lookup_reads_only_the_pairs_of_its_members(
    operator_manggar: User, regions: Any
) -> None:
    from entas.dedup.selectors import open_pairs_by_member
    from tests.conftest import make_household
    from tests.helpers import make_pair

    home = make_household(regions[MANGGAR], "6471010101200021", members=3)
    other = make_household(regions[MANGGAR], "6471010101200022", members=2)
    pair = make_pair(home.members.order_by("pk")[1], other.members.order_by("pk")[0])
    assert open_pairs_by_member(operator_manggar, home.members.values_list("pk", flat=True)) == {
        home.members.order_by("pk")[1].pk: pair.pk
    }
    lonely = list(make_household(regions[MANGGAR], "6471010101200023", members=2).members.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        assert open_pairs_by_member(operator_manggar, lonely) == {}
    # One question, to the pairs alone: joined with members, households and regions, SQLite's planner
    # read every member of the city for each household page.
    assert len(queries.captured_queries) == 1
    assert "registry_member" not in queries.captured_queries[0]["sql"]


# -- the production server with the write lock held by another connection ----------------------------------------
class Browser:
    """A person's connection to the server under test: cookies and the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> tuple[int, str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, text, response

    def login(self) -> int:
        self.request("GET", "/accounts/login/")
        status, _text, _r = self.request("POST", "/accounts/login/", CREDENTIALS)
        return status


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`entas serve` on a file database with a busy timeout of BUSY_SECONDS."""
    env = probe_env(
        tmp_path,
        "",
        ENTAS_SQLITE_BUSY_SECONDS=str(BUSY_SECONDS),
        ENTAS_DEBUG="0",
        ENTAS_HTTPS="0",
        ENTAS_SECRET_KEY="x" * 50,
    )
    setup = subprocess.run(
        [sys.executable, "-m", "tests.security.load_probe", "setup"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "entas.manage", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: Browser(port).request("GET", "/health/?check=database")[0] == 200, "the server answering", log)
        yield {**ids, "port": port, "db": tmp_path / "entas.sqlite3", "log": log}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def held_for(db: Path, seconds: float) -> threading.Thread:
    """Hold the write lock from another connection for ``seconds`` (in a thread), as an import's commit would."""
    taken = threading.Event()

    def hold() -> None:
        with write_lock(db):
            taken.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert taken.wait(30)
    return thread


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return results


def count(db: Path, sql: str, *params: Any) -> int:
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


@pytest.mark.integration  # starts the server on a file database of its own
@pytest.mark.skipif("os.environ.get('ENTAS_DATABASE_URL', '').startswith('postgres')")
def test_logins_and_audited_pages_wait_for_a_lock_a_little_shorter_than_the_busy_timeout(
    server: dict[str, Any],
) -> None:
    port, hh, member = server["port"], server["household"], server["member"]
    reader = Browser(port)
    assert reader.login() == 302
    writer = Browser(port)
    assert writer.login() == 302
    writer.request("GET", f"/registry/{hh}/")  # its CSRF cookie
    newcomer = Browser(port)
    newcomer.request("GET", "/accounts/login/")
    views = count(server["db"], "SELECT count(*) FROM core_auditevent WHERE action = 'household.view'")
    lock = held_for(server["db"], BUSY_SECONDS - 2.5)
    login, page, nik, listing = in_parallel(
        lambda: newcomer.request("POST", "/accounts/login/", CREDENTIALS),
        lambda: reader.request("GET", f"/registry/{hh}/"),
        lambda: writer.request("POST", f"/registry/{hh}/members/{member}/nik/", {}),
        lambda: reader.request("GET", "/registry/"),
    )
    lock.join()
    assert login[0] == 302 and "/accounts/login" not in (login[2].getheader("Location") or "")
    assert page[0] == 200 and "6471010101200001" in page[1]
    assert nik[0] == 200
    assert listing[0] == 200
    assert count(server["db"], "SELECT count(*) FROM core_auditevent WHERE action = 'household.view'") == views + 1
    assert count(server["db"], "SELECT count(*) FROM core_auditevent WHERE action = 'member.view_nik'") == 1


@pytest.mark.integration  # starts the server on a file database of its own
@pytest.mark.skipif("os.environ.get('ENTAS_DATABASE_URL', '').startswith('postgres')")
def test_a_lock_held_past_the_busy_timeout_answers_503_in_indonesian_and_loses_nothing(
    server: dict[str, Any],
) -> None:
    port, hh = server["port"], server["household"]
    reader = Browser(port)
    assert reader.login() == 302
    version = count(server["db"], "SELECT version FROM registry_household WHERE id = ?", hh)
    newcomer = Browser(port)
    newcomer.request("GET", "/accounts/login/")
    views = count(server["db"], "SELECT count(*) FROM core_auditevent WHERE action = 'household.view'")
    lock = held_for(server["db"], BUSY_SECONDS + 6)
    login, page, listing = in_parallel(
        lambda: newcomer.request("POST", "/accounts/login/", CREDENTIALS),
        lambda: reader.request("GET", f"/registry/{hh}/"),
        lambda: reader.request("GET", "/registry/"),  # reads only: served at once
    )
    lock.join()
    for status, text, response in (login, page):
        assert status == 503, text[:500]
        assert INDONESIAN_BUSY in text and response.getheader("Retry-After")
    assert "6471010101200001" not in page[1]
    assert listing[0] == 200 and "6471010101200001" in listing[1]
    # Nothing half done: no audit row for the page that was not shown; the household as it was.
    assert count(server["db"], "SELECT count(*) FROM core_auditevent WHERE action = 'household.view'") == views
    assert count(server["db"], "SELECT version FROM registry_household WHERE id = ?", hh) == version
    # Once the lock is gone, the same person signs in (the busy answer counted as no failed attempt).
    assert newcomer.login() == 302
    assert reader.request("GET", f"/registry/{hh}/")[0] == 200
