"""Complaints imported from an SP4N-LAPOR! CSV export, and the escalation command."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from entas.accounts.models import User
from entas.portal.models import Case
from tests.conftest import DAMAI, MANGGAR

pytestmark = pytest.mark.django_db

CSV = f"""tracking_id,tanggal,kategori,kelurahan,isi,nama,telepon,email,anonim
LAPOR-1,2026-09-01,payment_not_received,{MANGGAR},BLT bulan Agustus belum masuk rekening,Warga A,0811,,tidak
LAPOR-2,02/09/2026,Jumlah bantuan salah,Manggar,Jumlah yang diterima kurang dari pengumuman,,,,ya
LAPOR-3,2026-09-03,other,{DAMAI},Pengaduan di kelurahan lain di luar wilayah,,,,
LAPOR-4,kemarin,other,{MANGGAR},Tanggal tidak terbaca oleh sistem,,,,
LAPOR-5,2026-09-04,other,Atlantis,Kelurahan tidak dikenal sistem,,,,
,2026-09-04,other,{MANGGAR},Tanpa nomor laporan sama sekali,,,,
"""


def _run(path: Path, user: str) -> dict[str, Any]:
    out = StringIO()
    call_command("portal", "import", str(path), "--as", user, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_rows_are_counted_and_a_rerun_changes_nothing(
    regions: dict[str, Any], operator_manggar: User, tmp_path: Path
) -> None:
    path = tmp_path / "lapor.csv"
    path.write_text(CSV, encoding="utf-8")
    result = _run(path, operator_manggar.username)
    assert (result["total"], result["inserted"], result["unchanged"], result["rejected"]) == (6, 2, 0, 4)
    assert sorted(r["row"] for r in result["rejections"]) == [4, 5, 6, 7]
    first = Case.objects.get(external_ref="LAPOR-1")
    assert first.channel == "lapor" and first.submitted_at.date() == dt.date(2026, 9, 1)
    second = Case.objects.get(external_ref="LAPOR-2")
    assert second.category == "wrong_amount" and second.anonymous and second.kelurahan.code == MANGGAR
    again = _run(path, operator_manggar.username)
    assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 2, 4)
    assert Case.objects.count() == 2


def test_escalate_command(regions: dict[str, Any], operator_manggar: User, tmp_path: Path) -> None:
    path = tmp_path / "lapor.csv"
    path.write_text(CSV, encoding="utf-8")
    _run(path, operator_manggar.username)
    out = StringIO()
    call_command("portal", "escalate", "--json", stdout=out)
    raised = json.loads(out.getvalue())
    # Filed in early September 2026, answered by no one: both past their service levels by now.
    assert raised["supervisor"] + raised["head"] == 2
    assert Case.objects.filter(escalation__gt=0).count() == 2
    assert raised["visits_purged"] == 0


def test_the_visit_log_is_kept_ninety_days(db: Any) -> None:
    from django.utils import timezone

    from entas.portal import services
    from entas.portal.models import Visit

    services.count_visit(action="portal.check", address="10.0.0.9")
    Visit.objects.create(action="portal.check", address_key="x", at=timezone.now() - dt.timedelta(days=91))
    assert services.purge_visits() == 1 and Visit.objects.count() == 1
