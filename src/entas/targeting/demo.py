"""The targeting pages of the demonstration (called by ``entas seed_demo`` once a synthetic city and
its survey round are loaded): two fitted PMT models, one chosen by the TKPK analyst and scored, and
two eligibility rules, one of them with a second version, so that no targeting page opens empty.
Idempotent: a second run adds nothing once models and rules exist."""

from __future__ import annotations

from entas.accounts.models import User
from entas.monitoring import selectors as monitoring

from . import services
from .models import EligibilityRule, PmtModel

RULES = [
    # (name, saved by, [versions: (expression, benefit, note)])
    (
        "BLT Kota",
        "dinsos1",
        [
            ("desil <= 3", 300_000, ""),
            (
                "desil <= 3 and (size >= 3 or any(members, age >= 60))",
                300_000,
                "keluarga kecil tanpa lansia dikeluarkan",
            ),
        ],
    ),
    ("Bantuan Disabilitas", "dinsos2", [("any(members, disabled) and desil <= 5", 250_000, "")]),
]


def seed() -> list[str]:
    """Fit, choose and score the demo's PMT models and save its rules; what was done, for the log."""
    done: list[str] = []
    analyst = User.objects.filter(username="tkpk").first()
    survey = monitoring.latest_survey()
    line = monitoring.poverty_line("national", survey.year if survey else None)
    if survey is not None and line is not None and analyst is not None and not PmtModel.objects.exists():
        wls = services.fit_model(survey=survey, kind="wls", line=line.rupiah_per_capita_month, actor=analyst)
        gbm = services.fit_model(survey=survey, kind="gbm", line=line.rupiah_per_capita_month, actor=analyst)
        services.choose_model(model=wls, actor=analyst)
        services.score_registry(model=wls, actor=analyst)
        done.append(f"PMT v{wls.version} (chosen, scored) and v{gbm.version} fitted on {survey}")
    for name, username, versions in RULES:
        if not EligibilityRule.objects.filter(name=name).exists():  # other demos save rules of their own
            actor = User.objects.filter(username=username).first()
            for expression, benefit, note in versions:
                services.save_rule(actor=actor, name=name, expression=expression, benefit=benefit, note=note)
            done.append(f"rule “{name}”, {len(versions)} version(s)")
    return done
