"""The XSS probe's parts: hostile strings, a city that carries them in every free-text field, and a
reader that looks at an answer the way a browser would.

A page is checked by parsing it (``html.parser``, which splits markup as a browser's tokenizer does),
not by searching for the payload: escaped text that merely *contains* ``<script>`` is what a correct
page shows. What is looked for is markup that came from data: a ``<script>`` element with inline
code, an image that is no static file or a probe element (``<x>``, ``<y>``), an ``on…``
attribute, a ``javascript:`` URL; and every ``<script type="application/json">`` block (the charts'
Vega-Lite specs) must hold valid JSON with no ``<`` in it that could end the block. Alongside, every
text and attribute value the pages show is collected, so the tests can check that each planted string
was shown, verbatim, somewhere: a sweep that never displayed a field would prove nothing about it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LINK = "javascript:alert(1)"
BREAKOUT = "</script><script>alert(1)</script>"  # leaves an inline JSON or script block
TEMPLATE = "{{7*7}}{% debug %}"  # rendered as a template, it would show 49 and the context
TEXTAREA = "</textarea><img src=x onerror=alert(1)>"
PAYLOADS = (SCRIPT, IMG, BREAKOUT, TEMPLATE, TEXTAREA, LINK)

# An upload's name as the probe used it: it reaches job parameters, log lines and messages.
HOSTILE_FILE_NAME = '"><img src=x onerror=alert(1)>.csv'

# The probe elements of the short fields (RT/RW hold three characters): no template renders them.
PROBE_ELEMENTS = {"x", "y"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcdoc"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
_PPRINT_SPLIT = re.compile(r"'\n\s*'")


def hostile(label: str, limit: int, start: int = 0) -> str:
    """``label`` and as many payloads as fit in ``limit`` characters (a column's max_length), taken in
    turn from ``start``: fields of several rows get different payloads, so every kind is stored."""
    text = label
    for i in range(len(PAYLOADS)):
        payload = PAYLOADS[(start + i) % len(PAYLOADS)]
        if len(text) + 1 + len(payload) <= limit:
            text += " " + payload
    assert any(p in text for p in PAYLOADS), f"{limit} characters hold no payload after {label!r}"
    return text


@dataclass
class Seen:
    """What the answers showed: problems (markup from data), and every string displayed."""

    problems: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)

    def displays(self, value: str) -> bool:
        # The audit trail pretty-prints changes: pprint splits a long string into adjacent literals.
        return any(value in text or value in _PPRINT_SPLIT.sub("", text) for text in self.shown)


class _PageReader(HTMLParser):
    """One HTML answer, read as a browser's tokenizer would split it."""

    def __init__(self, where: str, seen: Seen):
        super().__init__(convert_charrefs=True)
        self.where = where
        self.seen = seen
        self.script: dict[str, str | None] | None = None
        self.script_text: list[str] = []

    def _problem(self, what: str) -> None:
        self.seen.problems.append(f"{self.where}: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag == "script":
            self.script = dict(attrs)
            self.script_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        shown = " ".join(f'{k}="{v}"' for k, v in attrs)
        if tag in PROBE_ELEMENTS or (tag == "img" and not (dict(attrs).get("src") or "").startswith("/static/")):
            self._problem(f"<{tag} {shown}> (an element no template renders)")
        for name, value in attrs:
            value = value or ""
            self.seen.shown.append(value)
            if name.startswith("on"):
                self._problem(f"<{tag} {name}={value!r}> (an event handler)")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith(DANGEROUS_SCHEMES):
                self._problem(f"<{tag} {name}={value!r}> (a script URL)")

    def handle_data(self, data: str) -> None:
        if self.script is not None:
            self.script_text.append(data)
        else:
            self.seen.shown.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.script is not None:
            self._script_ends("".join(self.script_text))

    def close(self) -> None:
        super().close()
        if self.script is not None:  # an unclosed script swallowed the rest of the page
            self._script_ends("".join(self.script_text))

    def _script_ends(self, text: str) -> None:
        attrs, self.script = self.script or {}, None
        if attrs.get("type") == "application/json":
            # A data block (json_script): valid JSON, and nothing in it that could end the block early.
            if "<" in text:
                self._problem(f"<script id={attrs.get('id')!r}> holds a '<': {text[:120]!r}")
            try:
                self.seen.shown += list(strings_in(json.loads(text)))
            except ValueError as exc:
                self._problem(f"<script id={attrs.get('id')!r}> is not valid JSON ({exc}): {text[:120]!r}")
        elif attrs.get("src") is None or text.strip():
            self._problem(f"an inline script: <script {attrs}>{text[:120]}")


def strings_in(value: Any) -> Iterable[str]:
    """Every string of a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


def read_answer(where: str, response: Any, seen: Seen) -> None:
    """Check one answer: HTML parsed for markup from data, JSON for validity, anything else must be a
    download (an attachment, never rendered in the browser's page); and every answer tells browsers
    not to guess its type (``nosniff``), so a JSON or CSV answer is never read as HTML."""
    kind = response.get("Content-Type", "").split(";")[0].strip()
    if response.get("X-Content-Type-Options") != "nosniff":
        seen.problems.append(f"{where}: no X-Content-Type-Options: nosniff")
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        seen.shown.append(location)
        if location.strip().lower().startswith(DANGEROUS_SCHEMES):
            seen.problems.append(f"{where}: redirects to {location!r}")
        return
    body = body_of(response)
    if kind == "text/html":
        reader = _PageReader(where, seen)
        reader.feed(body.decode("utf-8"))
        reader.close()
    elif kind == "application/json":
        try:
            seen.shown += list(strings_in(json.loads(body)))
        except ValueError as exc:
            seen.problems.append(f"{where}: answers invalid JSON ({exc}): {body[:120]!r}")
    elif body and "attachment" not in response.get("Content-Disposition", ""):
        seen.problems.append(f"{where}: {kind or 'no type'} shown inline: {body[:120]!r}")


# -- forms --------------------------------------------------------------------------------------


@dataclass
class Form:
    """A form of a page, as a browser would submit it: method, action, and its controls."""

    method: str
    action: str
    # (kind, name, value): kind is an input type, "textarea", "select" or "submit"; a select's value is
    # its selected option (or its first), a radio's and a checkbox's the first of their name.
    controls: list[tuple[str, str, str]] = field(default_factory=list)

    def filled(self, text: str, *, link: str = LINK) -> dict[str, Any]:
        """The data a user would send typing ``text`` into every text box (a hidden ``next``: ``link``);
        everything else as the page offered it, the first named button pressed. Parameters of a GET
        form are all ``text``: a filter echoes what it was given, known option or not."""
        data: dict[str, Any] = {}
        pressed = False
        for kind, name, value in self.controls:
            if not name:
                continue
            if kind in ("hidden",):
                data[name] = link if name == "next" else value
            elif kind in ("submit", "button", "image"):
                if not pressed:
                    data[name], pressed = value, True
            elif self.method == "get" and kind in ("checkbox", "radio", "select"):
                data[name] = text
            elif kind == "select" and name in data:  # a multiple select keeps every chosen option
                data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
            elif kind in ("checkbox", "radio", "select"):
                data.setdefault(name, value)
            elif kind == "file":
                from django.core.files.uploadedfile import SimpleUploadedFile

                data[name] = SimpleUploadedFile(HOSTILE_FILE_NAME.replace(".csv", ".exe"), b"kk_number\n")
            else:  # text, search, email, number, date, password, textarea, …
                data[name] = text
        return data

    @property
    def takes_text(self) -> bool:
        """Whether a user can type into it, name a file, or send a filter the page echoes (a GET form's
        every parameter), or whether it carries a return address."""
        kinds = {kind for kind, name, _value in self.controls if name}
        chosen = {"hidden", "submit", "button", "image"} | (
            set() if self.method == "get" else {"checkbox", "radio", "select"}
        )
        return bool(kinds - chosen) or any(name == "next" for _kind, name, _value in self.controls)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", "get").lower(), a.get("action", "")))
        elif not self.forms:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self.forms[-1].controls.append(
                (kind, a.get("name", ""), a.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "textarea":
            self.forms[-1].controls.append(("textarea", a.get("name", ""), ""))
        elif tag == "button":
            self.forms[-1].controls.append((a.get("type", "submit").lower(), a.get("name", ""), a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a.get("name", ""), []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select is not None and self.forms:
            chosen = [v for v, selected in self.options if selected] or [v for v, _s in self.options if v][:1] or [""]
            for value in chosen:
                self.forms[-1].controls.append(("select", self.select, value))
            self.select = None


def forms_of(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


# -- the city -------------------------------------------------------------------------------------


def hostile_regions_csv(default: str, names: dict[str, str]) -> str:
    """The default region file with the names of ``names`` (code → name) replaced."""
    rows = list(csv.DictReader(io.StringIO(default)))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "name": names.get(row["code"], row["name"])})
    return out.getvalue()


def hostile_poverty_lines_csv(default: str) -> str:
    """The default poverty-line series with every line's name hostile (they are shown on the profile)."""
    rows = list(csv.DictReader(io.StringIO(default)))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "name": hostile(f"garis {row['kind']}", 120)})
    return out.getvalue()


def chart_spec(label: str) -> dict[str, Any]:
    """A Vega-Lite spec carrying hostile strings in its data, title and tooltip: what a chart page must
    embed as inert JSON (the stored match-weight chart, the pair's waterfall)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": hostile(f"{label} title", 200, 2),
        "data": {"values": [{"name": hostile(f"{label} value", 400), "w": 1.5}]},
        "mark": "bar",
        "encoding": {
            "y": {"field": "name", "type": "nominal", "title": BREAKOUT},
            "x": {"field": "w", "type": "quantitative"},
            "tooltip": [{"field": "name"}],
        },
    }


TODAY = dt.date(2026, 6, 1)


@dataclass
class City:
    """The hostile city: the URL matrix's world (its objects, for the routes' arguments), the users
    who see them, and every planted string by the field it was planted in."""

    world: Any
    users: dict[str, Any]
    planted: dict[str, str]
    failed_job: Any  # its error quotes the upload's hostile name


def build_city(
    *,
    regions: dict[str, Any],
    make_user: Any,
    operator_damai: Any,
    dinsos_manager: Any,
    tmp_path: Any,
    monkeypatch: Any,
) -> City:
    """A small city whose every free-text field shown anywhere carries payloads, entered the way such
    text arrives: files (regions, poverty lines, the registry upload, a survey) and the services behind
    the forms. Written into the database directly: what no path accepts today but older data could hold
    (RT/RW text), and what would take a whole payment run (a cycle's flags, the bank's reason for a
    failed payment). The objects live in Kelurahan Damai, whose name is hostile."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from entas.accounts.roles import Role
    from entas.core import audit, jobqueue
    from entas.core.models import Job
    from entas.dedup import services as dedup
    from entas.dedup.models import DedupRun, DuplicatePair, MemberMerge
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.programs import services as programmes
    from entas.programs.models import Entitlement, Payment
    from entas.regions.services import DEFAULT_REGIONS_FILE, load_regions
    from entas.registry import services as registry
    from entas.registry.models import ChangeRequest, Household
    from entas.synth import SynthConfig, build, write
    from entas.targeting import services as targeting
    from tests.conftest import DAMAI
    from tests.helpers import make_pair, make_programme
    from tests.registry.helpers import family
    from tests.security.test_url_matrix import World

    planted: dict[str, str] = {}

    def plant(label: str, limit: int, start: int = 0) -> str:
        planted[label] = hostile(label, limit, start)
        return planted[label]

    # Regions from a file whose kelurahan and kecamatan names are hostile (names hold 100 characters).
    kelurahan_name, kecamatan_name = plant("kelurahan", 100, 0), plant("kecamatan", 100, 1)
    load_regions(
        text=hostile_regions_csv(
            DEFAULT_REGIONS_FILE.read_text(encoding="utf-8"), {DAMAI: kelurahan_name, DAMAI[:8]: kecamatan_name}
        ),
        actor=None,
        source=plant("regions file", 200, 2),
    )
    load_poverty_lines(text=hostile_poverty_lines_csv(DEFAULT_LINES_FILE.read_text(encoding="utf-8")), actor=None)
    planted["poverty line"] = hostile("garis extreme", 120)

    # People: the operator who uploads, and the approver; their names and organisation are hostile.
    for user, who in ((operator_damai, "operator"), (dinsos_manager, "manager")):
        user.first_name = plant(f"{who} first name", 150, 1)
        user.last_name = plant(f"{who} last name", 150, 3)
        user.organisation = plant(f"{who} organisation", 120, 4)
        user.save(update_fields=["first_name", "last_name", "organisation"])
    users = {
        "operator_damai": operator_damai,
        "dinsos_manager": dinsos_manager,
        "tkpk_analyst": make_user("tkpk", Role.TKPK_ANALYST, ["64.71"]),
        "auditor": make_user("auditor", Role.AUDITOR, ["64.71"]),
        "partner": make_user("mitra", Role.PARTNER, []),
        "admin_user": make_user("admin", Role.ADMIN, [], is_staff=True, is_superuser=True),
    }

    # The registry, uploaded through the import page under a hostile file name, with a hostile column
    # (the import logs the columns it ignores): names, address, all hostile.
    kk_a, kk_b = "6471060101200002", "6471060101200003"
    people_a = [
        (plant(f"member {i}", 120, i), "2" if i % 2 else "1", dt.date(1975 + 5 * i, 1 + i, 1), "1" if i == 0 else "3")
        for i in range(len(PAYLOADS))
    ]
    people_b = [
        (plant("member b0", 120, 2), "1", dt.date(1975, 1, 1), "1"),
        (LINK, "2", dt.date(1977, 1, 2), "2"),  # a name that is only a script URL
    ]
    rows = family(DAMAI, kk_a, people_a, serial=3000, address=plant("address", 200, 0))
    rows += family(DAMAI, kk_b, people_b, serial=3100, address=plant("address b", 200, 3))
    # A family the import rejects (its NIK is no NIK): the rejection file, a download, repeats it.
    rows += family(DAMAI, "6471060101200004", [(hostile("rejected member", 120, 4), "1", dt.date(1980, 1, 1), "1")])
    rows[-1]["nik"] = "NIK-" + SCRIPT
    for row in rows:
        row[SCRIPT] = "x"
    planted["ignored column"] = SCRIPT
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    operator = Client()
    operator.force_login(operator_damai)
    upload = SimpleUploadedFile(HOSTILE_FILE_NAME, out.getvalue().encode(), content_type="text/csv")
    answer = operator.post("/registry/import/", {"file": upload, "source": "operator"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    imported = jobqueue.execute(Job.objects.get(kind="registry.import").pk)
    assert imported.status == Job.Status.SUCCEEDED and imported.result_file, imported.error
    planted["upload name"] = HOSTILE_FILE_NAME
    a, b = Household.objects.get(kk_number=kk_a), Household.objects.get(kk_number=kk_b)
    # A job that fails on the upload's name (its file is gone): the error quotes it.
    failed = jobqueue.submit(
        kind="registry.import",
        params={"file": "imports/gone.csv", "name": HOSTILE_FILE_NAME, "dry_run": True},
        actor=operator_damai,
        queue=False,
    )
    failed = jobqueue.execute(failed.pk)
    assert failed.status == Job.Status.FAILED and HOSTILE_FILE_NAME in failed.error

    # No path writes text into RT/RW today (the import and the edit form take digits only): older data
    # could hold it all the same. Three characters: a probe element.
    Household.objects.filter(pk=a.pk).update(rt="<x>", rw="<y>")
    planted["rt"], planted["rw"] = "<x>", "<y>"
    a.refresh_from_db()
    registry.update_household(
        actor=operator_damai,
        household=a,
        values={"address": plant("edited address", 200, 4)},
        expected_version=a.version,
    )
    a.refresh_from_db()

    # Change requests (the reasons, a proposed member's name), one decided with a hostile note.
    members_a = list(a.members.order_by("pk"))
    change = registry.request_change(
        actor=operator_damai,
        household=a,
        kind=ChangeRequest.Kind.REMOVE_MEMBER,
        payload={"member_id": members_a[-1].pk},
        reason=plant("change reason", 1000, 1),
    )
    registry.request_change(
        actor=operator_damai,
        household=a,
        kind=ChangeRequest.Kind.ADD_MEMBER,
        payload={
            "nik": "6471064507200001",
            "name": plant("proposed member", 120, 3),
            "sex": "2",
            "birth_date": "2020-07-05",
            "relationship": "3",
        },
        reason=plant("add reason", 1000, 4),
    )
    rejected = registry.request_change(
        actor=operator_damai,
        household=b,
        kind=ChangeRequest.Kind.REMOVE_MEMBER,
        payload={"member_id": b.members.order_by("pk").last().pk},  # type: ignore[union-attr]
        reason=plant("rejected change reason", 1000, 5),
    )
    registry.decide_change(actor=dinsos_manager, request=rejected, approve=False, note=plant("decision note", 500, 0))
    registry.verify_household(
        actor=operator_damai, household=b, visit_date=TODAY, confirmed=False, reason=plant("rejection reason", 1000, 2)
    )

    # Targeting: a hostile rule name and a string literal that would end an inline script; a
    # musyawarah decision; a survey round with a hostile name.
    rule = targeting.save_rule(
        actor=dinsos_manager,
        name=plant("rule name", 120, 0),
        expression=f'dtsen_desil <= 4 or kecamatan == "{BREAKOUT}"',
        benefit=100_000,
    )
    planted["rule expression"] = rule.expression
    targeting.record_override(
        actor=operator_damai,
        rule=rule,
        household=a,
        action="add",
        reason=plant("musyawarah reason", 1000, 3),
        berita_acara=LINK,
        decided_on=TODAY,
    )
    planted["berita acara"] = LINK
    write(build(SynthConfig(households=200, seed=5, survey_size=150)), tmp_path)
    import_survey(path=tmp_path / "survey.csv", name=plant("survey", 120, 5), year=2025, actor=None)

    # A programme: hostile name, agency and shock event; households reported affected, one enrolled by
    # hand and one exited, with hostile reasons; a cycle with flags and a payment the bank refused.
    programme = make_programme(
        rule,
        name=plant("programme", 120, 0),
        agency=plant("agency", 120, 1),
        end=dt.date(2026, 12, 31),
        base_amount=100_000,
        shock_event=plant("shock event", 120, 2),
    )
    for household in (a, b):
        programmes.flag_affected(
            household=household,
            event=programme.shock_event,
            kind="disaster",
            note=plant("shock note", 300, 3),
            actor=operator_damai,
        )
    programmes.enrol_by_hand(
        programme=programme, household=a, reason=plant("enrol reason", 300, 4), actor=dinsos_manager
    )
    programmes.enrol_by_hand(programme=programme, household=b, reason="sementara", actor=dinsos_manager)
    programmes.exit_household(
        programme=programme, household=b, reason=plant("exit reason", 300, 5), actor=dinsos_manager
    )
    cycle = programmes.create_cycle(programme=programme, period="2026-06", actor=dinsos_manager)
    entitlement = Entitlement.objects.create(cycle=cycle, household=a, amount=100_000, flags=plant("flags", 200, 0))
    Payment.objects.create(
        entitlement=entitlement,
        reference="E2E-XSS-1",
        amount=100_000,
        status="failed",
        reason=plant("bank reason", 200, 1),
    )

    # Deduplication: a pair under review with a hostile reason, a merge with one, the stored
    # match-weight chart and the pair's waterfall carrying payloads. The waterfall is splink's chart of
    # one comparison (sensitive values removed: no personal data), drawn for a trained model only; the
    # page must embed whatever it holds as inert JSON, so here it holds payloads.
    from entas.dedup import selectors as dedup_selectors

    monkeypatch.setattr(dedup_selectors, "waterfall_spec", lambda pair: chart_spec("waterfall"))
    planted["waterfall chart"] = chart_spec("waterfall")["data"]["values"][0]["name"]
    planted["weights chart"] = chart_spec("weights")["title"]
    pair = make_pair(members_a[0], b.members.order_by("pk")[0])
    DuplicatePair.objects.filter(pk=pair.pk).update(comparison={"match_weight": 10.0})
    dedup.decide(
        pair=pair, decision=DuplicatePair.Decision.UNSURE, reason=plant("pair reason", 1000, 1), actor=operator_damai
    )
    model = pair.run.model
    model.match_weights_chart = chart_spec("weights")
    model.training = {"members": 7, "seconds": 0.1}
    model.splink_model = {"stored": True}
    model.save(update_fields=["match_weights_chart", "training", "splink_model"])
    DedupRun.objects.filter(pk=pair.run_id).update(kelurahan=a.kelurahan)
    twin = make_pair(members_a[1], b.members.order_by("pk")[1])
    dedup.decide(pair=twin, decision=DuplicatePair.Decision.SAME, reason="sama", actor=operator_damai)
    merge = dedup.merge(
        survivor=members_a[1],
        merged=b.members.order_by("pk")[1],
        pair=twin,
        household=a,
        reason=plant("merge reason", 1000, 2),
        actor=dinsos_manager,
    )
    assert isinstance(merge, MemberMerge)

    # The audit trail: an event whose object and change are hostile (what an object's __str__ or a
    # service's summary could carry).
    audit.record(
        actor=operator_damai,
        action="household.update",
        obj=a,
        object_repr=plant("audit object", 200, 3),
        region_code=DAMAI,
        before={"address": "Jl. Lama"},
        after={"address": plant("audit change", 400, 4)},
    )

    manggar = Household.objects.create(
        kk_number="6471010101200001", kelurahan=regions["64.71.01.1001"], address="Jl. Contoh"
    )
    # Skills training: a provider, course and cohort whose texts are hostile, two of the family's
    # members applying, one decision changed by hand with a hostile reason.
    from entas.training import services as training
    from entas.training.models import Course, Provider

    provider = Provider.objects.create(
        code="lpk-x", name=plant("training provider", 160, 5), kind="lpk", accreditation=plant("accreditation", 80, 6)
    )
    course = Course.objects.create(
        provider=provider,
        code="kursus-x",
        name=plant("course", 160, 7),
        competency_area="Garmen",
        scheme=plant("certification scheme", 160, 8),
        hours=10,
    )
    trainer = users["admin_user"]
    cohort, _ = training.save_cohort(
        course=course,
        code="angkatan-x",
        start=dt.date(2026, 1, 5),
        end=dt.date(2026, 1, 9),
        seats=2,
        venue=plant("cohort venue", 160, 9),
        trainer=plant("trainer", 120, 10),
        actor=trainer,
    )
    training.apply_members(cohort=cohort, members=members_a[:2], actor=trainer)
    application = cohort.applications.order_by("pk").first()
    assert application is not None
    training.override(application=application, status="selected", reason=plant("override", 200, 11), actor=trainer)

    world = World(a, b, manggar, change, programme, cycle, pair, merge, imported)
    world.group = _hostile_group(a, members_a[0], plant)
    world.record, world.adjustment = _policy(programme, a, users["tkpk_analyst"], plant)
    # A citizen's complaint about Damai, its text and an officer's answer hostile (entas.portal).
    from entas.portal import services as portal

    world.case = portal.file_case(
        category="usul",  # an open usul: its registration page is swept too
        kelurahan=regions[DAMAI],
        description=plant("complaint", 1000, 5),
        contact_name=plant("complainant", 120, 6),
        attachments=[SimpleUploadedFile(HOSTILE_FILE_NAME, b"%PDF-1.4 " + SCRIPT.encode())],
        address="10.0.0.1",
    ).case
    portal.add_note(case=world.case, kind="internal", text=plant("complaint note", 1000, 7), actor=dinsos_manager)
    # A sanggah about the Damai household, resolved: its hostile text is the verification task's reason.
    sanggah = portal.file_case(
        category="sanggah",
        kelurahan=regions[DAMAI],
        description=plant("sanggah", 280, 30),  # the verification task's reason holds its first 300 characters
        contact_email="warga@example.org",
        address="10.0.0.2",
    ).case
    portal.link(case=sanggah, actor=dinsos_manager, household=a)
    portal.add_note(case=sanggah, kind="public", text="Akan diverifikasi ulang.", actor=dinsos_manager)
    portal.take_step(case=sanggah, action="resolve", actor=dinsos_manager)
    world.cohort, world.application = cohort, application
    world.forum, world.proposal, world.contribution = _participation(a, world.record, users, plant)
    world.campaign, world.event = _outreach(a, users, plant)
    world.evaluation, world.scenario = _evaluation(programme, users["tkpk_analyst"], plant)
    # An API token whose name is hostile, on the administrator's token page (entas.accounts.tokens).
    from entas.accounts import tokens

    admin = users["admin_user"]
    tokens.create_token(actor=admin, user=admin, name=plant("token name", 100, 12), scopes="regions:read")
    world.exchange = _interop(a, users, plant)
    # A webhook subscription with a hostile name (its list and its delivery log show it).
    from entas.webhooks import services as webhooks

    world.webhook, _secret = webhooks.create_subscription(
        actor=admin,
        owner=users["dinsos_manager"],
        name=plant("webhook name", 100, 33),
        url="https://bank.example/hook",
        event_names=["household.changed"],
    )
    world.report = _report(users["tkpk_analyst"], plant)
    _official_series(users["tkpk_analyst"], plant)
    return City(world=world, users=users, planted=planted, failed_job=failed)


def _interop(household: Any, users: dict[str, Any], plant: Callable[..., str]) -> Any:
    """A DCI caller system with a hostile name and sender id; a SIKS-NG export with a hostile berita
    acara and a DTSEN import under a hostile file name with one national record, Damai's family
    (entas.interop)."""
    from entas.interop import services as interop
    from entas.interop.models import Exchange, NationalRecord

    interop.register_caller(
        actor=users["admin_user"],
        sender_id=plant("dci sender id", 120, 29),
        name=plant("dci caller name", 200, 30),
        service_user=users["auditor"],
        jwks_url="https://spmis.example/jwks.json",
    )
    manager = users["dinsos_manager"]
    Exchange.objects.create(
        kind="siks_export",
        period="2026-01",
        berita_acara=plant("siks berita acara", 120, 31),
        file_name="bnba.csv",
        actor=manager,
    )
    exchange = Exchange.objects.create(kind="dtsen_import", file_name=plant("dtsen file name", 200, 32), actor=manager)
    NationalRecord.objects.create(
        exchange=exchange,
        row=2,
        kk_number=household.kk_number,
        dtsen_status="AKTIF",
        desil=1,
        members=1,
        household=household,
    )
    return exchange


def _participation(household: Any, record: Any, users: dict[str, Any], plant: Callable[..., str]) -> tuple[Any, ...]:
    """A musyawarah of Damai with hostile agenda, chair, place and decision reason; a Musrenbang proposal
    with hostile title, problem and proposer; a partner (the partner persona's) with a hostile name
    and contribution."""
    from entas.participation import services as participation

    operator, editor = users["operator_damai"], users["tkpk_analyst"]
    forum = participation.save_forum(
        actor=operator,
        kind="musyawarah",
        area=household.kelurahan,
        held_on=dt.date(2026, 1, 20),
        berita_acara=plant("berita acara number", 120, 12),
        agenda=plant("forum agenda", 1000, 13),
        place=plant("forum place", 200, 14),
        chair=plant("forum chair", 120, 15),
        attendance={"residents": (3, 4)},
    )
    participation.record_decision(
        actor=operator, forum=forum, household=household, action="remove", reason=plant("decision reason", 300, 16)
    )
    proposal, _ = participation.save_proposal(
        actor=operator,
        code="USL-X",
        title=plant("proposal title", 200, 17),
        kelurahan=household.kelurahan,
        category="housing",
        proposer=plant("proposer", 120, 18),
        problem=plant("proposal problem", 300, 19),
    )
    partner, _ = participation.save_partner(
        actor=editor, code="mitra-x", name=plant("partner name", 160, 20), kind="ngo", users=[users["partner"]]
    )
    contribution = participation.record_contribution(
        actor=editor,
        partner=partner,
        kind="cash",
        description=plant("contribution", 200, 21),
        record=record,
        year=2026,
        pledged_value=1_000,
        delivered_value=500,
        kelurahan=household.kelurahan,
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    hostile_pdf = HOSTILE_FILE_NAME.removesuffix(".csv") + ".pdf"  # a scan is a PDF, JPEG or PNG
    scan = SimpleUploadedFile(hostile_pdf, b"%PDF-1.4 " + SCRIPT.encode())
    participation.attach_scan(actor=operator, forum=forum, upload=scan)
    report = SimpleUploadedFile(hostile_pdf, b"%PDF-1.4 " + SCRIPT.encode())
    participation.attach_delivery_report(actor=users["partner"], contribution=contribution, upload=report)
    return forum, proposal, contribution


def _outreach(household: Any, users: dict[str, Any], plant: Callable[..., str]) -> tuple[Any, Any]:
    """An awareness campaign with hostile name, target group and partners, and an event in Damai with a
    hostile venue and facilitators that two of Damai's people attended."""
    from entas.outreach import services as outreach

    officer = users["admin_user"]
    campaign, _ = outreach.save_campaign(
        code="kampanye-x",
        name=plant("campaign name", 160, 22),
        theme="jkn",
        channel="seminar",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        target_group=plant("campaign target group", 200, 23),
        partners=plant("campaign partners", 200, 24),
        actor=officer,
    )
    event, _ = outreach.save_event(
        campaign=campaign,
        code="acara-x",
        date=dt.date(2026, 2, 1),
        kelurahan=household.kelurahan,
        venue=plant("event venue", 160, 25),
        facilitators=plant("event facilitators", 200, 26),
        actor=officer,
    )
    for member in household.members.order_by("pk")[:2]:
        outreach.record_attendee(event=event, nik=member.nik, actor=officer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    leaflet = SimpleUploadedFile(HOSTILE_FILE_NAME.removesuffix(".csv") + ".pdf", b"%PDF-1.4 " + SCRIPT.encode())
    outreach.upload_material(campaign=campaign, title=plant("material title", 160, 29), upload=leaflet, actor=officer)
    return campaign, event


def _report(analyst: Any, plant: Callable[..., str]) -> Any:
    """An official report's draft whose narrative and a table's row label are hostile (entas.reports)."""
    from entas.reports.document import Document, Narrative, Section, Table
    from entas.reports.models import Report, ReportVersion

    report = Report.objects.create(kind="lp2kd", year=2026, created_by=analyst)
    table = Table(
        key="t", title="Uji", columns=["A", "B"], rows=[[plant("report row", 200, 29), 1]], formats=["text", "int"]
    )
    blocks = [table, Narrative(key="problems", hint="Permasalahan")]
    doc = Document("lp2kd", "LP2KD", "Kota Balikpapan", "2026", "2026-12-31", [Section("s", "S", blocks)])
    ReportVersion.objects.create(
        report=report,
        number=1,
        snapshot=dt.date(2026, 12, 31),
        document=doc.as_dict(),
        narrative={"problems": plant("report narrative", 2000, 30)},
        generated_by=analyst,
    )
    return report


OFFICIAL_SERIES = "hostile-official"  # the indicator code of the official-values page (test_url_matrix)


def _official_series(analyst: Any, plant: Callable[..., str]) -> None:
    """An official series (monitoring) whose name and a value's source are hostile."""
    from entas.monitoring import services as monitoring

    indicator, _state = monitoring.define_indicator(
        spec={"code": OFFICIAL_SERIES, "name": plant("official series", 120, 29), "kind": "official"}, actor=analyst
    )
    monitoring.enter_official_value(
        indicator=indicator,
        area_code="64.71",
        period="2024",
        value=5.5,
        source=plant("official value source", 300, 30),
        confirmed=False,
        actor=analyst,
    )


def _evaluation(programme: Any, analyst: Any, plant: Callable[..., str]) -> tuple[Any, Any]:
    """A saved evaluation and a simulated scenario whose titles are hostile (aggregates only)."""
    from entas.evaluation.models import Evaluation, Scenario

    result = {
        "method": "did_twfe",
        "effect": 1.0,
        "se": 0.5,
        "ci_low": 0.02,
        "ci_high": 1.98,
        "n": 40,
        "causal": True,
        "warnings": [],
        "diagnostics": {},
    }
    evaluation = Evaluation.objects.create(
        title=plant("evaluation title", 200, 27),
        method="did",
        specification={"method": "did"},
        source="uji.csv",
        snapshot_date=dt.date(2026, 1, 1),
        result=result,
        created_by=analyst,
    )
    measures = ("p0", "p1", "p2", "gini")
    figures: dict[str, Any] = {f"{m}_{when}": 0.1 for m in measures for when in ("before", "after")}
    figures |= {"households": 1, "people": 4, "cost": 3_600_000, "exclusion_error": 0.2, "inclusion_error": 0.1}
    figures |= {"by_kecamatan": [], "incidence_by_desil": []}
    scenario = Scenario.objects.create(
        title=plant("scenario title", 200, 28),
        programme=programme,
        specification={"rule": "desil <= 1"},
        result=figures,
        survey="Susenas",
        created_by=analyst,
    )
    return evaluation, scenario


def _policy(programme: Any, household: Any, editor: Any, plant: Callable[..., str]) -> tuple[Any, Any]:
    """The policy register with hostile text in every field a page shows: the plan, a strategy, a
    non-cash programme and its activity, an adjustment's rationale and evidence, and a benefit."""
    from entas.accounts.models import Opd
    from entas.policy import services as policy
    from entas.policy.models import Activity, Adjustment, BudgetMonth, Plan, ProgrammeRecord, Strategy
    from entas.programs.models import Programme

    opd = Opd.objects.create(code="DINSOS", name="Dinas Sosial")
    plan = Plan.objects.create(
        code="RPKD",
        title=plant("plan title", 300, 0),
        start_year=2025,
        end_year=2029,
        status="adopted",
        legal_basis=plant("legal basis", 200, 1),
    )
    strategy = Strategy.objects.create(plan=plan, code="S1", name=plant("strategy", 300, 2))
    ProgrammeRecord.objects.create(programme=programme, strategy=strategy, code="P0", lead_opd=opd)
    training = Programme.objects.create(
        name=plant("policy programme", 120, 3),
        kind="training",
        agency="Disnaker",
        start=dt.date(2025, 1, 1),
        end=dt.date(2029, 12, 31),
    )
    record = ProgrammeRecord.objects.create(
        programme=training, strategy=strategy, code="P1", lead_opd=opd, target_group=plant("target group", 300, 4)
    )
    activity = Activity.objects.create(record=record, code="1.06.04.2.01.0001", name=plant("activity", 300, 5), opd=opd)
    BudgetMonth.objects.create(activity=activity, month=dt.date(2025, 1, 1), pagu=1000, realised=10)
    adjustment = Adjustment.objects.create(
        record=record,
        field="status",
        before="active",
        after="paused",
        reason=plant("adjustment reason", 1000, 0),
        evidence=[plant("adjustment evidence", 400, 1)],
        effective_on=dt.date(2026, 1, 1),
        proposed_by=editor,
    )
    policy.record_benefits(
        rows=[policy.BenefitRow(training, household, None, dt.date(2026, 2, 1), plant("benefit", 200, 2))],
        actor=editor,
    )
    return record, adjustment


def _hostile_group(household: Any, member: Any, plant: Any) -> Any:
    """A business group of Damai whose name, product, handover record and visit topics are hostile."""
    from entas.enterprise.models import BusinessReport, Grant, Group, Loan, Membership, MentoringVisit

    group = Group.objects.create(
        name=plant("group name", 120, 0),
        type="kube",
        kbli="10792",
        product=plant("group product", 120, 1),
        kelurahan=household.kelurahan,
        founded=dt.date(2024, 1, 1),
    )
    Membership.objects.create(group=group, member=member, role="chair", joined_on=group.founded)
    Grant.objects.create(
        group=group,
        kind="cash",
        amount=1_000_000,
        handed_over_on=dt.date(2024, 2, 1),
        handover_reference=plant("handover record", 60, 2),
    )
    Loan.objects.create(
        group=group,
        reference="DB-XSS",
        principal=1_000_000,
        term_months=10,
        disbursed_on=dt.date(2024, 2, 1),
        first_due=dt.date(2024, 3, 1),
    )
    BusinessReport.objects.create(
        group=group, period="month", period_start=dt.date(2024, 3, 1), revenue=1, costs=1, flagged=plant("flag", 300, 3)
    )
    MentoringVisit.objects.create(group=group, visited_on=dt.date(2024, 4, 1), topics=plant("visit topics", 200, 4))
    return group
