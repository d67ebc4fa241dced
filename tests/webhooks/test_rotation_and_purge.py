"""Webhook secret rotation with an overlap window (both signatures on every message meanwhile) and
the purge of the old delivery log by the scheduler (issue #26, docs/webhooks.md)."""

from __future__ import annotations

import json
import tomllib
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from entas.accounts.roles import Role
from entas.core import events
from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.webhooks import rules, services, transport
from entas.webhooks.models import Delivery, Subscription
from tests.conftest import MANGGAR

NOW = 1_700_000_000


# -- pure rules ---------------------------------------------------------------------------------------


def test_a_header_with_two_signatures_verifies_under_either_secret() -> None:
    body = b'{"event": "household.changed"}'
    header = rules.sign("whsec_new", NOW, body, previous="whsec_old")
    assert header.count("v1=") == 2 and header.startswith(f"t={NOW},v1=")
    assert rules.verify("whsec_new", header, body, now=NOW)
    assert rules.verify("whsec_old", header, body, now=NOW)
    assert not rules.verify("whsec_other", header, body, now=NOW)
    assert not rules.verify("whsec_old", header, body + b" ", now=NOW)
    # The current secret's signature comes first: a receiver still on the old secret that reads one
    # v1 with dict() (the last one) keeps verifying during the overlap.
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert rules.verify("whsec_old", f"t={NOW},v1={parts['v1']}", body, now=NOW)
    assert rules.sign("whsec_new", NOW, body).count("v1=") == 1


def test_the_previous_secret_signs_only_inside_its_window() -> None:
    now = timezone.now()
    assert rules.previous_signs("whsec_old", now + timedelta(hours=1), now)
    assert not rules.previous_signs("whsec_old", now - timedelta(seconds=1), now)
    assert not rules.previous_signs("", now + timedelta(hours=1), now)
    assert not rules.previous_signs("whsec_old", None, now)


# -- rotation -------------------------------------------------------------------------------------------


@pytest.fixture
def subscription(admin_user: Any, make_user: Any) -> tuple[Subscription, str]:
    owner = make_user("svc.manggar", Role.OPERATOR, [MANGGAR])
    return services.create_subscription(
        actor=admin_user,
        owner=owner,
        name="Bank",
        url="http://127.0.0.1:9/hook",
        event_names=[events.HOUSEHOLD_CHANGED],
    )


def _delivery(sub: Subscription, **fields: Any) -> Delivery:
    n = Delivery.objects.count()
    return Delivery.objects.create(subscription=sub, event=events.HOUSEHOLD_CHANGED, event_id=f"evt_{n}", **fields)


def _send(sub: Subscription, monkeypatch: Any, at: Any) -> tuple[bytes, dict[str, str]]:
    sent: list[tuple[bytes, dict[str, str]]] = []
    monkeypatch.setattr(transport, "post", lambda url, body, headers: sent.append((body, headers)) or (200, ""))
    delivery = _delivery(sub, body={"id": "x"}, next_attempt_at=at)
    services.attempt(Delivery.objects.select_related("subscription").get(pk=delivery.pk), now=at)
    return sent[0]


def test_rotation_signs_with_both_secrets_during_the_overlap_then_the_new_only(
    subscription: Any, admin_user: Any, monkeypatch: Any
) -> None:
    sub, old = subscription
    sub, new = services.rotate_secret(actor=admin_user, subscription=sub, overlap_hours=24)
    assert new != old and new.startswith("whsec_")
    sub.refresh_from_db()
    assert sub.secret == new and sub.previous_secret == old
    now = timezone.now()
    body, headers = _send(sub, monkeypatch, now)
    header = headers[rules.SIGNATURE_HEADER]
    stamp = int(now.timestamp())
    assert rules.verify(new, header, body, now=stamp) and rules.verify(old, header, body, now=stamp)
    later = now + timedelta(hours=25)
    body, headers = _send(sub, monkeypatch, later)
    header = headers[rules.SIGNATURE_HEADER]
    assert header.count("v1=") == 1
    assert rules.verify(new, header, body, now=int(later.timestamp()))
    assert not rules.verify(old, header, body, now=int(later.timestamp()))
    event = AuditEvent.objects.get(action="webhook.rotate_secret")
    assert old not in json.dumps(event.after) and new not in json.dumps(event.after)


