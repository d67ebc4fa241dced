"""What pages say, in the user's language and the city's formats: no English left on an Indonesian
page, no Python value shown as Python, dates written one way, jobs titled by what they worked on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from entas.accounts.models import User
from entas.core import audit, jobqueue
from entas.core.errors import Refused
from entas.core.models import Job
from tests.helpers import english_client

pytestmark = pytest.mark.django_db


def test_the_import_page_names_the_codes_in_the_users_language(
    regions: Any, client_for: Any, operator_manggar: User
) -> None:
    # The code lists were fixed in one language when the module was imported.
    text = client_for(operator_manggar).get("/registry/import/").content.decode()
    assert "1 = Laki-laki" in text and "1 = Male" not in text
    english = english_client(client_for, operator_manggar).get("/registry/import/").content.decode()
    assert "1 = Male" in english and "1 = Laki-laki" not in english


def test_the_audit_trail_shows_values_not_python_dicts(regions: Any, client_for: Any, auditor: User) -> None:
    audit.record(
        actor=auditor,
        action="test.change",
        object_type="registry.household",
        object_repr="KK 1",
        before={"state": "draft", "flags": ["a", "b"]},
        after={"state": "enrolled", "paid": True},
    )
    text = english_client(client_for, auditor).get("/audit/").content.decode()
    assert "{&#x27;" not in text and "{'" not in text
    assert "draft → enrolled" in text and "a, b → –" in text and "– → yes" in text


def test_the_waterfall_chart_speaks_indonesian() -> None:
    from entas.dedup.selectors import _translated_titles, _waterfall_titles

    spec = {
        "title": {"text": "Match weights waterfall chart"},
        "layer": [{"encoding": {"y": {"axis": {"title": "Match Weight"}}}}],
        "data": {"values": [{"title": "Match Weight"}]},
    }
    with translation.override("id"):
        out = _translated_titles(spec, _waterfall_titles())
    assert out["title"]["text"] == "Diagram air terjun bobot kecocokan"
    assert out["layer"][0]["encoding"]["y"]["axis"]["title"] == "Bobot kecocokan"
    assert out["data"] == spec["data"]  # the data is left alone


def test_a_busy_refusal_writes_the_date_the_indonesian_way(regions: Any, operator_manggar: User) -> None:
    Job.objects.create(
        kind="registry.export",
        status=Job.Status.RUNNING,
        created_by=operator_manggar,
        created_at=timezone.make_aware(dt.datetime(2026, 11, 29, 14, 5)),
        locks=["registry.64.71"],
    )
    with translation.override("id"), pytest.raises(Refused) as refused:
        jobqueue.refuse_if_locked(["registry.64.71.01"])
    assert "29/11/2026 14.05" in refused.value.message


def test_a_job_page_is_titled_by_its_subject_and_links_back(
    regions: Any, client_for: Any, operator_manggar: User
) -> None:
    job = Job.objects.create(
        kind="registry.import",
        params={"file": "imports/x.csv", "name": "kelurahan-manggar.csv", "dry_run": True},
        created_by=operator_manggar,
    )
    page = english_client(client_for, operator_manggar).get(f"/jobs/{job.pk}/")
    text = page.content.decode()
    assert "<title>Import into the registry · File kelurahan-manggar.csv (trial run)" in text
    assert 'href="/registry/"' in text and "Worked on:" in text


def test_a_dedup_job_links_to_the_queue_of_its_kelurahan(regions: Any, client_for: Any, operator_manggar: User) -> None:
    from tests.conftest import MANGGAR

    job = Job.objects.create(kind="dedup.run", params={"kelurahan": MANGGAR}, created_by=operator_manggar)
    client: Client = english_client(client_for, operator_manggar)
    text = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f"Kelurahan {regions[MANGGAR].name}" in text and 'href="/dedup/"' in text
