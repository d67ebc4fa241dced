"""``entas oauth client create USER --scopes S1,S2 [--expires DAYS] [--name N] [--jwk FILE] [--no-secret]
--json``: a new OAuth client of the service account USER (its secret printed once; only its hash is
kept); ``entas oauth client revoke CLIENT`` (its id or client id); ``entas oauth client list [--owner USER]``.

Shell access to the server is administrator access: without ``--as ADMIN`` these run as the first
superuser, and the audit trail records that they came from the command line.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from entas.accounts import oauth
from entas.accounts.models import OAuthClient, User
from entas.core.cli import EntasCommand

from .token import _system_actor


class Command(EntasCommand):
    help = (
        "OAuth clients of service accounts (client-credentials grant at /api/v1/oauth/token). "
        "'client create USER --scopes registry:read [--expires DAYS] [--jwk FILE] [--no-secret]': a new client, "
        "its secret printed once. 'client revoke ID|CLIENT_ID': stop it and its access tokens. "
        "'client list [--owner USER]'."
    )
    actor_mode = "optional"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="noun", required=True)
        client = sub.add_parser("client", help="OAuth clients: create, revoke, list.")
        client.add_argument("verb", choices=["create", "revoke", "list"])
        client.add_argument("target", nargs="?", default="", help="create: the service account; revoke: the client.")
        client.add_argument("--scopes", default="", help="Comma-separated, e.g. registry:read,programmes:write.")
        client.add_argument("--expires", type=int, default=None, metavar="DAYS")
        client.add_argument("--name", default="", help="The system that uses it (default: the account's name).")
        client.add_argument(
            "--jwk", type=Path, default=None, help="A JSON file: the public JWK or JWKS (private_key_jwt)."
        )
        client.add_argument("--no-secret", action="store_true", help="No secret: the client signs assertions only.")
        client.add_argument("--rate", type=int, default=None, help="Requests per minute (default: the setting).")
        client.add_argument("--owner", default="", help="list: only this account's clients.")

    def handle(self, *args: Any, noun: str, verb: str, actor: Any, as_json: bool, **options: Any) -> None:
        actor = actor or _system_actor()
        if verb == "create":
            owner = User.objects.filter(username=options["target"]).first()
            if owner is None:
                raise CommandError(f"No user {options['target']!r}.")
            if not options["scopes"]:
                raise CommandError("Give the scopes with --scopes.")
            jwks = None
            if options["jwk"] is not None:
                try:
                    jwks = json.loads(options["jwk"].read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"Cannot read {options['jwk']}: {exc}") from None
            new = oauth.create_client(
                actor=actor,
                user=owner,
                name=options["name"] or owner.username,
                scopes=options["scopes"],
                expires_days=options["expires"],
                jwks=jwks,
                with_secret=not options["no_secret"],
                rate_limit=options["rate"],
            )
            result = {**oauth.snapshot(new.client), "client_secret": new.secret}
            text = f"client_id {new.client.client_id}\n"
            if new.secret:
                text += f"client_secret {new.secret}\n(shown once: store it now)"
            self.emit(result, text.rstrip(), as_json=as_json)
        elif verb == "revoke":
            ident = options["target"]
            if not ident:
                raise CommandError("Name the client to revoke.")
            lookup = {"pk": int(ident)} if ident.isdigit() else {"client_id": ident}
            client = OAuthClient.objects.select_related("user").filter(**lookup).first()
            if client is None:
                raise CommandError(f"No OAuth client {ident!r}.")
            oauth.revoke_client(actor=actor, client=client)
            self.emit(oauth.snapshot(client), f"OAuth client {client.client_id} revoked.", as_json=as_json)
        else:
            qs = OAuthClient.objects.select_related("user").order_by("pk")
            if options["owner"]:
                qs = qs.filter(user__username=options["owner"])
            rows = [oauth.snapshot(c) for c in qs]
            lines = [
                f"{r['id']}\t{r['client_id']}\t{r['user']}\t{r['status']}\t{','.join(r['scopes'])}\t"
                f"{','.join(r['auth_methods'])}\tlast used {r['last_used_at'] or '-'}\t{r['name']}"
                for r in rows
            ]
            self.emit(rows, "\n".join(lines) or "No OAuth clients.", as_json=as_json)
