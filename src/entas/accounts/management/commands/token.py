"""``entas token create USER --scopes S1,S2 [--expires DAYS] [--name N] [--rate N] --json``: a new API
token of USER, printed once (only its hash is kept); ``entas token revoke ID``; ``entas token list
[--owner USER]``; ``entas token scopes``; ``entas token service-account NAME --role R [--area CODE…]``.

Shell access to the server is administrator access, so these run as the system: the audit trail
records that they came from the command line and which operating-system account ran them. With
``--as ADMIN`` they run as that user instead (their rights apply).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from entas.accounts import scopes, tokens
from entas.accounts.models import ApiToken, User
from entas.accounts.roles import Role
from entas.core.cli import EntasCommand


def _system_actor() -> User:
    """The account a command acts as without ``--as``: the first active superuser."""
    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        raise CommandError("No active superuser to act as; name one with --as USER.")
    return user


class Command(EntasCommand):
    help = (
        "API tokens. 'create USER --scopes registry:read,programmes [--expires DAYS]': a new token, printed once. "
        "'revoke ID': stop a token. 'list [--owner USER]': tokens and their last use. 'scopes': the scopes. "
        "'service-account NAME --role ROLE [--area CODE]': an account for another system (no password)."
    )
    actor_mode = "optional"
    no_actor = frozenset({"scopes"})

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token (printed once).")
        create.add_argument("owner", metavar="USER")
        create.add_argument("--scopes", required=True, help="Comma-separated, e.g. registry:read,programmes:write.")
        create.add_argument("--expires", type=int, default=None, metavar="DAYS")
        create.add_argument("--name", default="", help="What the token is for (default: 'cli').")
        create.add_argument("--rate", type=int, default=None, help="Requests per minute (default: the setting).")
        revoke = sub.add_parser("revoke", help="Revoke a token.")
        revoke.add_argument("id", help="The token's id or prefix.")
        listing = sub.add_parser("list", help="List tokens.")
        listing.add_argument("--owner", dest="owner", default="", help="Only this user's tokens.")
        sub.add_parser("scopes", help="List the scopes.")
        account = sub.add_parser("service-account", help="Create a service account.")
        account.add_argument("name")
        account.add_argument("--role", required=True, choices=Role.values)
        account.add_argument("--area", action="append", default=[], help="A region code (repeat for several).")
        account.add_argument("--organisation", default="")

    def handle(self, *args: Any, action: str, actor: Any, as_json: bool, **options: Any) -> None:
        if action == "scopes":
            rows = [{"scope": s, "family": s.split(":")[0]} for s in scopes.ALL]
            self.emit(rows, "\n".join(f"{s}\t{scopes.FAMILIES[s.split(':')[0]]}" for s in scopes.ALL), as_json=as_json)
            return
        actor = actor or _system_actor()
        if action == "create":
            owner = User.objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"No user {options['owner']!r}.")
            # From the shell (administrator access) a person's token may be made for them too.
            creator = owner if actor.is_superuser and not owner.is_service_account else actor
            new = tokens.create_token(
                actor=creator,
                user=owner,
                name=options["name"] or "cli",
                scopes=options["scopes"],
                expires_days=options["expires"],
                rate_limit=options["rate"],
            )
            result = {**tokens.snapshot(new.token), "token": new.secret}
            text = (
                f"{new.secret}\n(token {new.token.pk} of {owner.username}, scopes {', '.join(new.token.scopes)}; "
                "shown once: store it now)"
            )
            self.emit(result, text, as_json=as_json)
        elif action == "revoke":
            ident = options["id"]
            token = (
                ApiToken.objects.select_related("user")
                .filter(**({"pk": int(ident)} if ident.isdigit() else {"prefix": ident}))
                .first()
            )
            if token is None:
                raise CommandError(f"No token {ident!r}.")
            tokens.revoke_token(actor=actor, token=token)
            self.emit(tokens.snapshot(token), f"Token {token.pk} ({token.prefix}) revoked.", as_json=as_json)
        elif action == "list":
            qs = ApiToken.objects.select_related("user").order_by("pk")
            if options["owner"]:
                qs = qs.filter(user__username=options["owner"])
            rows = [tokens.snapshot(t) for t in qs]
            lines = [
                f"{r['id']}\t{r['prefix']}\t{r['user']}\t{r['status']}\t{','.join(r['scopes'])}\t"
                f"last used {r['last_used_at'] or '-'}\t{r['name']}"
                for r in rows
            ]
            self.emit(rows, "\n".join(lines) or "No tokens.", as_json=as_json)
        elif action == "service-account":
            from entas.regions.models import Region

            areas = list(Region.objects.filter(code__in=options["area"]))
            missing = set(options["area"]) - {a.code for a in areas}
            if missing:
                raise CommandError(f"No region {', '.join(sorted(missing))}.")
            user = tokens.create_service_account(
                actor=actor,
                username=options["name"],
                role=options["role"],
                areas=areas,
                organisation=options["organisation"],
            )
            self.emit(
                {"id": user.pk, "username": user.username}, f"Service account {user.username} created.", as_json=as_json
            )
