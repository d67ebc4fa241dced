"""Under load: N clients against the production server, with and without a web import running.

Builds a synthetic city (3,000 households by default) in a throw-away database, starts the production
server (`entas serve`: gunicorn, threaded workers, debug off, static files through whitenoise) and a
background worker (`entas worker`) on the loopback address, and runs N simulated people (20 by
default), each signed in with an account of their own (kelurahan operators and Dinas Sosial managers)
doing what an office does: the household list, searches by name and NIK, household pages (audited),
NIK reveals (audited), edits of a household, the API (lists and households), the home page, logins.

Phases, each printed as p50/p95/p99 per kind of request, errors (5xx, timeouts, others) and requests/s:

1. floor: the same N clients fetching a static file through the same server (the server's and the
   machine's own cost of a request at this concurrency, measured in the same run);
2. the mix for BENCH_LOAD_SECONDS (default 30);
3. the mix again while one more person uploads a registry file (50,000 families, about 152,000 rows,
   by default) through the import page and the worker imports it; every client signs in afresh
   at the start of this phase, as the issue's twenty people did. The phase lasts at least
   BENCH_LOAD_SECONDS and until the import has finished (at most BENCH_LOAD_MAX_SECONDS, default 300).

Then lost writes: every write the server acknowledged (a household page or API household answered
200 — each is audited —, a NIK revealed, an edit saved) must be in the database, and every row the
import accepted must be in the registry.

Targets (issue #15): no 5xx and no lost write during an import, on SQLite and on PostgreSQL; p95 of
pages ≤ 1 s at 20 clients on PostgreSQL.

    .venv/bin/python benchmarks/load.py [--clients 20] [--households 3000] [--import-households 50000]
        [--database postgres://postgres@127.0.0.1:5432/loadbench]   # created, and dropped at the end

Only the loopback address is used; every loop is bounded in time and the script stops by itself.
BENCH_LOAD_SECONDS=5 makes a quick run.
"""

from __future__ import annotations

import argparse
import csv
import html.parser
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

REQUEST_TIMEOUT = 60.0  # seconds a client waits for an answer (as the probe did)
PAGES = ("home", "list", "search", "detail", "edit form")
WRITES = ("detail", "api household", "nik", "edit save")
PASSWORD = "load-benchmark-password-1"
# Each person signs in at the start of each phase (the twenty logins during an import) and
# again now and then; a login costs a password hash (Argon2, ~100 MB and a few hundred ms of processor
# time by design), so more frequent logins would measure the hash rather than the pages.
RELOGIN = 0.003


