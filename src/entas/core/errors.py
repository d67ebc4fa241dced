"""The one refusal of entas: a service says no, with a stable code and a message for a person.

Services raise :class:`Refused`; three handlers (one each for pages, the API and commands) turn it
into what their user sees, so no view, endpoint or command catches a per-app error class:

- pages: :class:`entas.core.middleware.RefusedMiddleware` shows the message (a POST returns to its
  page with the message on top; a GET renders it with the status of the code);
- the API: :func:`entas.api.api` answers ``{"code": …, "message": …, "issues": […]}`` with the status;
- commands: :class:`entas.core.cli.EntasCommand` exits non-zero with the message.

A view that wants the message next to a form field still catches ``Refused`` and reads ``issues``.
This module imports nothing from Django, so pure modules (the rule language) may raise it too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Stable codes and the HTTP status each maps to; any other code answers 400.
STATUS = {
    "invalid": 400,
    "refused": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "busy": 409,
    "too_many": 429,
}


@dataclass(frozen=True)
class Problem:
    """One positioned problem of a refusal: a form field (or a rule's column, a file's line) and its message."""

    field: str
    message: str


class Refused(Exception):
    """A step was refused for a reason its user can act on.

    ``message`` is already in the user's language (services build it with ``gettext``); ``code`` is
    one of :data:`STATUS` (or an app's own, answered as 400); ``issues`` are positioned problems,
    each with ``field`` and ``message`` (a form shows them next to their fields).
    """

    def __init__(self, message: Any, *, code: str = "refused", issues: Iterable[Any] = ()) -> None:
        self.message = str(message)
        self.code = code
        self.issues = list(issues)
        super().__init__(self.message)

    @classmethod
    def listing(cls, problems: Iterable[str], *, code: str = "invalid") -> Refused:
        """A refusal listing every problem found (a file's bad lines): one message per line."""
        lines = [str(p) for p in problems]
        return cls("\n".join(lines), code=code, issues=[Problem("", line) for line in lines])

    @property
    def problems(self) -> list[str]:
        """The issues' messages (for a refusal made by :meth:`listing`: its lines)."""
        return [str(getattr(i, "message", i)) for i in self.issues]

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        """The API's error object."""
        return {
            "code": self.code,
            "message": self.message,
            "issues": [
                {"field": getattr(i, "field", ""), "message": str(getattr(i, "message", i))} for i in self.issues
            ],
        }


class FileFormatError(ValueError):
    """A file as a whole cannot be read (the message says why and what to do): an import refuses it
    with that message (:func:`entas.core.fileimport.run_uploaded_import`)."""


def show_on_form(form: Any, refusal: Refused) -> None:
    """Show a service's refusal on a page's form: each issue next to the field it names (at the top
    when the form has no such field), or the refusal's message at the top when it names none."""
    for issue in refusal.issues:
        form.add_error(issue.field if issue.field in form.fields else None, str(issue.message))
    if not refusal.issues:
        form.add_error(None, refusal.message)


def from_form(form: Any, *, code: str = "invalid") -> Refused:
    """A page's form that did not validate, as a refusal (the API answers it): one issue per error,
    named by its field (``""`` for the form as a whole), the first error as the message. The API reads
    input with the pages' own forms, so a value is refused for the same reason, in the same words."""
    issues = [
        Problem("" if name == "__all__" else name, str(message))
        for name, messages in form.errors.items()
        for message in messages
    ]
    return Refused(issues[0].message if issues else "", code=code, issues=issues)
