"""Alert rules evaluated after each refresh: a breach is recorded once per rule, area and period,
shown on the dashboard and e-mailed to the rule's recipients (Django's mail, after commit)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from entas.regions.models import Region

from . import rules
from .models import Alert, AlertRule, Fact, Target


def latest_period(indicator_id: int) -> str | None:
    return (
        Fact.objects.filter(indicator_id=indicator_id, dimension="")
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


def target_for(indicator_id: int, year: int) -> float | None:
    target = (
        Target.objects.filter(result_indicator__indicator_id=indicator_id, year=year)
        .order_by("result_indicator__result__code")
        .values_list("value", flat=True)
        .first()
    )
    return target


def evaluate(*, now: dt.datetime) -> int:
    """Evaluate every active rule on the latest period of its indicator; returns the alerts raised.
    Messages are written (and e-mailed) in the city's language, whoever started the refresh."""
    with translation.override(settings.LANGUAGE_CODE):
        return _evaluate(now=now)


def _evaluate(*, now: dt.datetime) -> int:
    raised: list[Alert] = []
    for rule in AlertRule.objects.filter(active=True).select_related("indicator"):
        indicator = rule.indicator
        period = latest_period(indicator.pk)
        if rule.kind == AlertRule.Kind.DATA_GAP:
            today = timezone.localdate(now)
            expected = str(today.year - 1) if indicator.period_type == "year" else f"{today:%Y-%m}"
            if period is None or period < expected:
                city = Region.objects.filter(level=rule.level).order_by("code").first()
                if city and not Alert.objects.filter(rule=rule, area=city, period=expected).exists():
                    message = _("%(indicator)s: no value for %(period)s (latest: %(latest)s)") % {
                        "indicator": indicator.name,
                        "period": expected,
                        "latest": period or "–",
                    }
                    raised.append(
                        Alert.objects.create(
                            rule=rule, area=city, period=expected, message=message[:400], raised_at=now
                        )
                    )
            continue
        if period is None:
            continue
        facts = Fact.objects.filter(indicator=indicator, period=period, dimension="", level=rule.level).select_related(
            "area"
        )
        target = target_for(indicator.pk, int(period[:4]))
        for fact in facts:
            breach = rules.breached(
                rules.AlertFacts(
                    kind=rule.kind,
                    threshold=rule.threshold,
                    value=fact.value,
                    target=target,
                    higher_is_better=indicator.direction == indicator.Direction.UP,
                )
            )
            existing = Alert.objects.filter(rule=rule, area=fact.area, period=period).first()
            if not breach:
                if existing and existing.resolved_at is None:
                    existing.resolved_at = now
                    existing.save(update_fields=["resolved_at"])
                continue
            if existing:
                continue
            value = "–" if fact.value is None else f"{fact.value:.2f}"
            message = _("%(indicator)s in %(area)s, %(period)s: %(value)s (%(rule)s %(threshold)s)") % {
                "indicator": indicator.name,
                "area": fact.area.name,
                "period": period,
                "value": value,
                "rule": rule.get_kind_display(),
                "threshold": f"{rule.threshold:g}",
            }
            raised.append(
                Alert.objects.create(
                    rule=rule, area=fact.area, period=period, value=fact.value, message=message[:400], raised_at=now
                )
            )
    if raised:
        ids = [a.pk for a in raised]
        language = translation.get_language()

        def send() -> None:
            with translation.override(language):
                _send(ids)

        transaction.on_commit(send)
    return len(raised)


def _send(ids: list[int]) -> None:
    by_recipients: dict[str, list[Alert]] = {}
    for alert in Alert.objects.filter(pk__in=ids).select_related("rule"):
        if alert.rule.recipients.strip():
            by_recipients.setdefault(alert.rule.recipients, []).append(alert)
    for recipients, alerts in by_recipients.items():
        send_mail(
            subject=_("entas: %(n)d indicator alert(s)") % {"n": len(alerts)},
            message="\n".join(a.message for a in alerts),
            from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
            recipient_list=[r.strip() for r in recipients.replace(";", ",").split(",") if r.strip()],
            fail_silently=True,
        )
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed=True)
