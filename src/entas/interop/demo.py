"""Demonstration activity of the interoperability module (called by ``entas seed_demo`` once a
synthetic city is loaded): a registered caller system (the Kemensos SPMIS, acting as the demo
auditor) with a search it made, one SIKS-NG export of the month with the most ratified families, and
one DTSEN file imported back (a sample of families with new national desil, a few rows the city does
not know and a malformed one), so that no page of the module opens empty. Deterministic, idempotent
(nothing is added once a caller system exists). Never for production."""

from __future__ import annotations

import random
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from joserfc.jwk import ECKey

from entas.core import jobqueue
from entas.core.fileimport import run_import_job
from entas.registry.models import Household

from . import dci, services
from .models import CallerSystem

if TYPE_CHECKING:
    from entas.accounts.models import User

SENDER = "spmis.kemensos.go.id"


def seed(*, admin: User, manager: User, service_user: User) -> dict[str, Any]:
    if CallerSystem.objects.filter(sender_id=SENDER).exists():
        return {}
    rng = random.Random(26)
    key = ECKey.generate_key("P-256", auto_kid=True)  # the demo caller's key; its private half is dropped
    caller, _secret = services.register_caller(
        actor=admin,
        sender_id=SENDER,
        name="SPMIS Kemensos (demo)",
        service_user=service_user,
        jwks={"keys": [{**key.as_dict(private=False), "use": "sig", "alg": "ES256"}]},
        callback_url="https://spmis.kemensos.go.id/dci",
    )
    made: dict[str, Any] = {"caller": caller.sender_id}
    household = Household.objects.order_by("pk").first()
    if household is not None:
        message = {
            "transaction_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "search_request": [
                {
                    "reference_id": "demo-1",
                    "timestamp": timezone.now().isoformat(),
                    "search_criteria": {
                        "query_type": "idtype-value",
                        "query": {"type": "KK", "value": household.kk_number},
                    },
                }
            ],
        }
        header = {"message_id": uuid.UUID(int=rng.getrandbits(128)).hex}
        txn, _new = dci._record(
            caller=caller, header=header, message=message, action="search", synchronous=True, sender_uri=""
        )
        dci.answer_search(txn)
        made["searches"] = 1
    month = (
        Household.objects.filter(verification_status="disahkan", ratified_at__isnull=False)
        .annotate(month=TruncMonth("ratified_at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("-n", "-month")
        .first()
    )
    if month is not None:
        period = f"{month['month']:%Y-%m}"
        job = jobqueue.submit(
            kind="interop.siks_export",
            params={"period": period, "berita_acara": f"BA/DINSOS/{period}"},
            actor=manager,
            queue=False,
        )
        job = jobqueue.execute(job.pk)
        made["siks_export"] = period
    sample = list(Household.objects.order_by("pk").values_list("kk_number", "desil_national")[:200])
    if sample:
        lines = ["no_kk,desil_nasional,status_dtsen,tanggal_data"]
        for kk, desil in sample:
            new = min(10, max(1, (desil or rng.randint(1, 10)) + rng.choice([-1, 0, 0, 1])))
            lines.append(f"{kk},{new},AKTIF,{timezone.localdate():%Y-%m-01}")
        for i in range(3):
            lines.append(f"64710101019{9000 + i:05d},{rng.randint(1, 4)},AKTIF,{timezone.localdate():%Y-%m-01}")
        lines.append("12345,11,AKTIF,")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "dtsen-demo.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            result = run_import_job(path, kind="interop.dtsen_import", actor=manager, folder="imports", progress=False)
        made["dtsen_import"] = {k: result[k] for k in ("total", "updated", "unchanged", "rejected")}
    return made
