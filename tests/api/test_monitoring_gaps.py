"""Monitoring's gaps that the API closed (issue #26): survey rounds (list; an upload loaded as a job),
the poverty profile and the small-area estimates — the reference-data, poverty-profile and small-area
pages' forms, services, reads and roles, under the ``indicators`` scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from entas.accounts import tokens
from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import Job
from entas.monitoring.models import SurveyHousehold, SurveyRound
from entas.monitoring.services import DEFAULT_LINES_FILE, load_poverty_lines
from entas.regions.models import Region
from entas.registry.importer import import_registry
from tests.conftest import MANGGAR
from tests.helpers import city_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english(client: Any, settings: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _bearer(user: User, scope: str) -> dict[str, str]:
    secret = tokens.create_token(actor=user, user=user, name="t", scopes=scope).secret
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _upload(client: Any, auth: dict[str, str], content: bytes, name: str = "susenas.csv", **fields: Any) -> Any:
    data = {"file": SimpleUploadedFile(name, content), "name": "Susenas", "year": 2025, **fields}
    return client.post("/api/v1/monitoring/surveys", data, **auth)


def test_upload_a_survey_round_as_a_job(
    client: Any, regions: Any, tkpk_analyst: User, auditor: User, operator_manggar: User, settings: Any
) -> None:
    files = city_files(households=1500, seed=4, survey_size=600)
    auth = _bearer(tkpk_analyst, "indicators:write")
    started = _upload(client, auth, (files / "survey.csv").read_bytes(), year=2024)
    assert started.status_code == 202, started.content
    job = Job.objects.get(pk=started.json()["job"])
    assert job.kind == "monitoring.import_survey" and job.params["survey_name"] == "Susenas"
    stored = Path(settings.MEDIA_ROOT) / job.params["file"]
    assert stored.is_file()
    done = jobqueue.execute(job.pk)
    assert done.status == "succeeded", done.log
    survey = SurveyRound.objects.get()
    assert (survey.year, done.result["households"]) == (2024, SurveyHousehold.objects.filter(survey=survey).count())
    assert not stored.exists()  # the upload names households: deleted once loaded
    listed = client.get("/api/v1/monitoring/surveys", **_bearer(auditor, "indicators:read"))
    assert listed.status_code == 200
    assert [(s["id"], s["year"], s["households"]) for s in listed.json()] == [
        (survey.pk, 2024, done.result["households"])
    ]

    # a file with bad lines loads nothing; the job says which lines and why
    bad = _upload(
        client,
        auth,
        b"kelurahan_code,stratum,psu,weight,household_size,consumption_per_capita\n"
        b"64.71.01.1001,a,1,10,3,100\n64.71.99.9999,a,1,10,3,100\n64.71.01.1001,a,1,x,3,100\n",
    )
    assert bad.status_code == 202
    failed = jobqueue.execute(bad.json()["job"])
    assert failed.status == "failed"
    assert "Line 3: kelurahan_code '64.71.99.9999' is not loaded." in failed.error
    assert "Line 4: weight, household_size and consumption_per_capita must be numbers." in failed.error
    assert SurveyRound.objects.count() == 1

    # refused before any job: too large, no file, no year; the roles (analytics and jobs) and the scope
    settings.ENTAS_IMPORT_MAX_FILE_MB = 0
    too_big = _upload(client, auth, b"kelurahan_code\n")
    assert too_big.status_code == 400 and too_big.json()["field"] == "file"
    assert "ENTAS_IMPORT_MAX_FILE_MB" in too_big.json()["message"]
    settings.ENTAS_IMPORT_MAX_FILE_MB = 50
    no_file = client.post("/api/v1/monitoring/surveys", {"name": "x", "year": 2025}, **auth)
    assert no_file.status_code == 422 and no_file.json()["field"] == "file"
    no_year = client.post("/api/v1/monitoring/surveys", {"file": SimpleUploadedFile("s.csv", b"x")}, **auth)
    assert no_year.status_code == 422 and no_year.json()["field"] == "year"
    assert _upload(client, _bearer(auditor, "*"), b"x").status_code == 403  # reads, loads nothing
    assert _upload(client, _bearer(operator_manggar, "*"), b"x").status_code == 403  # jobs, but no analytics
    assert _upload(client, _bearer(tkpk_analyst, "indicators:read"), b"x").status_code == 403
    assert client.get("/api/v1/monitoring/surveys", **_bearer(tkpk_analyst, "targeting:write")).status_code == 403
    assert Job.objects.count() == 2


def _survey_with_poor_everywhere(year: int) -> SurveyRound:
    """60 households in each kelurahan, about 15 % of them poor (tests/monitoring/test_dashboard.py)."""
    rng = np.random.default_rng(7)
    survey = SurveyRound.objects.create(name="Survei uji", year=year)
    rows = []
    for k, region in enumerate(Region.objects.filter(level=4).order_by("code")):
        shift = 0.3 * np.sin(k)
        for i in range(60):
            rows.append(
                SurveyHousehold(
                    survey=survey,
                    kelurahan=region,
                    stratum=region.code[:8],
                    psu=f"{region.code}-{i // 10}",
                    weight=100.0,
                    household_size=4,
                    consumption_per_capita=int(np.exp(rng.normal(14.0 + shift, 0.45))),
                )
            )
    SurveyHousehold.objects.bulk_create(rows)
    return survey


def test_poverty_profile_and_small_area_estimates(
    client: Any, regions: Any, tkpk_analyst: User, operator_manggar: User, partner: User, tmp_path: Path
) -> None:
    analyst = _bearer(tkpk_analyst, "indicators:read")
    none_yet = client.get("/api/v1/monitoring/poverty-profile", **analyst)
    assert none_yet.status_code == 404 and none_yet.json()["message"] == "No survey round is loaded for that year."
    files = city_files(households=1500, seed=4, survey_size=600)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    survey = _survey_with_poor_everywhere(2024)

    city = client.get("/api/v1/monitoring/poverty-profile?by=kecamatan", **analyst)
    assert city.status_code == 200, city.content
    body = city.json()
    assert (body["survey_id"], body["year"], body["by"], body["source"]) == (survey.pk, 2024, "kecamatan", "survey")
    assert body["line"] == 782248 and len(body["areas"]) == 6
    assert 0 < body["total"]["p0"] < 100 and body["total"]["p0_low"] <= body["total"]["p0"] <= body["total"]["p0_high"]
    # an operator's profile is of their kelurahan only (their level by default)
    own = client.get("/api/v1/monitoring/poverty-profile", **_bearer(operator_manggar, "indicators:read")).json()
    assert own["by"] == "kelurahan" and [a["code"] for a in own["areas"]] == [MANGGAR]
    higher = client.get("/api/v1/monitoring/poverty-profile?line=2000000", **analyst).json()
    assert higher["line"] == 2000000 and higher["total"]["p0"] > body["total"]["p0"]
    assert client.get("/api/v1/monitoring/poverty-profile?line=-1", **analyst).status_code == 422
    no_model = client.get("/api/v1/monitoring/poverty-profile?source=registry", **analyst)
    assert no_model.status_code == 400 and no_model.json()["message"].startswith("No PMT model has scored the registry")

    sae = client.get("/api/v1/monitoring/small-area?year=2024", **analyst)
    assert sae.status_code == 200, sae.content
    rows = sae.json()["kelurahan"]
    assert sae.json()["year"] == 2024 and len(rows) == 34 and sum(r["in_model"] for r in rows) >= 30
    assert all(r["unreliable"] == (r["cv"] is None or r["cv"] > 0.25) for r in rows)
    assert client.get("/api/v1/monitoring/small-area?year=2019", **analyst).status_code == 404
    # small-area estimates are the analysts' (city-wide analytics); the scope is indicators
    assert client.get("/api/v1/monitoring/small-area", **_bearer(operator_manggar, "*")).status_code == 403
    assert client.get("/api/v1/monitoring/small-area", **_bearer(tkpk_analyst, "reports:read")).status_code == 403
    # a partner holds no area: told so, not a server error
    partner_view = client.get("/api/v1/monitoring/poverty-profile", **_bearer(partner, "indicators:read"))
    assert partner_view.status_code == 400
    assert partner_view.json()["message"] == "The survey Survei uji (2024) has no sampled household in your areas."
