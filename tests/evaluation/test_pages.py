"""The pages: the TKPK analyst runs an evaluation from a file and reads it with its plots and as PDF,
simulates a scenario, saves it, compares scenarios and proposes one as an adjustment; the auditor
reads and writes nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from entas.accounts.models import User
from entas.evaluation.models import Evaluation, Scenario

from .synthetic import panel

pytestmark = pytest.mark.django_db


def _panel_file() -> SimpleUploadedFile:
    data = panel(41, units=80, periods=5, cohorts=(2, 3))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kk", "tahun", "penerima", "konsumsi"])
    writer.writerows(
        zip(
            data["unit"].tolist(),
            (2021 + data["time"]).tolist(),
            data["treat"].astype(int).tolist(),
            np.round(data["y"], 4).tolist(),
            strict=True,
        )
    )
    return SimpleUploadedFile("panel.csv", out.getvalue().encode(), content_type="text/csv")


def test_the_analyst_runs_an_evaluation_and_reads_it_with_plots_and_as_pdf(
    client_for: Any, tkpk_analyst: User, auditor: User
) -> None:
    client = client_for(tkpk_analyst)
    response = client.post(
        reverse("evaluation:new"),
        {
            "title": "BLT dan konsumsi",
            "method": "did",
            "unit": "kk",
            "time": "tahun",
            "treat": "penerima",
            "outcome": "konsumsi",
            "event_study": "on",
            "file": _panel_file(),
        },
    )
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302 and response.url == reverse("evaluation:evaluation", args=[evaluation.pk])
    assert evaluation.result["pre_trend_p"] is not None and "robust" in evaluation.result
    page = client.get(response.url)
    assert page.status_code == 200 and b"chart-0-spec" in page.content and b"evaluation:" in page.content
    # The first plot is the raw parallel-trends plot: never treated and each cohort (2023, 2024).
    _id, _spec_id, _label, first_spec = page.context["charts"][0]
    groups = {row["group"] for row in first_spec["data"]["values"]}
    assert len(groups) == 3 and first_spec["layer"][1]["data"]["values"] == [{"adoption": 2022.5}, {"adoption": 2023.5}]
    pdf = client.get(response.url, {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client_for(auditor).get(response.url).status_code == 200
    bad = client.post(
        reverse("evaluation:new"),
        {"title": "x", "method": "rd", "running": "kk", "outcome": "konsumsi", "file": _panel_file()},
    )
    assert bad.status_code == 400 and Evaluation.objects.count() == 1


def test_the_analyst_simulates_saves_compares_and_proposes_a_scenario(
    city: None, cash_programme: Any, plan: Any, client_for: Any, tkpk_analyst: User, auditor: User
) -> None:
    client = client_for(tkpk_analyst)
    url = reverse("evaluation:simulate")
    shown = client.get(url, {"run": "1", "programme": cash_programme.pk, "base_amount": "350.000"})
    assert shown.status_code == 200 and shown.context["result"]["households"] > 0
    assert "Perilaku" in shown.content.decode() or "perilaku" in shown.content.decode()
    saved = client.post(url, {"run": "1", "programme": cash_programme.pk, "base_amount": "350000", "title": "Naik"})
    scenario = Scenario.objects.get()
    assert saved.status_code == 302 and scenario.status_quo is not None
    client.post(
        url, {"run": "1", "rule": "dtsen_desil <= 2", "base_amount": "300000", "budget": "100000000", "title": "Hemat"}
    )
    ids = list(Scenario.objects.values_list("pk", flat=True))
    compared = client.get(reverse("evaluation:compare"), {"id": ids})
    assert compared.status_code == 200 and len(compared.context["table"]["heads"]) == 2
    assert client.get(reverse("evaluation:compare"), {"id": [1, 2, 3, 4, 5]}).status_code == 400
    assert (
        client_for(auditor)
        .post(reverse("evaluation:scenario", args=[scenario.pk]), {"field": "base_amount"})
        .status_code
        == 403
    )
    proposed = client.post(
        reverse("evaluation:scenario", args=[scenario.pk]), {"field": "base_amount", "reason": "Bukti simulasi"}
    )
    assert proposed.status_code == 302
    scenario.refresh_from_db()
    assert scenario.adjustment is not None and scenario.adjustment.after == 350000
    index = client.get(reverse("evaluation:index"))
    assert index.status_code == 200 and len(index.context["scenarios"]) == 2


def test_the_api_lists_evaluations_and_simulates(
    city: None, client_for: Any, tkpk_analyst: User, auditor: User
) -> None:
    client = client_for(tkpk_analyst)
    answer = client.post(
        reverse("api:simulate"),
        {"rule": "dtsen_desil <= 3", "base_amount": 300000, "save_as": "API"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["households"] > 0 and "saved" in answer.json()
    listed = client_for(auditor).get(reverse("api:list_scenarios"))
    assert listed.status_code == 200 and listed.json()[0]["title"] == "API"
    assert client_for(auditor).post(reverse("api:simulate"), {}, content_type="application/json").status_code == 403
    assert client.get(reverse("api:list_evaluations")).json() == []
