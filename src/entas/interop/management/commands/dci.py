"""``entas dci``: the DCI social-registry interface's keys, caller systems and notifications.

entas dci keys [--rotate] [--json]            our published JWKS (rotate: a new key, the old one retired)
entas dci caller add SENDER_ID --service-user U --jwks-url URL|--jwks-file F [--callback-url URL] --as ADMIN
entas dci caller list [--json]
entas dci notify [--json]                     send subscribers the changes since their last notification
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.cli import EntasCommand
from entas.core.models import Job
from entas.interop import keys, services
from entas.interop.models import CallerSystem


class Command(EntasCommand):
    help = "The DCI social-registry interface: signing keys, caller systems, notifications."
    actor_mode = "optional"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        k = sub.add_parser("keys", help="Print our JWKS; --rotate makes a new signing key first.")
        k.add_argument("--rotate", action="store_true")
        caller = sub.add_parser("caller", help="Register or list the systems that may query the registry.")
        csub = caller.add_subparsers(dest="caller_action", required=True)
        add = csub.add_parser("add")
        add.add_argument("sender_id")
        add.add_argument("--name", default="")
        add.add_argument("--service-user", required=True)
        add.add_argument("--jwks-url", default="")
        add.add_argument("--jwks-file", type=Path)
        add.add_argument("--callback-url", default="")
        add.add_argument("--unsigned", action="store_true", help="Accept unsigned messages from it.")
        add.add_argument("--as", "--user", dest="username", default="", metavar="USER")
        add.add_argument("--json", action="store_true", dest="as_json")
        listing = csub.add_parser("list")
        listing.add_argument("--json", action="store_true", dest="as_json")
        sub.add_parser("notify", help="Send the subscribers the registry's changes since their last notification.")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        if action == "keys":
            if options["rotate"]:
                key = services.rotate_keys(actor=actor)
                if not as_json:
                    self.stdout.write(f"New signing key {key.kid}; the previous one is retired (still published).")
            else:
                keys.active_key()
            self.stdout.write(json.dumps(keys.published_jwks(), indent=None if as_json else 2))
        elif action == "caller":
            self._caller(actor, as_json, **options)
        else:
            job = jobqueue.submit(kind="interop.dci_notify", params={}, actor=actor, queue=False)
            job = jobqueue.execute(job.pk)
            if job.status != Job.Status.SUCCEEDED:
                raise CommandError(job.error.split("\n\n")[0])
            result = job.result or {}
            self.emit(
                result, f"{result['subscriptions']} subscriptions, {result['records']} records sent.", as_json=as_json
            )

    def _caller(self, actor: Any, as_json: bool, *, caller_action: str, **options: Any) -> None:
        if caller_action == "list":
            rows = [
                {
                    "sender_id": c.sender_id,
                    "name": c.name,
                    "client_id": c.client_id,
                    "service_user": c.service_user.username,
                    "active": c.active,
                }
                for c in CallerSystem.objects.select_related("service_user")
            ]
            self.emit(
                rows,
                "\n".join(
                    "\t".join(
                        [
                            str(r["sender_id"]),
                            str(r["client_id"]),
                            str(r["service_user"]),
                            "active" if r["active"] else "suspended",
                        ]
                    )
                    for r in rows
                ),
                as_json=as_json,
            )
            return
        actor = self.require_actor(actor)
        try:
            service_user = User.objects.get(username=options["service_user"])
        except User.DoesNotExist:
            raise CommandError(f"No user {options['service_user']!r}.") from None
        jwks = json.loads(options["jwks_file"].read_text(encoding="utf-8")) if options.get("jwks_file") else None
        caller, secret = services.register_caller(
            actor=actor,
            sender_id=options["sender_id"],
            name=options["name"],
            service_user=service_user,
            jwks_url=options["jwks_url"],
            jwks=jwks,
            callback_url=options["callback_url"],
            require_signature=not options["unsigned"],
        )
        result = {"sender_id": caller.sender_id, "client_id": caller.client_id, "client_secret": secret}
        self.emit(
            result,
            f"Registered {caller.sender_id}: client_id {caller.client_id}, client_secret {secret} (shown once).",
            as_json=as_json,
        )
