from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.errors import Refused
from entas.core.jobqueue import JobContext, job_kind
from entas.core.models import Job
from entas.registry.models import Household

pytestmark = pytest.mark.django_db


@job_kind("test.count_to", "Count to N (test)")
def count_to(ctx: JobContext) -> dict[str, Any]:
    n = int(ctx.params.get("n", 10))
    ctx.set_total(n)
    for _ in range(n):
        ctx.advance()
    ctx.log(f"counted to {n}")
    if ctx.params.get("fail"):
        raise Refused("the test job was told to fail")
    if ctx.params.get("crash"):
        raise ZeroDivisionError("boom")
    return {"counted": n}


def test_a_job_reports_progress_log_and_result(operator_manggar: User) -> None:
    job = jobqueue.submit(kind="test.count_to", params={"n": 7}, actor=operator_manggar, queue=False)
    seen: list[int] = []
    job = jobqueue.execute(job.pk, on_progress=lambda j: seen.append(j.done))
    assert (job.status, job.done, job.total, job.percent) == ("succeeded", 7, 7, 100)
    assert job.result == {"counted": 7}
    assert "counted to 7" in job.log
    assert seen[-1] == 7 and seen == sorted(seen)


def test_a_failing_job_is_marked_failed_with_its_reason(operator_manggar: User) -> None:
    job = jobqueue.execute(jobqueue.submit(kind="test.count_to", params={"fail": 1}, actor=operator_manggar).pk)
    assert job.status == "failed"
    assert job.error == "the test job was told to fail"
    crashed = jobqueue.execute(jobqueue.submit(kind="test.count_to", params={"crash": 1}, actor=operator_manggar).pk)
    # A crash names its kind and where the details are (the server log), never its traceback.
    assert "ZeroDivisionError" in crashed.error and f"#{crashed.pk}" in crashed.error
    assert "Traceback" not in crashed.error and "boom" not in crashed.error


def test_a_job_runs_only_once(operator_manggar: User) -> None:
    job = jobqueue.submit(kind="test.count_to", params={"n": 2}, actor=operator_manggar)
    jobqueue.execute(job.pk)
    again = jobqueue.execute(job.pk)
    assert again.done == 2


def test_an_unknown_kind_is_refused(operator_manggar: User) -> None:
    with pytest.raises(Refused):
        jobqueue.submit(kind="no.such.kind", params={}, actor=operator_manggar)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_queued_jobs_from_the_database(regions: Any, make_user: Callable[..., User]) -> None:
    from entas.accounts.roles import Role

    user = make_user("worker.owner", Role.OPERATOR, ["64.71.01.1001"])
    job = jobqueue.submit(kind="test.count_to", params={"n": 3}, actor=user)
    job.refresh_from_db()
    assert job.status == "queued" and job.task_id  # handed to the task queue on commit
    call_command("worker", batch=True, stdout=StringIO())
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.result == {"counted": 3}


def test_a_job_interrupted_by_a_restart_is_marked_failed_and_can_be_rerun(operator_manggar: User) -> None:
    job = jobqueue.submit(kind="test.count_to", params={"n": 4}, actor=operator_manggar, queue=False)
    Job.objects.filter(pk=job.pk).update(status="running", heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = jobqueue.submit(kind="test.count_to", params={"n": 4}, actor=operator_manggar, queue=False)
    Job.objects.filter(pk=fresh.pk).update(status="running", heartbeat_at=timezone.now())
    assert jobqueue.mark_interrupted() == 1
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.status == "failed" and "interrupted" in job.error.lower()
    assert fresh.status == "running"  # still reporting progress: another worker has it
    again = jobqueue.execute(jobqueue.rerun(job=job, actor=operator_manggar, queue=False).pk)
    assert again.status == "succeeded" and again.rerun_of == job


def test_a_running_job_cannot_be_rerun(operator_manggar: User) -> None:
    job = jobqueue.submit(kind="test.count_to", params={}, actor=operator_manggar, queue=False)
    with pytest.raises(Refused):
        jobqueue.rerun(job=job, actor=operator_manggar)


def test_the_job_page_polls_while_running_and_stops_when_done(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    job = jobqueue.submit(kind="test.count_to", params={"n": 5}, actor=operator_manggar, queue=False)
    client = client_for(operator_manggar)
    url = reverse("jobs:detail", args=[job.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<html" not in fragment
    jobqueue.execute(job.pk)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert 'value="100"' in done
    full = client.get(url).content.decode()
    assert "<html" in full


def test_a_failed_job_can_be_rerun_from_its_page(client_for: Callable[[User], Client], operator_manggar: User) -> None:
    job = jobqueue.execute(jobqueue.submit(kind="test.count_to", params={"fail": 1}, actor=operator_manggar).pk)
    response = client_for(operator_manggar).post(reverse("jobs:rerun", args=[job.pk]))
    new = Job.objects.get(rerun_of=job)
    assert response["Location"] == reverse("jobs:detail", args=[new.pk])


def test_the_export_page_starts_a_job_and_the_result_downloads(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    response = client.post(reverse("registry:export"))
    job = Job.objects.get(kind="registry.export")
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    jobqueue.execute(job.pk)
    download = client.get(reverse("jobs:download", args=[job.pk]))
    body = b"".join(download.streaming_content).decode()  # type: ignore[attr-defined]
    assert manggar_household.kk_number in body


def test_the_command_runs_a_job_in_the_foreground(operator_manggar: User, manggar_household: Household) -> None:
    out = StringIO()
    call_command("jobs", "run", "registry.export", "--user", "op.manggar", stdout=out, stderr=StringIO())
    assert "succeeded" in out.getvalue()
    job = Job.objects.get(kind="registry.export")
    assert job.status == "succeeded" and job.result == {"rows": 3, "format": "csv"}
    shown = StringIO()
    call_command("jobs", "show", str(job.pk), stdout=shown)
    assert "3 member rows written" in shown.getvalue()


def test_the_command_reports_a_failed_job(operator_manggar: User) -> None:
    with pytest.raises(CommandError, match="failed"):
        call_command(
            "jobs",
            "run",
            "test.count_to",
            "--user",
            "op.manggar",
            "--param",
            "fail=1",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    with pytest.raises(CommandError, match="KEY=VALUE"):
        call_command("jobs", "run", "test.count_to", "--user", "op.manggar", "--param", "oops", stdout=StringIO())


def test_a_role_without_the_export_capability_cannot_export(
    client_for: Callable[[User], Client], tkpk_analyst: User
) -> None:
    assert client_for(tkpk_analyst).post(reverse("registry:export")).status_code == 403
    job = jobqueue.execute(jobqueue.submit(kind="registry.export", params={}, actor=tkpk_analyst).pk)
    assert job.status == "failed"
