"""Liveness and readiness, request ids, JSON logs, the metrics endpoint, and serve's safety rule."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from entas.accounts.models import User
from entas.core import deploy, jobqueue, observability
from entas.core.models import Job, WorkerHeartbeat


def beat(seconds_ago: float) -> None:
    moment = timezone.now() - timedelta(seconds=seconds_ago)
    WorkerHeartbeat.objects.create(worker_id=f"w{seconds_ago}", hostname="h", pid=1, started_at=moment, seen_at=moment)


# -- /live/ and /ready/ ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_live_answers_without_the_database_and_ready_needs_a_worker_heartbeat(client: Client) -> None:
    assert client.get("/live/").json() == {"status": "ok"}
    assert client.get("/ready/").status_code == 503  # no worker has ever run
    beat(3600)
    assert client.get("/ready/").status_code == 503  # its heartbeat is stale
    beat(2)
    ready = client.get("/ready/")
    assert ready.status_code == 200 and ready.json()["worker"]["live"] == 1
    assert "no-cache" in ready["Cache-Control"]


def test_live_does_not_touch_the_database(client: Client) -> None:
    assert client.get("/live/").status_code == 200  # no django_db mark: a query would fail the test


# -- request ids and JSON logs ---------------------------------------------------------------------------
def test_every_response_carries_a_request_id_and_a_proxy_s_id_is_kept_when_sane(client: Client) -> None:
    first, second = client.get("/live/"), client.get("/live/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
    assert client.get("/live/", HTTP_X_REQUEST_ID="nginx-4f3a9c21")["X-Request-ID"] == "nginx-4f3a9c21"
    forged = client.get("/live/", HTTP_X_REQUEST_ID='x"\n{"level":"ERROR"}')["X-Request-ID"]
    assert len(forged) == 32 and '"' not in forged


def test_json_logs_carry_the_request_id_and_one_line_per_request(client: Client) -> None:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(observability.RequestIdFilter())
    handler.setFormatter(observability.JsonFormatter())
    logger = logging.getLogger("entas.request")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get("/live/", HTTP_X_REQUEST_ID="req-12345678")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == response["X-Request-ID"] == "req-12345678"
    assert line["level"] == "INFO" and line["logger"] == "entas.request"
    assert line["method"] == "GET" and line["path"] == "/live/" and line["status"] == 200
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")


def test_the_json_formatter_writes_exceptions_and_extra_fields() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, "f", 1, "failed %s", ("job",), None, extra={"job": 7}
        )
        import sys

        record.exc_info = sys.exc_info()
    out = json.loads(observability.JsonFormatter().format(record))
    assert out["message"] == "failed job" and out["job"] == 7 and "ValueError: boom" in out["exception"]


# -- /metrics --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_metrics_need_the_token_and_report_the_queue_jobs_and_imports(
    client: Client, settings: Any, operator_manggar: User
) -> None:
    assert client.get("/metrics").status_code == 404  # not configured: not there
    settings.ENTAS_METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    beat(1)
    jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar, queue=False)
    done = jobqueue.submit(kind="core.clear_sessions", params={}, actor=None, queue=False)
    jobqueue.execute(done.pk)
    now = timezone.now()
    imported = Job.objects.create(kind="registry.import", params={}, status=Job.Status.SUCCEEDED, done=5000,
                                  total=5000, started_at=now - timedelta(seconds=10), finished_at=now)  # fmt: skip
    assert imported.pk
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert 'entas_jobs{status="queued"} 1' in text
    assert "entas_workers_live 1" in text and "entas_database_up 1" in text
    assert 'entas_job_duration_seconds_count{kind="core.clear_sessions",status="succeeded"} 1' in text
    assert 'entas_import_rows_per_second{kind="registry.import"} 500.0' in text
    assert 'entas_http_requests_total{method="GET",status="4xx"}' in text
    assert 'entas_http_request_duration_seconds_bucket{le="+Inf"}' in text


# -- entas serve's safety rule ----------------------------------------------------------------------------
GOOD_KEY = "k" * 20 + "Zq8vW3nP1xR7tY4uI0oP2aS5dF9gH6jK"


def test_serve_is_safe_with_a_real_key_and_host_names() -> None:
    assert (
        deploy.unsafe_reasons(
            debug=False, secret_key=GOOD_KEY, allowed_hosts=["entas.example.go.id"], bind="0.0.0.0:8000"
        )
        == []
    )
    assert (
        deploy.unsafe_reasons(debug=False, secret_key=GOOD_KEY, allowed_hosts=["localhost"], bind="127.0.0.1:8000")
        == []
    )
    assert (
        deploy.unsafe_reasons(
            debug=False, secret_key=GOOD_KEY, allowed_hosts=["localhost"], bind="unix:/run/entas.sock"
        )
        == []
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"debug": True}, "debug is on"),
        ({"secret_key": "django-insecure-entas-development-only-never-use-in-production"}, "secret key"),
        ({"secret_key": "short"}, "secret key"),
        ({"allowed_hosts": []}, "no allowed host names"),
        ({"allowed_hosts": ["*"]}, "no allowed host names"),
        ({"allowed_hosts": ["127.0.0.1", "localhost"], "bind": "0.0.0.0:8000"}, "names only this machine"),
    ],
)
def test_serve_refuses_each_unsafe_setting_with_its_reason(change: dict[str, Any], reason: str) -> None:
    settings = {
        "debug": False,
        "secret_key": GOOD_KEY,
        "allowed_hosts": ["entas.example.go.id"],
        "bind": "127.0.0.1:8000",
    }
    reasons = deploy.unsafe_reasons(**{**settings, **change})
    assert len(reasons) == 1 and reason in reasons[0]


def test_the_serve_command_refuses_to_start_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match="unsafe settings:\n- debug is on"):
        call_command("serve", "--bind", "127.0.0.1:0", stdout=StringIO())
