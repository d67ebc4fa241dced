"""The targeting pages of the demonstration (called by ``entas seed_demo`` once a synthetic city and
its survey round are loaded): two fitted PMT models, one chosen by the TKPK analyst and scored, and
two eligibility rules, one of them with a second version, so that no targeting page opens empty.
Idempotent: a second run adds nothing once models and rules exist."""

from __future__ import annotations

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.core.models import Job
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


def _run(job: Job) -> Job:
    """Run a job in the foreground, as the worker would; a failure stops the demo with its log."""
    done = jobqueue.execute(job.pk)
    if done.status != Job.Status.SUCCEEDED:
        raise Refused(f"demo job #{job.pk} ({job.kind}) failed: {done.error or done.log}")
    return done


def seed() -> list[str]:
    """Fit, choose and score the demo's PMT models and save its rules; what was done, for the log."""
    done: list[str] = []
    analyst = User.objects.filter(username="tkpk").first()
    survey = monitoring.latest_survey()
    line = monitoring.poverty_line("national", survey.year if survey else None)
    if survey is not None and line is not None and analyst is not None and not PmtModel.objects.exists():
        # As the analyst does on the PMT page: each fit and the scoring is a job (its page and log stay).
        for kind in ("wls", "gbm"):
            params = {"survey": survey.pk, "kind": kind, "line": line.rupiah_per_capita_month}
            _run(jobqueue.submit(kind="targeting.fit", params=params, actor=analyst, queue=False))
        wls, gbm = PmtModel.objects.order_by("version")[:2]
        services.choose_model(model=wls, actor=analyst)
        _run(jobqueue.submit(kind="targeting.score", params={"model": wls.pk}, actor=analyst, queue=False))
        done.append(f"PMT v{wls.version} (chosen, scored) and v{gbm.version} fitted on {survey}")
    for name, username, versions in RULES:
        if not EligibilityRule.objects.filter(name=name).exists():  # other demos save rules of their own
            actor = User.objects.filter(username=username).first()
            for expression, benefit, note in versions:
                services.save_rule(actor=actor, name=name, expression=expression, benefit=benefit, note=note)
            done.append(f"rule “{name}”, {len(versions)} version(s)")
    done.extend(_musyawarah())
    return done


# Decisions of each demo kelurahan's musyawarah on the city's BLT rule: (operator, berita acara).
MUSYAWARAH = {
    "op.manggar": "BA/MUSKEL-MANGGAR/2026/01",
    "op.damai": "BA/MUSKEL-DAMAI/2026/01",
    "op.sepinggan": "BA/MUSKEL-SEPINGGAN/2026/01",
}


def _musyawarah() -> list[str]:
    """Each demo kelurahan's musyawarah adds two households the rule misses and removes one it selects
    (recorded by the kelurahan's operator, as the overrides page does); idempotent."""
    import datetime as dt

    from entas.registry.selectors import households_for

    from . import overrides

    rule = EligibilityRule.objects.filter(name=RULES[0][0]).first()
    done: list[str] = []
    if rule is None:
        return done
    for username, berita_acara in MUSYAWARAH.items():
        operator = User.objects.filter(username=username).first()
        if operator is None or overrides.source().recorded(berita_acara):
            continue
        households = list(households_for(operator).order_by("-pk")[:3])
        decisions = [
            ("add", "janda lansia tanpa penghasilan tetap, belum tercatat miskin"),
            ("add", "kepala keluarga sakit menahun, tidak bekerja"),
            ("remove", "memiliki usaha dan kendaraan, dinilai mampu oleh warga"),
        ]
        for household, (action, reason) in zip(households, decisions, strict=False):
            services.record_override(
                actor=operator,
                rule=rule,
                household=household,
                action=action,
                reason=reason,
                berita_acara=berita_acara,
                decided_on=dt.date(2026, 1, 20),
            )
        done.append(f"musyawarah {berita_acara}: {min(len(households), 3)} decisions")
    return done