def test_rotation_without_overlap_and_refusals(subscription: Any, admin_user: Any, operator_manggar: Any) -> None:
    sub, _old = subscription
    with pytest.raises(Refused):
        services.rotate_secret(actor=operator_manggar, subscription=sub)
    with pytest.raises(Refused) as long:
        services.rotate_secret(actor=admin_user, subscription=sub, overlap_hours=rules.MAX_OVERLAP_HOURS + 1)
    assert long.value.issues[0].field == "overlap_hours"
    sub, new = services.rotate_secret(actor=admin_user, subscription=sub, overlap_hours=0)
    sub.refresh_from_db()
    assert sub.secret == new and sub.previous_secret == "" and sub.previous_until is None
    services.disable_subscription(actor=admin_user, subscription=sub)
    with pytest.raises(Refused):
        services.rotate_secret(actor=admin_user, subscription=sub)


def test_page_and_command_rotate(subscription: Any, admin_user: Any, client: Any) -> None:
    sub, old = subscription
    client.force_login(admin_user)
    page = client.post(reverse("webhooks:rotate", args=[sub.pk]), {"overlap_hours": "12"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    sub.refresh_from_db()
    assert sub.secret in page.content.decode() and sub.previous_secret == old
    assert sub.secret not in client.get(reverse("webhooks:detail", args=[sub.pk])).content.decode()
    out = StringIO()
    call_command("webhook", "rotate", str(sub.pk), "--overlap", "2", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    sub.refresh_from_db()
    assert answer["secret"] == sub.secret and answer["previous_signs_until"]


# -- purge ----------------------------------------------------------------------------------------------


def test_purge_deletes_finished_deliveries_past_the_retention(
    subscription: Any, admin_user: Any, settings: Any
) -> None:
    sub, _secret = subscription
    settings.ENTAS_WEBHOOK_RETENTION_DAYS = 30
    now = timezone.now()
    old = now - timedelta(days=31)
    gone = [
        _delivery(sub, status=Delivery.Status.DELIVERED, created_at=old),
        _delivery(sub, status=Delivery.Status.FAILED, created_at=old),
    ]
    kept = [
        _delivery(sub, status=Delivery.Status.PENDING, created_at=old, next_attempt_at=now),  # still to send
        _delivery(sub, status=Delivery.Status.DELIVERED, created_at=now - timedelta(days=29)),
    ]
    sub, _new = services.rotate_secret(actor=admin_user, subscription=sub, overlap_hours=1)
    counts = services.purge(now=now)
    assert counts == {"deleted": 2, "previous_secrets_forgotten": 0}
    assert set(Delivery.objects.values_list("pk", flat=True)) == {d.pk for d in kept}
    assert not Delivery.objects.filter(pk__in=[d.pk for d in gone]).exists()
    # After the overlap the previous secret is forgotten too.
    later = services.purge(now=now + timedelta(hours=2))
    assert later == {"deleted": 0, "previous_secrets_forgotten": 1}
    sub.refresh_from_db()
    assert sub.previous_secret == "" and sub.previous_until is None
    assert AuditEvent.objects.filter(action="webhook.purge").count() == 2


def test_purge_in_chunks_and_by_the_command(subscription: Any, monkeypatch: Any) -> None:
    sub, _secret = subscription
    monkeypatch.setattr(services, "PURGE_CHUNK", 2)
    old = timezone.now() - timedelta(days=400)
    for _ in range(5):
        _delivery(sub, status=Delivery.Status.DELIVERED, created_at=old)
    out = StringIO()
    call_command("webhook", "purge", "--days", "365", "--json", stdout=out)
    assert json.loads(out.getvalue())["deleted"] == 5 and not Delivery.objects.exists()


def test_the_scheduler_runs_the_purge_job(subscription: Any) -> None:
    """The schedule names the job kind, and the job purges (run as the worker runs it)."""
    import entas.webhooks.jobs  # noqa: F401  (registers the kinds)
    from entas.core import jobqueue

    schedule = tomllib.loads((Path(__import__("entas").__file__).parent / "schedule.toml").read_text())
    kinds = {entry["kind"]: entry for entry in schedule["job"]}
    assert kinds[services.PURGE_KIND]["every"] == "1d"
    sub, _secret = subscription
    _delivery(sub, status=Delivery.Status.FAILED, created_at=timezone.now() - timedelta(days=200))
    job = jobqueue.execute(jobqueue.submit(kind=services.PURGE_KIND, params={}, actor=None, queue=False).pk)
    assert job.status == "succeeded", job.error
    assert job.result["deleted"] == 1 and not Delivery.objects.exists()
