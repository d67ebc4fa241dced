"""The base of every ``entas`` command: who it acts as, how it prints, how it refuses.

- ``--as USER`` names the account the command acts as: that user's role and areas apply exactly as
  on the pages, and the audit trail records the action under that user. Shell access to the server
  is administrator access (whoever can run ``entas`` can read the database file or its settings), so
  ``--as`` is not a login: the audit event also records that the action came from the command line
  and which operating-system account ran it (see docs/security.md).
- ``--json`` prints the result as one JSON object instead of a line for people.
- A :class:`~entas.core.errors.Refused` from a service ends the command with exit status 1 and the
  message (Indonesian; ``ENTAS_LANGUAGE=en`` for English).

Both options are added to the command's parser, or to each of its sub-commands, by
:meth:`EntasCommand.create_parser`; a command declares only whether it needs a user.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
from collections.abc import Iterator
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from .context import channel, os_user
from .errors import Refused


def actor_named(username: str) -> Any:
    """The active user called ``username``, or a CommandError saying there is none."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry): the numeric id then
        return str(os.getuid()) if hasattr(os, "getuid") else ""


@contextlib.contextmanager
def _current_language() -> Iterator[None]:
    yield


class EntasCommand(BaseCommand):
    """A command of entas. Subclasses implement ``handle(self, *args, actor, as_json, **options)``.

    ``actor_mode``: ``"required"`` (every action runs as a named user), ``"optional"`` (without
    ``--as`` it runs as the system, e.g. loading reference data) or ``"none"`` (no user involved).
    ``no_actor``: sub-commands that never need one (``list``, ``fields``…).
    """

    actor_mode: ClassVar[str] = "required"
    no_actor: ClassVar[frozenset[str]] = frozenset()

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subparsers:
            for name, sub in subparsers[0].choices.items():
                self._add_common(sub, needs_actor=name not in self.no_actor)
        else:
            self._add_common(parser, needs_actor=True)
        return parser

    def _add_common(self, parser: argparse.ArgumentParser, *, needs_actor: bool) -> None:
        existing = {option for action in parser._actions for option in action.option_strings}
        if self.actor_mode != "none" and needs_actor and "--as" not in existing:
            parser.add_argument(
                "--as",
                "--user",
                dest="username",
                required=self.actor_mode == "required",
                default="",
                metavar="USER",
                help="Act as this user: their role and areas apply, and the audit trail names them.",
            )
        if "--json" not in existing:
            parser.add_argument("--json", action="store_true", dest="as_json", help="Print the result as JSON.")

    def execute(self, *args: Any, **options: Any) -> Any:
        username = options.pop("username", "") or ""
        options.setdefault("as_json", False)
        tokens = (channel.set("cli"), os_user.set(_os_user()))
        # The interface language (Indonesian) unless ENTAS_LANGUAGE=en asks for English.
        language = os.environ.get("ENTAS_LANGUAGE", "")
        try:
            with translation.override(language) if language in {"id", "en"} else _current_language():
                options["actor"] = actor_named(username) if username else None
                return super().execute(*args, **options)
        except Refused as exc:
            raise CommandError(exc.message) from exc
        finally:
            channel.reset(tokens[0])
            os_user.reset(tokens[1])

    def emit(self, result: Any, text: str, *, as_json: bool) -> None:
        """Print ``result`` as JSON, or ``text`` for a person."""
        self.stdout.write(json.dumps(result, default=str, ensure_ascii=False) if as_json else text)

    def require_actor(self, actor: Any) -> Any:
        if actor is None:
            raise CommandError("Name the user to act as with --as USER.")
        return actor
