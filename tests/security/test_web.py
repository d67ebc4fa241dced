"""Probes of the web surface: what a page, a job page or the login answers a hostile or unlucky
visitor (issue #15, items 12 and 13). Each test names the behaviour that must keep holding."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.jobqueue import JobContext, job_kind

pytestmark = pytest.mark.django_db


@job_kind("test.leaky_crash", "Crash with a path in the message (test)")
def leaky_crash(ctx: JobContext) -> None:
    open("/srv/entas/var/media/imports/secret-upload.xlsx")  # noqa: SIM115  (FileNotFoundError with a path)


def test_a_crashed_job_shows_no_traceback_or_path_to_its_user_and_logs_them_for_the_administrator(
    client_for: Callable[[User], Client], operator_manggar: User, caplog: pytest.LogCaptureFixture
) -> None:
    job = jobqueue.submit(kind="test.leaky_crash", params={}, actor=operator_manggar, queue=False)
    with caplog.at_level(logging.ERROR, logger="entas.core.jobqueue"):
        job = jobqueue.execute(job.pk)
    assert job.status == "failed"
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    api = client.get(f"/api/v1/jobs/{job.pk}").json()
    for shown in (page, job.error, job.log, api["error"], "\n".join(api["log"])):
        assert "Traceback" not in shown
        assert "/srv/entas" not in shown and "secret-upload" not in shown and ".py" not in shown
    assert f"job #{job.pk}" in job.error and "server log" in job.error
    # The administrator finds the whole story in the server log.
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert f"job {job.pk}" in logged.lower()
    assert any(r.exc_info for r in caplog.records)
    assert "secret-upload.xlsx" in caplog.text and "Traceback" in caplog.text


def test_an_older_job_error_with_a_traceback_is_shown_without_it(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    job = jobqueue.submit(kind="test.leaky_crash", params={}, actor=operator_manggar, queue=False)
    type(job).objects.filter(pk=job.pk).update(
        status="failed",
        error='ValueError: bad\n\nTraceback (most recent call last):\n  File "/srv/entas/src/entas/x.py", line 1',
    )
    page = client_for(operator_manggar).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Traceback" not in page and "/srv/entas" not in page
    assert "ValueError: bad" in page