# -- a minimal browser -------------------------------------------------------------------------------
class Browser:
    """One person's connection: cookies, keep-alive, the CSRF token. Loopback only."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        sent = {"Host": "127.0.0.1", "Accept-Language": "id", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data, response

    def get(self, path: str) -> tuple[int, bytes, http.client.HTTPResponse]:
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, bytes, http.client.HTTPResponse]:
        body = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        return self.request(
            "POST",
            path,
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            },
        )

    def post_file(self, path: str, fields: dict[str, str], name: str, content: bytes) -> tuple[int, bytes, Any]:
        boundary = "entasbench" + os.urandom(8).hex()
        parts = []
        for key, value in {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


class FormFields(html.parser.HTMLParser):
    """The fields of each POST form of a page, as a browser would submit them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = {}
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind not in {"submit", "button", "file"}:
                self._form[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select" and a.get("name"):
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self._form.setdefault(self._select, value)
            if "selected" in a:
                self._form[self._select] = value
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


# -- what is measured --------------------------------------------------------------------------------
@dataclass
class Tally:
    """Latencies and outcomes per kind of request, and the writes the server acknowledged."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    examples: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, outcome: str | None, example: str = "") -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if outcome:
                self.errors[kind][outcome] += 1
                self.examples.setdefault(f"{kind} {outcome}", example[:300])


@dataclass
class Acknowledged:
    """Per user: household views and NIK reveals answered 200; per household: the edits saved, in order."""

    views: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    reveals: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    edits: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    logins_failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Person:
    user_id: int
    username: str
    households: list[int]
    members: list[tuple[int, int]]  # (household, member) pairs of their areas
    names: list[str]
    niks: list[str]
    own_household: int  # the one household this person edits (nobody else does)
    can_reveal: bool = True
    edits_tried: int = 0  # each edit writes an address of its own, so that every save changes something


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# -- one person ---------------------------------------------------------------------------------------
class Client(threading.Thread):
    def __init__(
        self, person: Person, port: int, tally: Tally, ack: Acknowledged, until: threading.Event, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.person, self.port, self.tally, self.ack, self.until = person, port, tally, ack, until
        self.random = random.Random(seed)
        self.browser = Browser(port)

    def timed(self, kind: str, call: Any, ok: Any, example: str = "") -> tuple[int, bytes] | None:
        start = time.perf_counter()
        try:
            status, body, response = call()
        except TimeoutError:
            self.tally.add(kind, time.perf_counter() - start, "timeout", example)
            return None
        except OSError as exc:
            self.tally.add(kind, time.perf_counter() - start, f"connection ({type(exc).__name__})", example)
            return None
        elapsed = time.perf_counter() - start
        outcome = None
        if status >= 500:
            outcome = str(status)
        elif not ok(status, response):
            outcome = f"unexpected {status}"
        text = body[:2000].decode("utf-8", "replace")
        self.tally.add(kind, elapsed, outcome, f"{example} -> {status} {text!r}")
        return (status, body) if outcome is None else None

    def login(self) -> bool:
        self.browser.close()
        self.browser = Browser(self.port)
        if self.timed("login form", lambda: self.browser.get("/accounts/login/"), lambda s, r: s == 200) is None:
            with self.ack.lock:
                self.ack.logins_failed += 1
            return False
        fields = {"username": self.person.username, "password": PASSWORD}
        done = self.timed(
            "login",
            lambda: self.browser.post("/accounts/login/", fields),
            lambda s, r: s == 302 and "/accounts/login" not in (r.getheader("Location") or ""),
        )
        if done is None:
            with self.ack.lock:
                self.ack.logins_failed += 1
            return False
        return True

    def run(self) -> None:
        signed_in = self.login()
        while not self.until.is_set():
            if not signed_in or self.random.random() < RELOGIN:
                signed_in = self.login()
                continue
            self.step()

    def step(self) -> None:
        p, r = self.person, self.random
        roll = r.random()
        hh = r.choice(p.households)
        if roll < 0.05:
            self.timed("home", lambda: self.browser.get("/"), lambda s, _r: s == 200)
        elif roll < 0.22:
            page = r.randint(1, max(1, len(p.households) // 50))
            self.timed("list", lambda: self.browser.get(f"/registry/?page={page}"), lambda s, _r: s == 200)
        elif roll < 0.37:
            q = r.choice(p.names) if r.random() < 0.6 else r.choice(p.niks)[: r.choice((16, 12))]
            path = "/registry/?" + urllib.parse.urlencode({"q": q})
            self.timed("search", lambda: self.browser.get(path), lambda s, _r: s == 200, path)
        elif roll < 0.57:
            if self.timed("detail", lambda: self.browser.get(f"/registry/{hh}/"), lambda s, _r: s == 200):
                with self.ack.lock:
                    self.ack.views[p.user_id] += 1
        elif roll < 0.67 and p.can_reveal:
            hh, member = r.choice(p.members)
            path = f"/registry/{hh}/members/{member}/nik/"
            if self.timed("nik", lambda: self.browser.post(path, {}), lambda s, _r: s == 200, path):
                with self.ack.lock:
                    self.ack.reveals[p.user_id] += 1
        elif roll < 0.75:
            q = r.choice(p.names)
            path = "/api/v1/households?" + urllib.parse.urlencode({"q": q})
            self.timed("api list", lambda: self.browser.get(path), lambda s, _r: s == 200, path)
        elif roll < 0.85:
            if self.timed(
                "api household", lambda: self.browser.get(f"/api/v1/households/{hh}"), lambda s, _r: s == 200
            ):
                with self.ack.lock:
                    self.ack.views[p.user_id] += 1
        elif roll < 0.93:
            self.edit()
        else:
            self.timed("static", lambda: self.browser.get("/static/entas/style.css"), lambda s, _r: s == 200)

    def edit(self) -> None:
        pk = self.person.own_household
        got = self.timed("edit form", lambda: self.browser.get(f"/registry/{pk}/edit/"), lambda s, _r: s == 200)
        if got is None:
            return
        parser = FormFields()
        parser.feed(got[1].decode("utf-8", "replace"))
        forms = [f for f in parser.forms if "version" in f]
        if not forms:
            self.tally.add("edit form", 0.0, "no form", got[1][:300].decode("utf-8", "replace"))
            return
        self.person.edits_tried += 1
        address = f"Jl. Beban Uji {self.person.user_id}-{self.person.edits_tried}"
        fields = {**forms[0], "address": address}
        saved = self.timed(
            "edit save",
            lambda: self.browser.post(f"/registry/{pk}/edit/", fields),
            lambda s, r: s == 302 and (r.getheader("Location") or "").rstrip("/").endswith(f"/registry/{pk}"),
        )
        if saved is not None:
            with self.ack.lock:
                self.ack.edits[pk].append(address)


def run_floor(port: int, clients: int, seconds: float) -> Tally:
    """The same number of clients fetching a static file: the server's own cost of a request."""
    tally = Tally()
    stop = time.monotonic() + seconds

    def loop() -> None:
        browser = Browser(port)
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                status, _body, _r = browser.get("/static/entas/style.css")
                outcome = None if status == 200 else str(status)
            except OSError as exc:
                outcome = type(exc).__name__
            tally.add("static (floor)", time.perf_counter() - start, outcome)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + REQUEST_TIMEOUT + 5)
    return tally


