"""Webhooks: the signature, the retry schedule, area scoping, disabled subscriptions, the pages and
the command (docs/webhooks.md)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from entas.accounts.roles import Role
from entas.core import events
from entas.core.errors import Refused
from entas.registry import services as registry
from entas.webhooks import rules, services, transport
from entas.webhooks.models import Delivery, Subscription
from tests.conftest import CITY, DAMAI, MANGGAR

# -- pure rules --------------------------------------------------------------------------------------


def test_signature_verifies_and_refuses_tampering_and_replay() -> None:
    body = b'{"event": "household.changed"}'
    header = rules.sign("whsec_x", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert rules.verify("whsec_x", header, body, now=1_700_000_100)
    assert not rules.verify("whsec_y", header, body, now=1_700_000_100)  # another secret
    assert not rules.verify("whsec_x", header, body + b" ", now=1_700_000_100)  # another body
    assert not rules.verify("whsec_x", header, body, now=1_700_000_000 + rules.TOLERANCE_SECONDS + 1)  # replayed
    assert not rules.verify("whsec_x", "v1=abc", body, now=1_700_000_000)


def test_retry_schedule_doubles_then_gives_up() -> None:
    delays = [rules.retry_delay(n) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert delays[:-1] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)]
    assert delays[-1] is None
    assert rules.retry_delay(20) is None


# -- recording and sending ---------------------------------------------------------------------------


@pytest.fixture
def svc_manggar(make_user: Any) -> Any:
    return make_user("svc.manggar", Role.OPERATOR, [MANGGAR])


@pytest.fixture
def subscription(admin_user: Any, svc_manggar: Any) -> tuple[Subscription, str]:
    return services.create_subscription(
        actor=admin_user,
        owner=svc_manggar,
        name="Bank",
        url="http://127.0.0.1:9/hook",
        event_names=[events.HOUSEHOLD_CHANGED],
    )


def _edit(actor: Any, household: Any, address: str) -> None:
    registry.update_household(
        actor=actor, household=household, values={"address": address}, expected_version=household.version
    )


def test_events_reach_only_the_owners_areas(
    subscription: Any, manggar_household: Any, damai_household: Any, operator_manggar: Any, operator_damai: Any
) -> None:
    sub, _secret = subscription
    _edit(operator_manggar, manggar_household, "Jl. Baru 1")
    _edit(operator_damai, damai_household, "Jl. Baru 2")
    deliveries = list(Delivery.objects.all())
    assert [d.body["data"]["id"] for d in deliveries] == [manggar_household.pk]
    body = deliveries[0].body
    assert body["event"] == "household.changed"
    assert body["data"] == {
        "object": "registry.household",
        "id": manggar_household.pk,
        "kelurahan": MANGGAR,
        "change": "update",
    }
    assert deliveries[0].subscription == sub and deliveries[0].status == "pending"


def test_never_more_than_the_owners_role_may_read(
    admin_user: Any, make_user: Any, manggar_household: Any, operator_manggar: Any
) -> None:
    # A partner reads no household, whatever its areas; a city-wide manager reads them all.
    partner = make_user("svc.partner", Role.PARTNER, [CITY])
    manager = make_user("svc.city", Role.DINSOS_MANAGER, [CITY])
    for owner in (partner, manager):
        services.create_subscription(
            actor=admin_user,
            owner=owner,
            name=owner.username,
            url="https://x.test/h",
            event_names=["household.changed"],
        )
    _edit(operator_manggar, manggar_household, "Jl. Baru 3")
    assert list(Delivery.objects.values_list("subscription__owner__username", flat=True)) == ["svc.city"]


def test_a_disabled_subscription_hears_nothing_and_sends_nothing(
    subscription: Any, admin_user: Any, manggar_household: Any, operator_manggar: Any, monkeypatch: Any
) -> None:
    sub, _secret = subscription
    _edit(operator_manggar, manggar_household, "Jl. Baru 4")  # one pending delivery
    services.disable_subscription(actor=admin_user, subscription=sub)
    sent: list[str] = []
    monkeypatch.setattr(transport, "post", lambda url, body, headers: sent.append(url) or (200, ""))
    assert services.deliver_due() == {"delivered": 0, "retry": 0, "failed": 0}
    _edit(operator_manggar, manggar_household, "Jl. Baru 5")
    assert Delivery.objects.count() == 1 and sent == []


def test_failed_delivery_is_retried_with_back_off_then_given_up(
    subscription: Any, manggar_household: Any, operator_manggar: Any, monkeypatch: Any
) -> None:
    _edit(operator_manggar, manggar_household, "Jl. Baru 6")
    calls: list[int] = []
    monkeypatch.setattr(transport, "post", lambda url, body, headers: calls.append(1) or (503, "HTTP 503"))
    now = timezone.now()
    assert services.deliver_due(now=now)["retry"] == 1
    delivery = Delivery.objects.get()
    assert (delivery.attempts, delivery.status, delivery.response_status) == (1, "pending", 503)
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert services.deliver_due(now=now + timedelta(seconds=59))["retry"] == 0  # not due yet
    for _n in range(rules.MAX_ATTEMPTS - 1):
        now = Delivery.objects.get().next_attempt_at
        services.deliver_due(now=now)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.status, delivery.next_attempt_at) == (rules.MAX_ATTEMPTS, "failed", None)
    assert len(calls) == rules.MAX_ATTEMPTS


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_signed_delivery_to_a_local_http_server(
    admin_user: Any, svc_manggar: Any, manggar_household: Any, operator_manggar: Any
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _sub, secret = services.create_subscription(
            actor=admin_user,
            owner=svc_manggar,
            name="local",
            url=f"http://127.0.0.1:{server.server_port}/hook",
            event_names=["household.changed"],
        )
        _edit(operator_manggar, manggar_household, "Jl. Baru 7")
        assert services.deliver_due() == {"delivered": 1, "retry": 0, "failed": 0}
    finally:
        server.shutdown()
        server.server_close()
    headers, body = _Receiver.received[-1]
    assert headers["X-Entas-Event"] == "household.changed"
    assert rules.verify(secret, headers["X-Entas-Signature"], body, now=int(timezone.now().timestamp()))
    assert json.loads(body)["data"]["id"] == manggar_household.pk
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 204, 1)
    assert headers["X-Entas-Delivery"] == delivery.event_id


def test_a_failing_listener_never_undoes_the_change(
    manggar_household: Any, operator_manggar: Any, subscription: Any
) -> None:
    def broken(batch: list[events.Event]) -> None:
        raise RuntimeError("boom")

    events.subscribe(broken)
    try:
        _edit(operator_manggar, manggar_household, "Jl. Baru 8")
    finally:
        events.unsubscribe(broken)
    manggar_household.refresh_from_db()
    assert manggar_household.address == "Jl. Baru 8"
    assert Delivery.objects.count() == 1  # the webhooks' own listener still ran
    with pytest.raises(ValueError):
        events.emit("household.deleted", model="registry.household", pk=1)


def test_only_an_administrator_creates_and_bad_input_is_refused(svc_manggar: Any, admin_user: Any) -> None:
    with pytest.raises(Refused) as refused:
        services.create_subscription(
            actor=svc_manggar, owner=svc_manggar, name="x", url="https://x.test", event_names=["cycle.approved"]
        )
    assert refused.value.code == "forbidden"
    with pytest.raises(Refused) as refused:
        services.create_subscription(
            actor=admin_user, owner=svc_manggar, name="x", url="file:///etc/passwd", event_names=["nope"]
        )
    assert {i.field for i in refused.value.issues} == {"events", "url"}


# -- pages and command -------------------------------------------------------------------------------


def test_pages_create_show_secret_once_and_disable(
    admin_user: Any, svc_manggar: Any, operator_manggar: Any, client_for: Any
) -> None:
    client = client_for(admin_user)
    answer = client.post(
        reverse("webhooks:list"),
        {"name": "Bank", "owner": svc_manggar.pk, "url": "https://bank.test/hook", "events": ["payment.failed"]},
    )
    sub = Subscription.objects.get()
    assert sub.secret in answer.content.decode()
    assert sub.secret not in client.get(reverse("webhooks:list")).content.decode()
    assert client.get(reverse("webhooks:detail", args=[sub.pk])).status_code == 200
    assert client.post(reverse("webhooks:disable", args=[sub.pk])).status_code == 302
    sub.refresh_from_db()
    assert not sub.active
    assert client_for(operator_manggar).get(reverse("webhooks:list")).status_code == 403


def test_command_add_list_disable_deliveries(admin_user: Any, svc_manggar: Any) -> None:
    out = StringIO()
    call_command(
        "webhook", "add", "svc.manggar", "--url", "https://bank.test/h", "--events", "cycle.approved",
        "--as", "admin", "--json", stdout=out,
    )  # fmt: skip
    created = json.loads(out.getvalue())
    assert created["secret"].startswith("whsec_") and created["events"] == ["cycle.approved"]
    out = StringIO()
    call_command("webhook", "list", "--json", stdout=out)
    assert [r["id"] for r in json.loads(out.getvalue())] == [created["id"]]
    call_command("webhook", "disable", str(created["id"]), stdout=StringIO())
    assert not Subscription.objects.get().active
    out = StringIO()
    call_command("webhook", "deliveries", str(created["id"]), "--json", stdout=out)
    assert json.loads(out.getvalue()) == []


# -- the other emitters ------------------------------------------------------------------------------


def test_cycle_approved_and_payment_failed_reach_the_programme_officers_system(
    regions: Any, tmp_path: Any, admin_user: Any, dinsos_manager: Any, make_user: Any
) -> None:
    import datetime as dt

    from entas.programs import services as programmes
    from entas.programs.models import Payment
    from entas.registry.importer import import_registry
    from entas.targeting import services as targeting
    from tests.helpers import city_files, make_programme

    files = city_files(households=40, seed=12, survey_size=20)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    rule = targeting.save_rule(actor=None, name="BLT", expression="true", benefit=300_000)
    programme = make_programme(rule, start=dt.date(2026, 12, 1))
    approver = make_user("dinsos2", Role.DINSOS_MANAGER, [CITY])
    city = make_user("svc.city", Role.DINSOS_MANAGER, [CITY])
    manggar = make_user("svc.manggar", Role.DINSOS_MANAGER, [MANGGAR])
    for owner in (city, manggar):
        services.create_subscription(
            actor=admin_user, owner=owner, name=owner.username, url="https://x.test/h",
            event_names=["cycle.approved", "payment.failed"],
        )  # fmt: skip
    programmes.enrol(programme=programme, actor=dinsos_manager)
    cycle = programmes.create_cycle(programme=programme, period="2026-12", actor=dinsos_manager)
    programmes.prepare(cycle=cycle, actor=dinsos_manager)
    cycle.refresh_from_db()
    for actor, action in ((dinsos_manager, "submit"), (approver, "approve"), (dinsos_manager, "disburse")):
        cycle = programmes.transition(cycle=cycle, action=action, actor=actor)
    approved = Delivery.objects.filter(event="cycle.approved")
    assert approved.count() == 2  # a city programme: both systems hear of it
    assert approved.first().body["data"]["id"] == cycle.pk  # type: ignore[union-attr]
    payments = list(
        Payment.objects.filter(entitlement__cycle=cycle).select_related("entitlement__household__kelurahan")
    )
    results = [{"reference": p.reference, "status": "failed", "reason": "rekening tutup"} for p in payments]
    programmes.reconcile(cycle=cycle, results=results, actor=dinsos_manager)
    failed = Delivery.objects.filter(event="payment.failed")
    in_manggar = [p.pk for p in payments if p.entitlement.household.kelurahan.code.startswith(MANGGAR)]
    assert failed.filter(subscription__owner=city).count() == len(payments) > len(in_manggar)
    assert sorted(d.body["data"]["id"] for d in failed.filter(subscription__owner=manggar)) == sorted(in_manggar)


def test_complaint_escalated(regions: Any, admin_user: Any, make_user: Any) -> None:
    import datetime as dt

    from entas.portal import services as portal

    handler = make_user("svc.pengaduan", Role.OPERATOR, [MANGGAR])
    other = make_user("svc.damai", Role.OPERATOR, [DAMAI])
    for owner in (handler, other):
        services.create_subscription(
            actor=admin_user, owner=owner, name=owner.username, url="https://x.test/h",
            event_names=["complaint.escalated"],
        )  # fmt: skip
    case = portal.file_case(
        category="payment_not_received",
        kelurahan=regions[MANGGAR],
        description="Bantuan bulan ini belum cair padahal sudah terdaftar.",
        address="10.0.0.1",
        submitted_at=dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC),
    ).case
    portal.escalate(today=case.first_response_due + dt.timedelta(days=1))
    delivery = Delivery.objects.get()
    assert delivery.subscription.owner == handler
    assert delivery.body["data"] == {"object": "portal.case", "id": case.pk, "kelurahan": MANGGAR, "level": 1,
                                     "state": case.state}  # fmt: skip
