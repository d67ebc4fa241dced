"""``entas webhook add OWNER --url URL --events E1,E2 [--name N]`` (prints the signing secret once),
``entas webhook list``, ``entas webhook disable ID``, ``entas webhook deliveries [ID] [--status S]``,
``entas webhook deliver`` (send what is due now), ``entas webhook rotate ID [--overlap HOURS]`` (a new
secret printed once; the old one signs beside it for the overlap), ``entas webhook purge [--days N]``
(the delivery log past its retention). With ``--as ADMIN`` they act as that user; without,
as the first active superuser (shell access is administrator access)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.accounts.models import User
from entas.core import events
from entas.core.cli import EntasCommand
from entas.webhooks import rules, selectors, services
from entas.webhooks.models import Delivery


def _system_actor() -> User:
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("No active superuser to act as; name one with --as USER.")
    return user


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.pk,
        "subscription": d.subscription_id,
        "event": d.event,
        "event_id": d.event_id,
        "status": d.status,
        "attempts": d.attempts,
        "response_status": d.response_status,
        "error": d.error,
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }


class Command(EntasCommand):
    help = (
        "Webhooks. 'add OWNER --url URL --events household.changed,cycle.approved': a subscription (secret printed "
        "once). 'list'. 'disable ID'. 'deliveries [ID] [--status pending|delivered|failed]'. "
        "'deliver': send what is due. 'rotate ID [--overlap HOURS]': a new secret. 'purge [--days N]': the old log."
    )
    actor_mode = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Create a subscription (its secret is printed once).")
        add.add_argument("owner", metavar="OWNER", help="The account it acts as (its role and areas bound it).")
        add.add_argument("--url", required=True)
        add.add_argument("--events", required=True, help=f"Comma-separated among {', '.join(events.NAMES)}.")
        add.add_argument("--name", default="", help="What it is for (default: the URL's host).")
        sub.add_parser("list", help="List the subscriptions.")
        disable = sub.add_parser("disable", help="Disable a subscription.")
        disable.add_argument("id", type=int)
        deliveries = sub.add_parser("deliveries", help="The delivery log, newest first.")
        deliveries.add_argument("id", type=int, nargs="?", default=None, help="Only this subscription's.")
        deliveries.add_argument("--status", choices=Delivery.Status.values, default=None)
        deliveries.add_argument("--limit", type=int, default=50)
        sub.add_parser("deliver", help="Send the deliveries that are due now.")
        rotate = sub.add_parser("rotate", help="A new signing secret (printed once); the old one overlaps.")
        rotate.add_argument("id", type=int)
        rotate.add_argument("--overlap", type=int, default=rules.DEFAULT_OVERLAP_HOURS, metavar="HOURS")
        purge = sub.add_parser("purge", help="Delete finished deliveries past the retention.")
        purge.add_argument("--days", type=int, default=None, help="Default: ENTAS_WEBHOOK_RETENTION_DAYS.")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = actor or _system_actor()
        if action == "add":
            owner = User.objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}.")
            url = options["url"]
            name = options["name"] or url.split("//", 1)[-1].split("/", 1)[0]
            names = [e.strip() for e in options["events"].split(",") if e.strip()]
            subscription, secret = services.create_subscription(
                actor=actor, owner=owner, name=name, url=url, event_names=names
            )
            self.emit(
                {**services.snapshot(subscription), "secret": secret},
                f"{secret}\n(subscription {subscription.pk} of {owner.username}: {', '.join(subscription.events)}; "
                "the secret is shown once: store it now)",
                as_json=as_json,
            )
        elif action == "list":
            rows = [
                services.snapshot(s) | {k: getattr(s, k) for k in ("delivered", "pending", "failed")}
                for s in selectors.subscriptions_for(actor).order_by("pk")
            ]
            lines = [
                f"{r['id']}\t{'active' if r['active'] else 'disabled'}\t{r['owner']}\t{','.join(r['events'])}\t"
                f"{r['url']}\tdelivered {r['delivered']}, pending {r['pending']}, failed {r['failed']}\t{r['name']}"
                for r in rows
            ]
            self.emit(rows, "\n".join(lines) or "No subscriptions.", as_json=as_json)
        elif action == "disable":
            found = selectors.subscriptions_for(actor).filter(pk=options["id"]).first()
            if found is None:
                raise CommandError(f"No subscription {options['id']}.")
            services.disable_subscription(actor=actor, subscription=found)
            self.emit(services.snapshot(found), f"Subscription {found.pk} disabled.", as_json=as_json)
        elif action == "deliveries":
            qs = selectors.deliveries_for(actor)
            if options["id"] is not None:
                qs = qs.filter(subscription_id=options["id"])
            if options["status"]:
                qs = qs.filter(status=options["status"])
            rows = [_delivery(d) for d in qs[: max(1, options["limit"])]]
            lines = [
                f"{r['id']}\t{r['subscription']}\t{r['event']}\t{r['status']}\tattempts {r['attempts']}\t"
                f"{r['response_status'] or '-'} {r['error']}\tnext {r['next_attempt_at'] or '-'}"
                for r in rows
            ]
            self.emit(rows, "\n".join(lines) or "No deliveries.", as_json=as_json)
        elif action == "deliver":
            if not actor.can("users.manage"):
                raise CommandError("Only an administrator sends webhook deliveries.")
            counts = services.deliver_due()
            self.emit(
                counts,
                f"delivered {counts['delivered']}, to retry {counts['retry']}, failed {counts['failed']}",
                as_json=as_json,
            )
        elif action == "rotate":
            found = selectors.subscriptions_for(actor).filter(pk=options["id"]).first()
            if found is None:
                raise CommandError(f"No subscription {options['id']}.")
            found, secret = services.rotate_secret(actor=actor, subscription=found, overlap_hours=options["overlap"])
            until = found.previous_until.isoformat() if found.previous_until else None
            self.emit(
                {**services.snapshot(found), "secret": secret, "previous_signs_until": until},
                f"{secret}\n(subscription {found.pk}: the new secret is shown once; "
                + (f"the previous one signs too until {until})" if until else "the previous one stopped at once)"),
                as_json=as_json,
            )
        elif action == "purge":
            if not actor.can("users.manage"):
                raise CommandError("Only an administrator purges the webhook log.")
            if options["days"] is not None and options["days"] < 1:
                raise CommandError("--days is at least 1.")
            counts = services.purge(days=options["days"])
            self.emit(
                counts,
                f"{counts['deleted']} deliveries deleted, "
                f"{counts['previous_secrets_forgotten']} previous secrets forgotten",
                as_json=as_json,
            )
