"""The demonstration's campaigns: events from the registry, a knowledge gain that differs by theme,
and follow-ups in which attending families enrol in JKN faster than comparable ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.outreach import demo, selectors
from entas.outreach.models import Campaign
from entas.regions.models import RegionLevel
from entas.registry.models import Household, Member
from tests.conftest import CITY

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def test_the_demo_has_a_true_signal(regions: dict[str, Any], make_user: Callable[..., User]) -> None:
    officer = make_user("pelatihan", Role.TRAINING_OFFICER, [CITY])
    kelurahan = sorted((r for r in regions.values() if r.level == RegionLevel.KELURAHAN), key=lambda r: r.code)[:3]
    n = 0
    for region in kelurahan:
        for h in range(60):
            household = Household.objects.create(
                kk_number=f"{n:016d}", kelurahan=region, desil_city=1 + h % 5, address="Jl. Demo"
            )
            for i in range(3):
                Member.objects.create(
                    household=household,
                    nik=f"99{n:08d}{i:06d}",
                    name=f"Warga Demo {n}-{i}",
                    sex="2" if i % 2 else "1",
                    birth_date=dt.date((1980, 1992, 2012)[i], 1, 1),
                    relationship="1" if i == 0 else "3",
                    health_insurance="0",
                    school_participation="2" if i == 2 else "",
                )
            n += 1
    made = demo.seed(officer=officer, today=TODAY)
    assert made["campaigns"] == 4 and made["events"] >= 20 and made["attendees"] > 200
    assert demo.seed(officer=officer, today=TODAY) == {}  # idempotent
    from entas.outreach.models import Material

    assert sorted(set(Material.objects.values_list("version", flat=True))) == [1, 2]  # every leaflet revised once
    assert Material.objects.count() == 2 * made["campaigns"]
    gains = {c.theme: selectors.knowledge_for(officer, c).overall for c in Campaign.objects.all()}
    assert all(g.low is not None and g.low > 0 for g in gains.values() if g.change and g.change > 0.5)
    assert gains["jkn"].change > gains["finance"].change  # type: ignore[operator]
    jkn = Campaign.objects.get(theme="jkn")
    waves = {(w.months, w.group): w for w in selectors.follow_ups_for(officer, jkn)}
    attended, comparison = waves[(12, "attended")], waves[(12, "comparison")]
    assert attended.households > 10 and comparison.households > 10
    assert attended.jkn_rate > comparison.jkn_rate  # type: ignore[operator]
    reach = selectors.reach_for(officer, jkn)
    assert reach.people > 0 and reach.repeated >= 0 and any(r.target_households for r in reach.rows)
