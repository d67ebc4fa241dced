from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.registry.importer import import_registry
from entas.registry.models import Household
from entas.registry.selectors import SearchFilters, search_households
from tests.registry.helpers import family, standard_family, write_csv

pytestmark = pytest.mark.django_db
MANGGAR, DAMAI = "64.71.01.1001", "64.71.06.1005"


@pytest.fixture
def registry(regions: Any, tmp_path: Path) -> None:
    import datetime as dt

    rows = standard_family(
        MANGGAR, "6471010101200001", floor_area_m2=36, water_source=3, prog_pkh="2025-03", desil_city=2
    )
    rows += family(
        MANGGAR,
        "6471010101200002",
        [("Hj. Siti Aminah, S.Pd.", "2", dt.date(1970, 4, 4), "1")],
        serial=2000,
        desil_city=7,
    )
    rows += standard_family(DAMAI, "6471060101200003", serial=3000, address="Jl. Kenanga")
    import_registry(write_csv(tmp_path / "seed.csv", rows), actor=None, rejection_path=tmp_path / "r.csv")


def test_a_name_with_one_wrong_letter_is_found(registry: None, dinsos_manager: User) -> None:
    for query in ("siti aminah", "Siti Amimah", "Sito Aminah", "siti amina", "siti am"):
        found = search_households(dinsos_manager, query)
        assert [h.kk_number for h in found] == ["6471010101200002"], query


def test_a_typo_finds_a_name_among_many_that_share_its_surname(
    regions: Any, tmp_path: Path, dinsos_manager: User
) -> None:
    """Candidates sharing the intact half of the name ('... lubis') are all compared, however many
    there are: an earlier cap on candidates lost 'Wawan Lubis' behind 27 'Adi Lubis'."""
    import datetime as dt

    from entas.registry.models import Member
    from entas.registry.selectors import matching_household_ids

    rows = []
    for f in range(3):
        people = [("Adi Lubis", "1", dt.date(1960 + f, 1, 1), "1")]
        people += [("Adi Lubis", "1", dt.date(1990 + k, 1, 1), "3") for k in range(8)]
        rows += family(MANGGAR, f"647101010120010{f}", people, serial=1000 + 100 * f)
    rows += family(DAMAI, "6471060101200200", [("Wawan Lubis", "1", dt.date(1980, 2, 2), "1")], serial=2000)
    import_registry(write_csv(tmp_path / "seed.csv", rows), actor=None, rejection_path=tmp_path / "r.csv")
    wawan = Household.objects.get(kk_number="6471060101200200").pk
    assert matching_household_ids("Waaan Lubis", Member.objects.all(), limit=2) == [wawan]
    assert [h.kk_number for h in search_households(dinsos_manager, "Waaan Lubis")] == ["6471060101200200"]
    assert search_households(dinsos_manager, "Adi Lubis").count() == 3


def test_search_by_nik_kk_and_address(registry: None, dinsos_manager: User) -> None:
    nik = Household.objects.get(kk_number="6471060101200003").members.first().nik  # type: ignore[union-attr]
    assert [h.kk_number for h in search_households(dinsos_manager, nik)] == ["6471060101200003"]
    assert [h.kk_number for h in search_households(dinsos_manager, "647101010120000")] == [
        "6471010101200001",
        "6471010101200002",
    ]
    assert [h.kk_number for h in search_households(dinsos_manager, "kenanga")] == ["6471060101200003"]


def test_filters_by_kelurahan_desil_and_status(registry: None, dinsos_manager: User) -> None:
    assert search_households(dinsos_manager, SearchFilters(kelurahan=DAMAI)).count() == 1
    assert [h.kk_number for h in search_households(dinsos_manager, SearchFilters(max_desil=4))] == ["6471010101200001"]
    assert search_households(dinsos_manager, SearchFilters(status="disahkan")).count() == 0


