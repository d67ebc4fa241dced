"""The pages of the officials who own each exchange step, and of the administrator."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from entas.core import jobqueue
from entas.core.models import Job
from entas.interop.models import CallerSystem, Exchange, SigningKey
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


def test_exchange_page_starts_each_exchange(
    client_for: Any, dinsos_manager: Any, manggar_household: Household, key_dir: Any
) -> None:
    client = client_for(dinsos_manager)
    assert client.get("/interop/").status_code == 200
    Household.objects.filter(pk=manggar_household.pk).update(
        verification_status="disahkan", ratified_at=timezone.make_aware(dt.datetime(2026, 11, 3, 9))
    )
    response = client.post("/interop/", {"action": "siks", "siks-period": "2026-11", "siks-berita_acara": "BA/11"})
    assert response.status_code == 302
    job = Job.objects.get(kind="interop.siks_export")
    jobqueue.execute(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result_file.name.endswith(".csv")
    assert Exchange.objects.get(kind="siks_export").job_id == job.pk
    csv = (
        "no_kk,desil_nasional,status_dtsen,jumlah_art\n"
        f"{manggar_household.kk_number},2,AKTIF,5\n6471019999999998,3,AKTIF,2\n"
    ).encode()
    response = client.post("/interop/", {"action": "dtsen", "dtsen-file": SimpleUploadedFile("dtsen.csv", csv)})
    assert response.status_code == 302
    jobqueue.execute(Job.objects.get(kind="interop.dtsen_import").pk)
    imported = Exchange.objects.get(kind="dtsen_import")
    assert imported.counts["updated"] == 1 and imported.counts["rejected"] == 1
    page = client.get(f"/interop/comparison/{imported.pk}/").content.decode()
    assert "6471019999999998" in page and manggar_household.kk_number in page
    listing = client.get("/interop/").content.decode()
    assert "siks-ng-bnba-2026-11.csv" in listing and "BA/11" in listing


def test_operator_and_partner_are_kept_out(client_for: Any, operator_manggar: Any, partner: Any, auditor: Any) -> None:
    assert client_for(operator_manggar).get("/interop/").status_code == 403
    assert client_for(partner).get("/interop/").status_code == 403
    assert client_for(auditor).get("/interop/").status_code == 200
    assert client_for(auditor).post("/interop/", {"action": "siks"}).status_code == 403
    assert client_for(auditor).get("/interop/systems/").status_code == 403


def test_admin_registers_a_system_and_sees_its_secret_once(
    client_for: Any, admin_user: Any, make_user: Any, key_dir: Any
) -> None:
    from entas.accounts.roles import Role

    service = make_user("svc.page", Role.AUDITOR, ["64.71"])
    client = client_for(admin_user)
    response = client.post(
        "/interop/systems/",
        {
            "sender_id": "spmis.example",
            "name": "SPMIS",
            "service_user": service.pk,
            "jwks_url": "https://spmis.example/jwks.json",
            "callback_url": "https://spmis.example/dci",
            "require_signature": "on",
        },
    )
    assert response.status_code == 200
    caller = CallerSystem.objects.get(sender_id="spmis.example")
    page = response.content.decode()
    assert caller.client_id in page and 'data-testid="client-secret"' in page
    assert 'data-testid="client-secret"' not in client.get("/interop/systems/").content.decode()
    assert client.post(f"/interop/systems/{caller.pk}/active/", {"active": "0"}).status_code == 302
    assert not CallerSystem.objects.get(pk=caller.pk).active
    assert client.post("/interop/systems/keys/rotate/").status_code == 302
    assert SigningKey.objects.filter(status="active").count() == 1
    bad = client.post("/interop/systems/", {"sender_id": "x", "name": "x", "service_user": service.pk})
    assert "Isikan URL JWKS" in bad.content.decode()  # the refusal, beside its field (in Indonesian)


def test_dci_commands(admin_user: Any, service_user: Any, tmp_path: Any, caller_key: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("dci", "keys", "--json", stdout=out)
    first = json.loads(out.getvalue())["keys"]
    out = StringIO()
    call_command("dci", "keys", "--rotate", "--json", "--as", "admin", stdout=out)
    rotated = json.loads(out.getvalue().splitlines()[-1])["keys"]
    # the signing key and the encryption key, each renewed, the retired ones still published
    assert sorted(k["use"] for k in rotated) == ["enc", "enc", "sig", "sig"] and first[0]["kid"]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**caller_key.as_dict(private=False), "use": "sig", "alg": "ES256"}]}))
    out = StringIO()
    call_command(
        "dci",
        "caller",
        "add",
        "bank.example",
        "--service-user",
        service_user.username,
        "--jwks-file",
        str(jwks),
        "--as",
        "admin",
        "--json",
        stdout=out,
    )
    added = json.loads(out.getvalue())
    assert added["client_secret"] and CallerSystem.objects.get(sender_id="bank.example").client_id == added["client_id"]
    out = StringIO()
    call_command("dci", "notify", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"subscriptions": 0, "records": 0}
