"""What happens to the files users hand in: stored whole or not at all, and deleted after the
retention period (ENTAS_UPLOAD_RETENTION_DAYS), also a job's temporary files."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import AuditEvent, Job
from entas.registry import jobs as registry_jobs
from tests.helpers import english_client
from tests.registry.helpers import standard_family, write_csv

pytestmark = pytest.mark.django_db
MANGGAR = "64.71.01.1001"
DAY = 24 * 3600


@contextlib.contextmanager
def disk_full_after(size: int) -> Iterator[None]:
    """Files this process writes cannot grow past ``size`` bytes (as on a full disk, a write fails)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def files_under(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def age(path: Path, seconds: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b"kk_number,nik\n")
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_an_upload_cut_short_by_a_full_disk_leaves_no_partial_copy(
    regions: Any, client_for: Callable[[User], Any], operator_manggar: User, media_root: Path, tmp_path: Path
) -> None:
    rows = standard_family(MANGGAR, "6471010101200001") * 400  # about 300 KB
    content = write_csv(tmp_path / "f.csv", rows).read_bytes()
    client = english_client(client_for, operator_manggar)
    with disk_full_after(64 * 1024):
        page = client.post(
            reverse("registry:import"), {"file": SimpleUploadedFile("keluarga.csv", content), "source": "operator"}
        )
    assert page.status_code == 200
    assert "The server could not store keluarga.csv (the disk is full); nothing was imported" in page.content.decode()
    assert files_under(media_root) == []
    assert not Job.objects.exists()


def test_the_command_leaves_no_partial_copy_on_a_full_disk(regions: Any, media_root: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", standard_family(MANGGAR, "6471010101200001") * 400)
    with disk_full_after(64 * 1024), pytest.raises(CommandError, match="the disk is full"):
        call_command("import_registry", str(path), stdout=StringIO())
    assert files_under(media_root) == []


def test_a_failed_import_leaves_no_rejection_file_behind(
    regions: Any, operator_manggar: User, media_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = standard_family(MANGGAR, "6471010101200001")
    rows[0]["nik"] = "1"  # a rejected family: a rejection file is written
    (media_root / "imports").mkdir(parents=True)
    path = write_csv(media_root / "imports" / "f.csv", rows)

    def disk_full(self: Any, name: str, content: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jobqueue.JobContext, "save_result_file", disk_full)
    job = jobqueue.submit(
        kind="registry.import", params={"file": "imports/f.csv", "name": path.name}, actor=operator_manggar, queue=False
    )
    assert jobqueue.execute(job.pk).status == "failed"
    assert files_under(media_root / "tmp") == []  # the rejected rows (personal data) are not left in tmp


def test_uploads_are_deleted_after_the_retention_period(
    operator_manggar: User, media_root: Path, settings: Any
) -> None:
    settings.ENTAS_UPLOAD_RETENTION_DAYS = 7
    imports = media_root / "imports"
    old = age(imports / "old.csv", 8 * DAY)
    recent = age(imports / "recent.csv", 6 * DAY)
    waiting = age(imports / "waiting.csv", 30 * DAY)  # its job has not run yet: kept
    partial = age(imports / "cut.csv.partial", 2 * 3600)  # left by a full disk
    jobqueue.submit(kind="registry.import", params={"file": "imports/waiting.csv"}, actor=operator_manggar, queue=False)
    ended = jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar, queue=False)
    Job.objects.filter(pk=ended.pk).update(status=Job.Status.FAILED)
    running = jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar, queue=False)
    Job.objects.filter(pk=running.pk).update(status=Job.Status.RUNNING)
    left = age(media_root / "tmp" / f"rejected-{ended.pk}.csv", 3600)
    busy = age(media_root / "tmp" / f"rejected-{running.pk}.csv", 3600)
    just_written = age(media_root / "tmp" / f"export-{ended.pk + 100}.csv", 60)  # a job newer than the purge
    out = StringIO()
    call_command("purge_uploads", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"uploads": 1, "temporary": 2, "bytes": 3 * len(b"kk_number,nik\n")}
    assert not old.exists() and not partial.exists() and not left.exists()
    assert recent.exists() and waiting.exists() and busy.exists() and just_written.exists()
    event = AuditEvent.objects.get(action="uploads.purge")
    assert event.after == {"uploads": 1, "temporary": 2, "bytes": 42}


def test_the_worker_purges_expired_uploads_in_its_housekeeping(media_root: Path, settings: Any) -> None:
    from entas.core.worker import ResilientWorker

    settings.ENTAS_UPLOAD_RETENTION_DAYS = 1
    old = age(media_root / "imports" / "old.csv", 2 * DAY)
    ResilientWorker._purge(None)  # type: ignore[arg-type]  (the housekeeping step of the worker's loop)
    assert not old.exists()


def test_housekeeping_that_fails_is_logged_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    from entas.core import worker

    def broken() -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(worker, "purge_uploads", broken)
    worker.ResilientWorker._purge(None)  # type: ignore[arg-type]  (the worker's loop goes on)


def test_re_running_an_import_whose_upload_was_purged_says_so(operator_manggar: User) -> None:
    job = jobqueue.submit(
        kind="registry.import",
        params={"file": "imports/gone.csv", "name": "keluarga.csv"},
        actor=operator_manggar,
        queue=False,
    )
    job = jobqueue.execute(job.pk)
    assert job.status == "failed"
    assert job.error == (
        "The uploaded file keluarga.csv is no longer kept (uploads are deleted after 7 days, "
        "ENTAS_UPLOAD_RETENTION_DAYS): upload it again."
    )


def test_a_stored_upload_keeps_only_a_safe_form_of_its_name(media_root: Path) -> None:
    from entas.core.uploads import store_upload

    stored = store_upload(SimpleUploadedFile("../../etc/Data Keluarga (1).csv", b"x"), owner="7")
    assert stored.startswith(f"{registry_jobs.IMPORT_DIR}/") and stored.endswith("-7-" + stored.split("-7-")[1])
    assert stored.endswith("-Data_Keluarga_1_.csv") and ".." not in stored
    assert (media_root / stored).read_bytes() == b"x"
