"""The reference data page: poverty lines and survey rounds loaded from uploads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core.models import AuditEvent
from entas.monitoring.models import PovertyLine, SurveyRound
from entas.monitoring.services import DEFAULT_LINES_FILE
from tests.helpers import english_client

pytestmark = pytest.mark.django_db
URL = reverse("monitoring:reference_data")
SURVEY = (
    "kk_number,kelurahan_code,stratum,psu,weight,household_size,consumption_per_capita\r\n"
    "6471010101200001,64.71.01.1001,1,1,120.5,3,900000\r\n"
    "6471010101200002,64.71.01.1001,1,2,80,4,650000\r\n"
)


def test_an_analyst_loads_poverty_lines_and_a_survey_round(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = english_client(client_for, tkpk_analyst)
    lines = SimpleUploadedFile("garis.csv", DEFAULT_LINES_FILE.read_bytes())
    page = client.post(URL, {"kind": "lines", "lines-file": lines}, follow=True)
    assert "poverty lines loaded" in page.content.decode() and PovertyLine.objects.exists()
    survey = SimpleUploadedFile("survei.csv", SURVEY.encode())
    page = client.post(
        URL, {"kind": "survey", "survey-file": survey, "survey-name": "Susenas", "survey-year": 2025}, follow=True
    )
    loaded = SurveyRound.objects.get()
    assert (loaded.name, loaded.year, loaded.source_file, loaded.households.count()) == (
        "Susenas",
        2025,
        "survei.csv",
        2,
    )
    assert "Survey round Susenas (2025) loaded (2 households)" in page.content.decode()
    assert AuditEvent.objects.filter(action="monitoring.import_survey", actor=tkpk_analyst).exists()


def test_a_bad_survey_row_is_named_and_nothing_is_loaded(
    regions: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    bad = SURVEY.replace("64.71.01.1001,1,2", "99.99.99.9999,1,2")
    survey = SimpleUploadedFile("survei.csv", bad.encode())
    page = english_client(client_for, tkpk_analyst).post(
        URL, {"kind": "survey", "survey-file": survey, "survey-name": "Susenas", "survey-year": 2025}
    )
    assert "Line 3: kelurahan_code &#x27;99.99.99.9999&#x27; is not loaded." in page.content.decode()
    assert not SurveyRound.objects.exists()


def test_an_auditor_sees_the_reference_data_but_loads_nothing(
    regions: Any, client_for: Callable[[User], Client], auditor: User
) -> None:
    client = client_for(auditor)
    assert client.get(URL).status_code == 200
    lines = SimpleUploadedFile("garis.csv", DEFAULT_LINES_FILE.read_bytes())
    assert client.post(URL, {"kind": "lines", "lines-file": lines}).status_code == 403
    assert not PovertyLine.objects.exists()
