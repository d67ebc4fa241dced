"""A small city for the reports: 600 synthetic households scored by a PMT, a survey of 2025, the
national and extreme lines, the example plan of the policy register (with its cash programme), an
official series, and the poorest households enrolled in the cash programme."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.monitoring.models import Indicator
from entas.monitoring.services import DEFAULT_LINES_FILE, enter_official_value, import_survey, load_poverty_lines
from entas.synth import SynthConfig, build, write
from tests.conftest import CITY
from tests.policy.conftest import cash_programme, plan  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports-city")
    write(build(SynthConfig(households=600, seed=11, survey_size=300)), out)
    return out


@pytest.fixture
def city(regions: Any, city_dir: Path, plan: Any, cash_programme: Any, tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    from entas.programs.models import Enrolment
    from entas.registry.importer import import_registry
    from entas.targeting.models import HouseholdScore
    from entas.targeting.services import fit_model, score_registry

    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    import_registry(city_dir / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    survey = import_survey(path=city_dir / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    model = fit_model(survey=survey, kind="wls", line=782248, actor=None)
    score_registry(model=model, actor=None)
    poorest = list(
        HouseholdScore.objects.filter(model=model)
        .order_by("predicted_consumption")
        .values_list("household_id", flat=True)[:40]
    )
    Enrolment.objects.bulk_create(
        Enrolment(programme=cash_programme, household_id=h, state=Enrolment.State.ENROLLED) for h in poorest[::2]
    )
    official = Indicator.objects.create(
        code="p0-bps", name="P0 resmi BPS", kind="official", period_type="year", direction="down", factor=1
    )
    for period, value in (("2024", 2.23), ("2025", 2.11)):
        enter_official_value(
            indicator=official, area_code=CITY, period=period, value=value, source="BPS", confirmed=True, actor=None
        )
    return {"survey": survey, "model": model, "plan": plan, "programme": cash_programme}


@pytest.fixture
def checker(make_user: Callable[..., User]) -> User:
    """A second TKPK secretariat member: the checker who finalises what the analyst prepared."""
    return make_user("bappeda2", Role.TKPK_ANALYST, [CITY])
