"""A database busy for a moment answers 503 with a clear page, never 500.

SQLite lets one connection write at a time: a request that needs to write (a login, the audit row of
a household page, a saved form) waits up to ``ENTAS_SQLITE_BUSY_SECONDS`` for another writer (an
import's commit, a backup) and then fails with "database is locked". PostgreSQL has its own
momentary failures: a lock or statement timeout, a deadlock or serialisation failure chosen as the
victim, a server restarting. None of these is a fault of the request or of entas's code, and all of
them pass: the person should be told to try again in a moment (503 with ``Retry-After``), not shown
"Something went wrong" (500). A service's writes are one transaction, so what was refused was
rolled back whole.

- :func:`is_busy` recognises such an error anywhere in an exception's chain;
- :class:`DatabaseBusyMiddleware` answers it for views and API endpoints, and
  :func:`entas.core.views.server_error` (``handler500``) for errors raised in middleware (a session
  save);
- :class:`SessionMiddleware` writes a session only when it changed, or at most every
  ``SESSION_REFRESH_SECONDS`` to keep it alive, so reading a page writes nothing (and so never waits
  for the write lock); a refresh that meets a busy database is simply left for a later request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# PostgreSQL conditions that pass by themselves (SQLSTATE): lock_not_available, query_canceled (a
# statement or lock timeout), serialization_failure, deadlock_detected, admin_shutdown,
# crash_shutdown, cannot_connect_now, too_many_connections; and class 08, connection exceptions.
_POSTGRES_MOMENTARY = {"55P03", "57014", "40001", "40P01", "57P01", "57P02", "57P03", "53300"}


class DatabaseBusy(Exception):
    """Raised where a write met a busy database and the cause would otherwise be lost (a session save)."""


def is_busy(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an exception it was raised from or during, says the database is busy or
    unreachable for a moment (as opposed to a fault of the code or the data)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _momentary(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _momentary(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseBusy):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in _POSTGRES_MOMENTARY or sqlstate.startswith("08")
    module = type(exc).__module__
    if module.startswith("psycopg"):
        # A psycopg OperationalError without a state: the connection could not be made or was lost.
        return type(exc).__name__ in {"OperationalError", "InterfaceError"}
    if isinstance(exc, (OperationalError, InterfaceError)) or module == "sqlite3":
        text = str(exc).lower()
        return "database is locked" in text or "database table is locked" in text or "database is busy" in text
    return False


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``: a page for people, the API's error object for programs."""
    message = _(
        "The database is busy for a moment (for example, a large import is being written), so your request "
        "was not completed. Please try again in a few seconds."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "busy", "message": message, "field": None, "issues": []}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Answers a view's or endpoint's busy-database error with :func:`busy_response` (503)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy(exception):
            return None
        logger.warning("Database busy, answered 503: %s %s (%s)", request.method, request.path, exception)
        return busy_response(request)


# A session is written again after this long so that it stays alive while used (its idle lifetime is
# SESSION_COOKIE_AGE from its last write, so it may end up to this much earlier than that).
SESSION_REFRESH_SECONDS = 300
_SEEN = "_entas_seen"


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, writing a session only when it changed or is due a refresh.

    With ``SESSION_SAVE_EVERY_REQUEST`` every page view was an UPDATE of the session row: on SQLite a
    write, which waits for the write lock while an import commits and fails past the busy timeout,
    so even reading the registry failed under an import. Here a session is refreshed (its expiry
    moved on) at most every :data:`SESSION_REFRESH_SECONDS`; a refresh that meets a busy database is
    skipped (the next request tries again). A session that changed (a login, a language choice) must
    be saved: if the database is busy, the request answers 503, never Django's "session interrupted"
    400 that a lock used to produce.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session: Any = getattr(request, "session", None)
        refresh_only = False
        if session is not None and session.session_key and not session.is_empty():
            now = int(time.time())
            if session.modified:
                session[_SEEN] = now  # saved anyway: the refresh clock starts again
            elif now - int(session.get(_SEEN, 0)) >= min(SESSION_REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10):
                session[_SEEN] = now
                refresh_only = True
        try:
            return super().process_response(request, response)
        except SessionInterrupted as exc:
            if not is_busy(exc):
                raise
            if refresh_only:
                logger.info("Session refresh skipped: the database is busy (%s)", request.path)
                return response
            raise DatabaseBusy(str(exc.__context__ or exc)) from exc


@receiver(user_logged_in)
def _seen_at_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A login saves its new session anyway: its refresh clock starts there (not one write later)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[_SEEN] = int(time.time())