def run_mix(
    port: int, people: list[Person], tally: Tally, ack: Acknowledged, seconds: float, seed: int, *, until: Any = None
) -> float:
    """Run the people for ``seconds`` (and while ``until()`` is true, within the cap); returns the wall time."""
    stop = threading.Event()
    threads = [Client(p, port, tally, ack, stop, seed * 1000 + i) for i, p in enumerate(people)]
    start = time.monotonic()
    for t in threads:
        t.start()
    cap = float(os.environ.get("BENCH_LOAD_MAX_SECONDS", 300))
    while time.monotonic() - start < cap and (time.monotonic() - start < seconds or (until is not None and until())):
        time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(REQUEST_TIMEOUT + 10)
    return time.monotonic() - start


# -- the import, through the page ----------------------------------------------------------------
class WebImport(threading.Thread):
    """One person uploads a registry file through the import page, then follows the job to its end."""

    def __init__(self, port: int, username: str, path: Path) -> None:
        super().__init__(daemon=True)
        self.port, self.username, self.path = port, username, path
        self.job_id: int | None = None
        self.status = "not started"
        self.result: dict[str, Any] = {}
        self.error = ""
        self.upload_seconds = 0.0
        self.seconds = 0.0
        self.finished = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        try:
            self._run()
        except Exception as exc:  # reported with the figures
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.monotonic() - start
            self.finished.set()

    def _run(self) -> None:
        browser = Browser(self.port)
        browser.get("/accounts/login/")
        status, _b, r = browser.post("/accounts/login/", {"username": self.username, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"the importer could not sign in ({status})")
        browser.get("/registry/import/")
        t = time.monotonic()
        status, body, r = browser.post_file(
            "/registry/import/", {"source": "operator"}, self.path.name, self.path.read_bytes()
        )
        self.upload_seconds = time.monotonic() - t
        location = r.getheader("Location") or ""
        match = re.search(r"/jobs/(\d+)/", location)
        if status != 302 or not match:
            raise RuntimeError(f"the upload answered {status}: {body[:300]!r}")
        self.job_id = int(match.group(1))
        deadline = time.monotonic() + float(os.environ.get("BENCH_LOAD_MAX_SECONDS", 300)) + 120
        while time.monotonic() < deadline:
            time.sleep(1.0)
            try:
                status, body, _r = browser.get(f"/api/v1/jobs/{self.job_id}")
            except OSError:
                continue
            if status != 200:
                continue
            job = json.loads(body)
            self.status = job["status"]
            if job["status"] in {"succeeded", "failed"}:
                self.error = job.get("error", "")
                return
        self.status = "unfinished"


# -- set-up ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_admin(url: str, statement: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


def split_city(households: int, imported: int, seed: int) -> tuple[Path, Path, set[str]]:
    """One synthetic city, cut in two: the registry loaded before the run and the file imported
    during it (NIKs and KK numbers are unique within one generated city, not across two)."""
    from entas.synth import SynthConfig, build, write

    out = Path(tempfile.mkdtemp(prefix="entas-bench-load-", dir=os.environ["ENTAS_VAR_DIR"]))
    write(build(SynthConfig(households=households + imported, seed=seed, survey_size=10)), out)
    base, extra = out / "base.csv", out / "import.csv"
    niks: set[str] = set()
    with (
        open(out / "registry.csv", newline="", encoding="utf-8") as src,
        open(base, "w", newline="", encoding="utf-8") as a,
        open(extra, "w", newline="", encoding="utf-8") as b,
    ):
        reader = csv.reader(src)
        header = next(reader)
        kk, nik = header.index("kk_number"), header.index("nik")
        wa, wb = csv.writer(a), csv.writer(b)
        wa.writerow(header)
        wb.writerow(header)
        seen: set[str] = set()
        for row in reader:
            if row[kk] in seen or len(seen) < households:
                seen.add(row[kk])
                wa.writerow(row)
            else:
                wb.writerow(row)
                niks.add(row[nik])
    return base, extra, niks


def make_people(clients: int) -> tuple[list[Person], str]:
    """Operators of the busiest kelurahan (one each, in turn) and Dinas Sosial managers of the city."""
    from django.db.models import Count

    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.regions.models import Region, RegionLevel
    from entas.registry.models import Household, Member

    city = Region.objects.get(code=os.environ.get("ENTAS_CITY_CODE", "64.71"))
    busiest = list(
        Region.objects.filter(level=RegionLevel.KELURAHAN)
        .annotate(n=Count("households"))
        .filter(n__gte=10)
        .order_by("-n")[:8]
    )
    people = []
    taken: set[int] = set()
    for i in range(clients):
        operator = i % 3 != 2  # two operators for each manager
        area = busiest[i % len(busiest)] if operator else city
        user = User.objects.create_user(
            username=f"load{i:02d}", password=PASSWORD, role=Role.OPERATOR if operator else Role.DINSOS_MANAGER
        )
        user.areas.set([area])
        scope = Household.objects.filter(kelurahan=area) if operator else Household.objects.all()
        households = list(scope.values_list("pk", flat=True))
        own = next(pk for pk in households if pk not in taken)
        taken.add(own)
        members = list(Member.objects.filter(household__in=scope).values_list("household_id", "pk", "name", "nik"))
        people.append(
            Person(
                user_id=user.pk,
                username=user.username,
                households=households,
                members=[(h, m) for h, m, _n, _k in members],
                names=sorted({n.split()[-1] for _h, _m, n, _k in members}),
                niks=[k for _h, _m, _n, k in members],
                own_household=own,
            )
        )
    importer = User.objects.create_user(username="load-importer", password=PASSWORD, role=Role.DINSOS_MANAGER)
    importer.areas.set([city])
    return people, importer.username


def start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def wait_for_server(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{log.read_text()[-3000:]}")
        try:
            status, _b, _r = Browser(port).get("/health/?check=database")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer within 60 s:\n{log.read_text()[-3000:]}")


# -- report -------------------------------------------------------------------------------------------
def report(title: str, tally: Tally, wall: float, floor_p95: float | None) -> dict[str, Any]:
    print(f"\n{title} ({wall:.0f} s, load average {os.getloadavg()[0]:.1f})")
    print(f"  {'kind':<16}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}   errors")
    groups = {
        "ALL PAGES": [k for k in tally.times if k in PAGES],
        "ALL": list(tally.times),
    }
    summary: dict[str, Any] = {}
    for kind in [*sorted(tally.times), *groups]:
        values = [v for k in groups.get(kind, [kind]) for v in tally.times[k]]
        if not values or (kind == "ALL" and len(tally.times) == 1):
            continue
        errors: dict[str, int] = defaultdict(int)
        for k in groups.get(kind, [kind]):
            for outcome, n in tally.errors[k].items():
                errors[outcome] += n
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        shown = ", ".join(f"{n} {o}" for o, n in sorted(errors.items())) or "-"
        extra = f"   ({p95 / 1000 / floor_p95:.0f}x the floor's p95)" if floor_p95 and kind == "ALL PAGES" else ""
        print(
            f"  {kind:<16}{len(values):>7}{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{max(values, default=0) * 1000:>9.0f}"
            f"   {shown}{extra}"
        )
        summary[kind] = {"n": len(values), "p50": p50, "p95": p95, "p99": p99, "errors": dict(errors)}
    print(f"  {len(groups['ALL']) and sum(len(v) for v in tally.times.values()) / wall:.1f} requests/s")
    for key, example in list(tally.examples.items())[:6]:
        print(f"  e.g. {key}: {example}")
    return summary


def lost_writes(people: list[Person], ack: Acknowledged, edits_before: dict[int, int]) -> tuple[int, list[str]]:
    """Acknowledged writes missing from the database (and, as information, writes recorded beyond them:
    requests the client gave up on that the server finished)."""
    from django.db.models import Count

    from entas.core.models import AuditEvent
    from entas.registry.models import Household

    counts = {
        (a["actor_id"], a["action"]): a["n"]
        for a in AuditEvent.objects.filter(action__in=["household.view", "member.view_nik"])
        .values("actor_id", "action")
        .annotate(n=Count("id"))
    }
    lost, notes = 0, []
    for p in people:
        for action, acknowledged in (
            ("household.view", ack.views[p.user_id]),
            ("member.view_nik", ack.reveals[p.user_id]),
        ):
            recorded = counts.get((p.user_id, action), 0)
            if recorded < acknowledged:
                lost += acknowledged - recorded
                notes.append(f"{p.username}: {acknowledged} {action} acknowledged, {recorded} recorded")
        saved = ack.edits[p.own_household]
        household = Household.objects.get(pk=p.own_household)
        missing = len(saved) - (household.version - edits_before[p.own_household])
        if missing > 0 or (saved and household.address != saved[-1]):
            lost += max(missing, 1)
            notes.append(
                f"{p.username}: {len(saved)} edits acknowledged, version moved by "
                f"{household.version - edits_before[p.own_household]}, address {household.address!r}"
            )
    return lost, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--import-households", type=int, default=50_000, help="families in the imported file")
    parser.add_argument("--no-import", action="store_true", help="skip the phase with a concurrent import")
    parser.add_argument("--database", default=os.environ.get("ENTAS_DATABASE_URL", ""), help="default: SQLite")
    parser.add_argument("--workers", type=int, default=None, help="entas serve --workers (default: its own)")
    parser.add_argument("--threads", type=int, default=None, help="entas serve --threads (default: its own)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (database, logs)")
    args = parser.parse_args()
    seconds = float(os.environ.get("BENCH_LOAD_SECONDS", 30))

    var = Path(tempfile.mkdtemp(prefix="entas-bench-load-var-"))
    os.environ["ENTAS_VAR_DIR"] = str(var)
    os.environ["ENTAS_HTTPS"] = "0"  # plain HTTP on the loopback address, as make demo
    os.environ["ENTAS_ALLOWED_HOSTS"] = "127.0.0.1"
    created_database = False
    if args.database.startswith("postgres"):
        name = urllib.parse.urlsplit(args.database).path.lstrip("/")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SystemExit(f"database name {name!r}: use lowercase letters, digits and _")
        postgres_admin(args.database, f"DROP DATABASE IF EXISTS {name}")
        postgres_admin(args.database, f"CREATE DATABASE {name}")
        created_database = True
        os.environ["ENTAS_DATABASE_URL"] = args.database
    else:
        os.environ.pop("ENTAS_DATABASE_URL", None)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        from _setup import SCRATCH, django_setup
        from _setup import report as figure

        os.environ[SCRATCH] = str(var)  # this benchmark made its own folder and database above
        django_setup()
        from django.core.management import call_command
        from django.db import connection, connections

        from entas.registry.importer import import_registry
        from entas.registry.models import Household, Member

        base, import_file, import_niks = split_city(args.households, args.import_households, seed=15)
        print(f"loading {args.households:,} households through the import …", flush=True)
        import_registry(base, actor=None, rejection_path=base.with_suffix(".rejected.csv"))
        call_command("collectstatic", interactive=False, verbosity=0)
        people, importer = make_people(args.clients)
        edits_before = dict(Household.objects.values_list("pk", "version"))
        with open(import_file, encoding="utf-8") as lines:
            rows = sum(1 for _ in lines) - 1
        connections.close_all()

        entas = str(Path(sys.executable).with_name("entas"))
        port = free_port()
        serve = [entas, "serve", "--bind", f"127.0.0.1:{port}"]
        if args.workers:
            serve += ["--workers", str(args.workers)]
        if args.threads:
            serve += ["--threads", str(args.threads)]
        server_log, worker_log = var / "server.log", var / "worker.log"
        processes.append(start(serve, server_log))
        processes.append(start([entas, "worker"], worker_log))
        wait_for_server(port, processes[0], server_log)

        print(
            f"\n{connection.vendor}; {Household.objects.count():,} households, {Member.objects.count():,} members; "
            f"{args.clients} clients; server: {' '.join(serve[1:])}; {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        floor = run_floor(port, args.clients, min(5.0, seconds))
        floor_summary = report("floor: a static file, same server, same clients", floor, min(5.0, seconds), None)
        floor_p95 = floor_summary["static (floor)"]["p95"] / 1000

        ack = Acknowledged()
        tally = Tally()
        wall = run_mix(port, people, tally, ack, seconds, seed=1)
        quiet = report("the mix, no import", tally, wall, floor_p95)

        busy: dict[str, Any] = {}
        web_import: WebImport | None = None
        if not args.no_import:
            web_import = WebImport(port, importer, import_file)
            tally = Tally()
            web_import.start()
            wall = run_mix(port, people, tally, ack, seconds, seed=2, until=lambda: not web_import.finished.is_set())
            web_import.finished.wait(float(os.environ.get("BENCH_LOAD_MAX_SECONDS", 300)) + 150)
            busy = report(
                f"the mix during a web import of {rows:,} rows ({args.import_households:,} families)",
                tally,
                wall,
                floor_p95,
            )
            print(
                f"  import: job {web_import.job_id} {web_import.status} in {web_import.seconds:.0f} s "
                f"(upload {web_import.upload_seconds:.1f} s){' — ' + web_import.error if web_import.error else ''}"
            )

        for process in processes:
            stop(process)
        connections.close_all()
        lost, notes = lost_writes(people, ack, edits_before)
        landed = Member.objects.filter(nik__in=list(import_niks)).count() if web_import else 0
        rejected = 0
        if web_import and web_import.job_id:
            from entas.core.models import Job

            result = Job.objects.get(pk=web_import.job_id).result or {}
            rejected = int(result.get("rejected", 0))
            if landed + rejected != rows:
                notes.append(f"import: {rows:,} rows, {landed:,} in the registry, {rejected:,} rejected")
                lost += max(0, rows - rejected - landed)
        print(
            f"\nlost writes: {lost}{' (' + '; '.join(notes[:5]) + ')' if notes else ''}; "
            f"failed logins: {ack.logins_failed}; imported rows in the registry: {landed:,} of {rows:,} "
            f"({rejected:,} rejected by the import's checks)"
        )
        five = sum(n for s in (quiet, busy) for o, n in s.get("ALL", {}).get("errors", {}).items() if o[:1] == "5")
        pages_p95 = busy.get("ALL PAGES", quiet.get("ALL PAGES", {})).get("p95", float("nan"))
        print(
            f"targets: no 5xx ({five} seen), no lost write ({lost}), "
            f"p95 of pages ≤ 1000 ms at 20 clients on PostgreSQL ({pages_p95:.0f} ms on {connection.vendor}"
            f"{', during the import' if busy else ''})"
        )
        quiet_p95 = quiet.get("ALL PAGES", {}).get("p95", float("nan"))
        figure("pages p95 at 20 clients", quiet_p95, "ms", floor=floor_p95 * 1000, target="≤ 1,000 ms on PostgreSQL")
        if busy:
            floor_ms = floor_p95 * 1000
            figure("pages p95 during an import", pages_p95, "ms", floor=floor_ms, target="no 5xx, no lost write")
        figure("5xx answers", five, "", target="0")
        figure("lost writes", lost, "", target="0")
        if os.environ.get("BENCH_LOAD_JSON"):
            Path(os.environ["BENCH_LOAD_JSON"]).write_text(
                json.dumps({"floor": floor_summary, "quiet": quiet, "import": busy, "lost": lost}, indent=1)
            )
        for log in (server_log, worker_log):
            lines = [x for x in log.read_text(errors="replace").splitlines() if "Error" in x or "locked" in x]
            if lines:
                print(f"  {log.name}: {len(lines)} error lines, e.g. {lines[0][:200]}")
    finally:
        for process in processes:
            stop(process)
        if created_database:
            from django.db import connections as conns

            conns.close_all()
            name = urllib.parse.urlsplit(args.database).path.lstrip("/")
            postgres_admin(args.database, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if args.keep:
            print(f"kept {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
