"""Demonstration activity of impact evaluation and simulation (called by ``entas seed_demo``): three
saved evaluations on synthetic data (a staggered BLT panel with an event study, a discontinuity at a
PMT cut-off, training participants matched to the waiting list), one before/after report, and three
scenarios of the demo cash programme simulated on the demo registry and survey, one proposed as an
adjustment; and one evaluation over the system's own data (the JKN campaign's follow-ups, attending
households against the matched ones; else the demo cash programme on the training tracer study), run
as the page's background job. Idempotent: a second run adds nothing."""

from __future__ import annotations

import contextlib
import csv
import io
from typing import Any

import numpy as np

from entas.accounts.models import User
from entas.core.errors import Refused

from . import services
from .models import Evaluation, Scenario
from .simulation import Formula


def _csv(columns: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(columns))
    writer.writerows(zip(*(np.asarray(v).tolist() for v in columns.values()), strict=True))
    return out.getvalue()


def _panel(rng: np.random.Generator) -> str:
    """Households over four survey waves; BLT starting in wave 2 or 3 (or never), an effect of about
    Rp 60,000 per capita growing by Rp 15,000 a wave; kelurahan as clusters."""
    units, waves = 600, 4
    unit = np.repeat(np.arange(units), waves)
    wave = np.tile(np.arange(2022, 2022 + waves), units)
    start = rng.choice([2023, 2024, 0], size=units, p=[0.3, 0.3, 0.4])[unit]
    treated = (start > 0) & (wave >= start)
    effect = np.where(treated, 60_000 + 15_000 * (wave - start), 0)
    level = rng.normal(650_000, 120_000, size=units)[unit]
    y = level + 25_000 * (wave - 2022) + effect + rng.normal(0, 50_000, size=unit.size)
    return _csv(
        {
            "kk": [f"DEMO{u:05d}" for u in unit],
            "tahun": wave,
            "penerima_blt": treated.astype(int),
            "konsumsi_per_kapita": np.round(y).astype(int),
            "kelurahan": unit % 34,
        }
    )


def _discontinuity(rng: np.random.Generator) -> str:
    """PMT scores around the desil-4 cut-off; households below it receive the transfer."""
    n = 3000
    score = rng.uniform(-2, 2, size=n)
    y = 700_000 + 90_000 * score - 8_000 * score**2 + 45_000 * (score < 0) + rng.normal(0, 40_000, size=n)
    return _csv({"skor_pmt": np.round(score, 4), "konsumsi_per_kapita": np.round(y).astype(int)})


def _training(rng: np.random.Generator) -> str:
    """Trainees and waiting-list applicants: age, schooling and prior income drive selection and
    income after the course."""
    n = 900
    age = rng.integers(18, 31, size=n)
    school = rng.integers(6, 13, size=n)
    prior = rng.normal(1_200_000, 300_000, size=n)
    p = 1 / (1 + np.exp(-(-1.0 + 0.08 * (school - 9) - 0.000001 * (prior - 1_200_000))))
    trained = (rng.uniform(size=n) < p).astype(int)
    income = 400_000 + 0.7 * prior + 40_000 * (school - 9) + 250_000 * trained + rng.normal(0, 200_000, size=n)
    return _csv(
        {
            "pelatihan": trained,
            "pendapatan_sesudah": np.round(income).astype(int),
            "umur": age,
            "tahun_sekolah": school,
            "pendapatan_sebelum": np.round(prior).astype(int),
        }
    )


