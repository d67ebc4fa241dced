"""Downloads leave no personal data behind (issue #15, item 11, download side): the import template
and the ratified list are built in memory, and the staging copy of an export job is removed also
when the job fails."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.core import jobqueue
from entas.registry import exporter
from entas.registry.models import Household
from tests.conftest import MANGGAR, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder (tempfile.gettempdir()), watched: an empty folder of the test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    assert tempfile.gettempdir() == str(folder)
    return folder


def test_downloading_the_template_and_the_ratified_list_leaves_no_file(
    regions: Any, temporary_folder: Path, dinsos_manager: User, client_for: Callable[[User], Client]
) -> None:
    household = make_household(regions[MANGGAR], "6471010101200001")
    Household.objects.filter(pk=household.pk).update(verification_status="disahkan", ratified_at=timezone.now())
    client = client_for(dinsos_manager)
    urls = [
        reverse("registry:import_template"),
        reverse("registry:ratified_list", args=[MANGGAR, "xlsx"]),
        reverse("registry:ratified_list", args=[MANGGAR, "pdf"]),
    ]
    for _ in range(5):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            assert body[:2] in {b"PK", b"%P"}
    assert list(temporary_folder.iterdir()) == []


def test_a_failed_export_job_leaves_no_partial_copy(
    regions: Any, dinsos_manager: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_household(regions[MANGGAR], "6471010101200001")

    def fail_halfway(user: User, out: Path, fmt: str, **kwargs: Any) -> int:
        out.write_text("kk_number,nik\n6471010101200001,6471010101809010\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("entas.registry.jobs.export_registry", fail_halfway)
    job = jobqueue.execute(jobqueue.submit(kind="registry.export", params={"format": "csv"}, actor=dinsos_manager).pk)
    assert job.status == "failed"
    staging = Path(settings.MEDIA_ROOT) / "tmp"
    assert list(staging.iterdir()) == []


def test_a_failed_parquet_export_leaves_no_staging_file(
    regions: Any, dinsos_manager: User, tmp_path: Path, temporary_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parquet is written from a staging CSV of the registry: gone when reading the registry fails halfway
    (and never in the system's temporary folder)."""
    make_household(regions[MANGGAR], "6471010101200001")
    real = exporter.iter_rows

    def fail_halfway(user: User, **kwargs: Any) -> Any:
        yield next(real(user, **kwargs))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exporter, "iter_rows", fail_halfway)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError, match="space"):
        exporter.export_registry(dinsos_manager, out / "registri.parquet", "parquet")
    assert list(out.iterdir()) == [] and list(temporary_folder.iterdir()) == []
