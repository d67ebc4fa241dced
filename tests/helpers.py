"""Helpers shared by tests of several apps."""

from __future__ import annotations

import base64
import re
import zlib
from typing import Any


def pdf_text(pdf: bytes) -> str:
    """The decoded content streams of a ReportLab PDF (ASCII85 + Flate)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S)
    encoded = [s.strip().removeprefix(b"<~").removesuffix(b"~>") for s in streams if s.strip().endswith(b"~>")]
    return "".join(zlib.decompress(base64.a85decode(s)).decode("latin-1") for s in encoded)


def make_pair(left: Any, right: Any, probability: float = 0.97) -> Any:
    """A current candidate duplicate pair of two members, as a deduplication run would store it."""
    from entas.dedup.models import DedupRun, DuplicatePair, LinkageModel

    model = LinkageModel.objects.first() or LinkageModel.objects.create(version=1, splink_model={})
    run = DedupRun.objects.create(model=model, review_threshold=0.5, auto_link_threshold=0.99, members=2, pairs=1)
    low, high = sorted((left, right), key=lambda m: m.pk)
    return DuplicatePair.objects.create(
        run=run,
        member_l=low,
        member_r=high,
        probability=probability,
        match_weight=10.0,
        cluster=low.pk,
        auto_link=probability >= 0.99,
    )


def english_client(client_for: Any, user: Any) -> Any:
    """A logged-in test client whose pages come in English (the interface defaults to Indonesian)."""
    client = client_for(user)
    client.cookies["django_language"] = "en"
    return client


_CITIES: dict[tuple[tuple[str, Any], ...], Any] = {}


def city_files(**config: Any) -> Any:
    """The files of a synthetic city (registry.csv, survey.csv, duplicates.csv…), generated once per
    test session for each configuration and shared: tests read them, never change them. Building a
    city costs a second of numpy; importing it is what each test does for itself."""
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    from entas.synth import SynthConfig, build, write

    key = tuple(sorted(config.items()))
    if key not in _CITIES:
        out = Path(tempfile.mkdtemp(prefix="entas-test-city-"))
        atexit.register(shutil.rmtree, out, True)
        write(build(SynthConfig(**config)), out)
        _CITIES[key] = out
    return _CITIES[key]


def make_programme(rule: Any, **fields: Any) -> Any:
    """A cash programme of the Dinas Sosial on ``rule``, running through 2026 into 2027, with a budget
    no test reaches; ``fields`` override any of it."""
    import datetime as dt

    from entas.programs.models import Programme

    values: dict[str, Any] = {
        "name": "BLT uji",
        "agency": "Dinas Sosial",
        "funding": "apbd",
        "start": dt.date(2026, 1, 1),
        "end": dt.date(2027, 5, 31),
        "rule": rule,
        "base_amount": 300_000,
        "budget_ceiling": 10**12,
        "channel": "bank",
        **fields,
    }
    return Programme.objects.create(**values)


def give_accounts(households: Any, *, bank_code: str = "014", holder: str = "Penerima Sintetis") -> int:
    """A valid synthetic account (BCA: 10 digits) for each of these households (ids) that has none;
    written directly, as a migration or an import would have left them."""
    from entas.payees.models import Payee

    have = set(
        Payee.objects.filter(household_id__in=list(households), ended_at__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    new = [
        Payee(household_id=h, bank_code=bank_code, account_number=f"9{h:09d}"[-10:], account_holder=holder)
        for h in households
        if h not in have
    ]
    Payee.objects.bulk_create(new)
    return len(new)
