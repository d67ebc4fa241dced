"""The PMT page of the TKPK analyst: fit (a job), compare side by side, choose (audited), score (a job);
and the pages that depend on the PMT desil before and after a model has scored the registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
from entas.registry.importer import import_registry
from entas.targeting.models import HouseholdScore, PmtModel
from tests.helpers import city_files, english_client

pytestmark = pytest.mark.django_db
URL = reverse("targeting:pmt")


@pytest.fixture
def surveyed_city(regions: Any, tmp_path: Any) -> Any:
    files = city_files(households=1500, seed=21, survey_size=600)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    return import_survey(path=files / "survey.csv", name="Susenas sintetis", year=2025, actor=None)


def _run(page: Any) -> Job:
    assert page.status_code == 302, page.content.decode()[:500]
    job = Job.objects.order_by("-pk").first()
    assert job is not None and page["Location"] == reverse("jobs:detail", args=[job.pk])
    done = jobqueue.execute(job.pk)
    assert done.status == "succeeded", done.log
    return done


def test_fit_compare_choose_and_score_from_the_page(
    surveyed_city: Any, client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    client = english_client(client_for, tkpk_analyst)
    profile = reverse("monitoring:poverty_profile") + "?source=registry"
    before = client.get(profile).content.decode()
    assert "No PMT model has scored the registry yet" in before and URL in before
    for kind in ("wls", "gbm"):
        job = _run(client.post(URL, {"action": "fit", "survey": surveyed_city.pk, "kind": kind, "line": 782248}))
        assert job.done == job.total == 2 and "out-of-sample R²" in job.log
    wls, gbm = PmtModel.objects.order_by("version")
    page = client.get(URL).content.decode()
    for model in (wls, gbm):  # side by side: the out-of-sample R² and both error figures of each
        cv = model.metrics["cross_validated"]
        assert f'id="pmt-v{model.version}"' in page and f"{cv['r2']:.3f}" in page
        assert f"{cv['at_p40']['exclusion_error']:.3f}" in page
    assert "No PMT model has scored the registry yet" in page
    assert client.post(URL, {"action": "choose", "model": wls.pk}).status_code == 302
    wls.refresh_from_db()
    assert wls.chosen_by == tkpk_analyst
    assert AuditEvent.objects.filter(action="targeting.choose_model", object_id=str(wls.pk)).exists()
    job = _run(client.post(URL, {"action": "score", "model": wls.pk}))
    assert job.result["households"] == HouseholdScore.objects.filter(model=wls).count() > 0
    assert "The registry's desil comes from PMT v1" in client.get(URL).content.decode()
    after = client.get(profile).content.decode()
    assert "No PMT model has scored" not in after and "PMT v1" in after


def test_choosing_another_model_keeps_one_chosen_and_the_scored_one_in_use(
    surveyed_city: Any, tkpk_analyst: User
) -> None:
    from entas.targeting import services
    from entas.targeting.selectors import model_in_use

    first = services.fit_model(survey=surveyed_city, kind="wls", line=782248, actor=None)
    second = services.fit_model(survey=surveyed_city, kind="wls", line=782248, actor=None, folds=3)
    services.score_registry(model=first, actor=None)
    services.choose_model(model=first, actor=tkpk_analyst)
    services.choose_model(model=second, actor=tkpk_analyst)
    assert list(PmtModel.objects.filter(chosen_at__isnull=False)) == [second]
    assert model_in_use() == first  # the chosen one has not scored the registry yet
    services.score_registry(model=second, actor=None)
    assert model_in_use() == second


def test_an_auditor_sees_the_models_but_runs_nothing(
    regions: Any, client_for: Callable[[User], Client], auditor: User, operator_manggar: User
) -> None:
    client = client_for(auditor)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"action": "score", "model": 1}).status_code == 403
    assert not Job.objects.exists()
    assert client_for(operator_manggar).get(URL).status_code == 403