def seed(*, analyst: User, checker: User | None = None) -> dict[str, int]:
    """Saved evaluations and scenarios for the demo (nothing if there are already some)."""
    made = {"evaluations": 0, "scenarios": 0}
    rng = np.random.default_rng(2026)
    if not Evaluation.objects.exists():
        runs: list[tuple[str, str, dict[str, Any], str]] = [
            (
                "BLT dan konsumsi rumah tangga (panel 2022–2025)",
                _panel(rng),
                {
                    "method": "did",
                    "unit": "kk",
                    "time": "tahun",
                    "treat": "penerima_blt",
                    "outcome": "konsumsi_per_kapita",
                    "cluster": "kelurahan",
                    "event_study": True,
                },
                "panel-blt-sintetis.csv",
            ),
            (
                "Ambang desil 4: konsumsi di sekitar batas kelayakan",
                _discontinuity(rng),
                {"method": "rd", "running": "skor_pmt", "cutoff": 0, "outcome": "konsumsi_per_kapita"},
                "skor-pmt-sintetis.csv",
            ),
            (
                "Pelatihan kerja vs daftar tunggu (pencocokan skor kecenderungan)",
                _training(rng),
                {
                    "method": "psm",
                    "treat": "pelatihan",
                    "outcome": "pendapatan_sesudah",
                    "covariates": "umur,tahun_sekolah,pendapatan_sebelum",
                    "psm_method": "ipw",
                },
                "tracer-pelatihan-sintetis.csv",
            ),
        ]
        for title, text, spec, source in runs:
            services.run_and_save(actor=analyst, title=title, text=text, spec=spec, source=source)
            made["evaluations"] += 1
    if not Scenario.objects.exists():
        made["scenarios"] = _scenarios(analyst)
    if not Evaluation.objects.filter(specification__has_key="system").exists():
        made["evaluations"] += _from_system(analyst)
    return made


def _from_system(analyst: User) -> int:
    """One evaluation over the system's data, through the page's job (its progress is on the Jobs page):
    the first of the choices whose data the demo holds."""
    import datetime as dt

    from django.utils import timezone

    from entas.core import jobqueue
    from entas.core.models import Job
    from entas.policy.demo import CASH_DEMO
    from entas.programs.models import Programme

    from .jobs import FROM_SYSTEM_KIND

    today = timezone.localdate()
    since = (today - dt.timedelta(days=3 * 365)).isoformat()
    cash = Programme.objects.filter(name=CASH_DEMO).values_list("pk", flat=True).first()
    choices: list[dict[str, Any]] = [
        {
            "title": "Kampanye Ayo Daftar JKN: anggota ber-JKN, 12 bulan sesudah (data sistem)",
            "method": "did",
            "programme": None,
            "outcome": "campaign:demo-jkn:jkn",
            "cluster": True,
        },
        {
            "title": "BLT dan pendapatan peserta pelatihan 6 bulan sesudah (data sistem)",
            "method": "did",
            "programme": cash,
            "outcome": "training:income",
            "cluster": False,
        },
    ]
    for params in choices:
        if params["outcome"].startswith("training:") and cash is None:
            continue
        params.update(first=since, second=today.isoformat(), covariates=[], psm_method="nn")
        job = jobqueue.submit(kind=FROM_SYSTEM_KIND, params=params, actor=analyst, queue=False)
        if jobqueue.execute(job.pk).status == Job.Status.SUCCEEDED:
            return 1
    return 0


def _scenarios(analyst: User) -> int:
    from entas.policy.demo import CASH_DEMO
    from entas.programs.models import Programme

    programme = Programme.objects.filter(name=CASH_DEMO).select_related("rule").first()
    if programme is None or programme.rule is None:
        return 0
    choices: list[tuple[str, dict[str, Any]]] = [
        ("Nominal dasar naik Rp 100.000", {"formula": Formula(base=programme.base_amount + 100_000)}),
        (
            "Tambahan per anak sekolah Rp 50.000",
            {"formula": Formula(base=programme.base_amount, per_child_in_school=50_000)},
        ),
        ("Anggaran dibatasi Rp 2 miliar setahun", {"budget": 2_000_000_000}),
    ]
    made = 0
    for title, change in choices:
        try:
            result = services.simulate(programme=programme, **change)
        except Refused:  # no survey or poverty line in this installation: no scenario to show
            return made
        scenario = services.save_scenario(
            actor=analyst,
            title=title,
            result=result,
            specification={
                "rule": result["rule"],
                "formula": result["formula"],
                "budget": result["budget"],
                "target_kelurahan": [],
                "survey_year": result["survey_year"],
                "programme": programme.name,
            },
            programme=programme,
        )
        made += 1
        if made == 1:
            with contextlib.suppress(Refused):  # the programme is not in the register of this installation
                services.promote_scenario(
                    scenario=scenario,
                    field="base_amount",
                    reason="Simulasi: kenaikan nominal menurunkan kedalaman kemiskinan penerima "
                    "(respons perilaku tidak dimodelkan).",
                    actor=analyst,
                )
    return made