def test_search_never_leaves_the_users_areas(registry: None, operator_manggar: User) -> None:
    assert search_households(operator_manggar, "kenanga").count() == 0


def test_the_household_page_shows_housing_programmes_and_history(
    registry: None, client_for: Callable[[User], Client], operator_manggar: User, tmp_path: Path
) -> None:
    household = Household.objects.get(kk_number="6471010101200001")
    rows = standard_family(
        MANGGAR, "6471010101200001", floor_area_m2=40, water_source=3, prog_pkh="2025-03", desil_city=2
    )
    import_registry(write_csv(tmp_path / "update.csv", rows), actor=operator_manggar, rejection_path=tmp_path / "r.csv")
    client = client_for(operator_manggar)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert "Piped water (PDAM)" in page and "40" in page
    assert "PKH" in page and "March 2025" in page
    assert "Floor area (m²): 36 → 40" in page  # labels, not field names (issue #16)


def test_only_roles_that_need_it_may_reveal_a_nik(
    registry: None, client_for: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    officer = make_user("pelatihan", Role.TRAINING_OFFICER, ["64.71"])
    household = Household.objects.get(kk_number="6471010101200001")
    member = household.members.first()
    client = client_for(officer)
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert reverse("registry:reveal_nik", args=[household.pk, member.pk]) not in page  # type: ignore[union-attr]
    assert client.post(reverse("registry:reveal_nik", args=[household.pk, member.pk])).status_code == 403  # type: ignore[union-attr]


def test_the_upload_page_starts_an_import_job(
    regions: Any, client_for: Callable[[User], Client], operator_manggar: User, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "f.csv", standard_family(MANGGAR, "6471010101200001"))
    client = client_for(operator_manggar)
    response = client.post(
        reverse("registry:import"),
        {
            "file": SimpleUploadedFile("keluarga.csv", path.read_bytes(), content_type="text/csv"),
            "source": "usulan",
        },
    )
    job = Job.objects.get(kind="registry.import")
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    job = jobqueue.execute(job.pk)
    assert job.status == "succeeded", job.error
    assert job.result["inserted"] == 3  # type: ignore[index]
    assert Household.objects.get().registration_source == "usulan"


def test_the_upload_page_refuses_other_file_types(
    regions: Any, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    response = client_for(operator_manggar).post(
        reverse("registry:import"),
        {
            "file": SimpleUploadedFile("keluarga.pdf", b"%PDF", content_type="application/pdf"),
            "source": "operator",
        },
    )
    assert response.status_code == 200
    assert "is not a CSV or XLSX file" in response.content.decode() or "bukan berkas CSV" in response.content.decode()
    assert not Job.objects.exists()


def test_a_read_only_role_cannot_import(client_for: Callable[[User], Client], auditor: User) -> None:
    assert client_for(auditor).get(reverse("registry:import")).status_code == 403


def test_the_template_downloads_as_xlsx(
    regions: Any, client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    response = client_for(operator_manggar).get(reverse("registry:import_template"))
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body[:2] == b"PK"


def test_a_rejection_file_is_the_result_of_an_import_job(
    regions: Any, operator_manggar: User, tmp_path: Path, settings: Any
) -> None:
    rows = standard_family(MANGGAR, "6471010101200001")
    rows[0]["nik"] = "1"
    path = (
        write_csv(Path(settings.MEDIA_ROOT) / "imports" / "bad.csv", rows)
        if (Path(settings.MEDIA_ROOT) / "imports").mkdir(parents=True, exist_ok=True) is None
        else None
    )
    assert path is not None
    job = jobqueue.submit(
        kind="registry.import",
        params={"file": "imports/bad.csv", "name": "bad.csv"},
        actor=operator_manggar,
        queue=False,
    )
    job = jobqueue.execute(job.pk)
    assert job.result["rejected"] == 3 and job.result_file  # type: ignore[index]
    assert "must be exactly 16 digits" in job.result_file.read().decode("utf-8-sig")
