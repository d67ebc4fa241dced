"""The scheduler: the schedule file's format, the due rule on a fake clock, submissions, unknown kinds."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from entas.core import jobqueue, scheduler
from entas.core.models import Job

MAKASSAR = ZoneInfo("Asia/Makassar")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=MAKASSAR)


def test_the_bundled_schedule_parses_and_names_the_kinds_of_the_installation() -> None:
    entries, warnings = scheduler.load()
    kinds = {e.kind for e in entries}
    assert {"portal.escalate", "core.recover_jobs", "core.clear_sessions", "core.purge_uploads"} <= kinds
    assert kinds <= set(jobqueue.kinds())
    assert all("not registered" in w for w in warnings)


def test_an_unknown_kind_is_skipped_with_a_warning_and_a_bad_entry_refused() -> None:
    text = '[[job]]\nkind = "a.b"\nevery = "10m"\n[[job]]\nkind = "indicators.refresh"\nevery = "1d"\nat = "02:00"\n'
    entries, warnings = scheduler.parse(text, {"a.b"})
    assert [e.kind for e in entries] == ["a.b"] and entries[0].every == dt.timedelta(minutes=10)
    assert warnings == ["job kind 'indicators.refresh' is not registered in this installation: skipped"]
    for bad, message in [
        ('[[job]]\nkind = "a.b"\nevery = "often"\n', "every"),
        ('[[job]]\nkind = "a.b"\nevery = "30s"\n', "at least 1 minute"),
        ('[[job]]\nkind = "a.b"\nevery = "1d"\nat = "25:00"\n', "HH:MM"),
        ('[[job]]\nevery = "1d"\n', "kind"),
        ('[[job]]\nkind = "a.b"\nevery = "1h"\ncron = "* * *"\n', "unknown keys cron"),
        ("[[job]\n", "not a TOML file"),
    ]:
        with pytest.raises(scheduler.ScheduleError, match=message):
            scheduler.parse(bad, {"a.b"})


def test_an_interval_entry_is_due_at_once_and_then_after_each_interval() -> None:
    entry = scheduler.Entry("a.b", dt.timedelta(minutes=15))
    assert entry.due(None, at(2, 9))
    assert not entry.due(at(2, 9), at(2, 9, 14))
    assert entry.due(at(2, 9), at(2, 9, 15))


def test_a_daily_entry_runs_once_a_day_at_its_time(settings: object) -> None:
    entry = scheduler.Entry("a.b", dt.timedelta(days=1), dt.time(2, 0))
    assert not entry.due(None, at(2, 1, 59))  # not before its time
    assert entry.due(None, at(2, 2, 0))
    assert entry.due(
        at(1, 2, 0),
        at(
            2,
            2,
            0,
        ),
    )
    assert not entry.due(at(2, 2, 0), at(2, 23, 0))  # once that day
    assert entry.due(at(2, 2, 0), at(3, 2, 1))
    assert entry.due(at(1, 17, 0), at(2, 9, 0))  # late after a stop: runs when the scheduler is back


@pytest.mark.django_db
def test_the_scheduler_submits_what_is_due_on_a_fake_clock_and_never_twice_while_one_runs() -> None:
    now = [at(2, 9)]
    entries = [
        scheduler.Entry("core.clear_sessions", dt.timedelta(minutes=10)),
        scheduler.Entry("core.recover_jobs", dt.timedelta(days=1), dt.time(10, 0)),
    ]
    runner = scheduler.Scheduler(entries, clock=lambda: now[0])
    first = runner.tick()
    assert [j.kind for j in first] == ["core.clear_sessions"]
    now[0] = at(2, 9, 5)
    assert runner.tick() == []
    now[0] = at(2, 9, 10)
    assert runner.tick() == []  # the 9:00 job still queued: its lock refuses a second one
    assert jobqueue.execute(first[0].pk).status == Job.Status.SUCCEEDED
    assert [j.kind for j in runner.tick()] == ["core.clear_sessions"]
    now[0] = at(2, 10, 0)
    assert [j.kind for j in runner.tick()] == ["core.recover_jobs"]
    # A restarted scheduler remembers from the jobs table what it submitted.
    again = scheduler.Scheduler(entries, clock=lambda: now[0])
    assert again.last.keys() == {"core.clear_sessions", "core.recover_jobs"}


@pytest.mark.django_db
def test_the_scheduler_command_checks_the_file_and_submits_once(tmp_path: Path) -> None:
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(
        '[[job]]\nkind = "core.purge_uploads"\nevery = "1h"\n[[job]]\nkind = "nope.nothing"\nevery = "1h"\n'
    )
    out, err = StringIO(), StringIO()
    call_command("scheduler", "--file", str(schedule), "--check", stdout=out, stderr=err)
    assert "core.purge_uploads: every 3600 s" in out.getvalue() and "nope.nothing" in err.getvalue()
    out = StringIO()
    call_command("scheduler", "--file", str(schedule), "--once", "--json", stdout=out)
    job = Job.objects.get(kind="core.purge_uploads")
    assert f'"job": {job.pk}' in out.getvalue() and job.created_by is None
    assert jobqueue.execute(job.pk).status == Job.Status.SUCCEEDED
    schedule.write_text('[[job]]\nkind = "core.purge_uploads"\n')
    with pytest.raises(CommandError, match="every"):
        call_command("scheduler", "--file", str(schedule), "--check", stdout=StringIO())
