"""Open data: suppressed tables in every format, and the DCAT catalogue."""

from __future__ import annotations

import json
from datetime import date as dt_date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from entas.portal import opendata
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def households(regions: dict[str, Any]) -> None:
    for i in range(25):
        make_household(regions[MANGGAR], f"6471010101200{i:03d}", members=1)
    for i in range(3):
        make_household(regions[DAMAI], f"6471060101200{i:03d}", members=1)
    for i in range(15):
        make_household(regions["64.71.05.1002"], f"6471050101200{i:03d}", members=1)


def test_small_cells_are_hidden_in_every_format(households: None, regions: dict[str, Any]) -> None:
    client = Client()
    url = reverse("portal:open_data_download")
    data = json.loads(client.get(url, {"dataset": "registry-kelurahan", "format": "json"}).content)
    by_place = {row[0]: row for row in data["rows"]}
    manggar, damai = (by_place[f"{regions[c].code} {regions[c].name}"] for c in (MANGGAR, DAMAI))
    assert manggar[1] == 25  # proposed (usulan)
    assert damai[1] is None  # 3 households: hidden
    assert data["suppression"]["k"] == 10
    # The city total would give Damai away (43 - 25 - 15): another cell of the column is hidden too.
    assert sum(r[1] is None for r in data["rows"]) >= 2
    csv_text = client.get(url, {"dataset": "registry-kelurahan", "format": "csv"}).content.decode("utf-8-sig")
    assert ",3," not in csv_text and "25" in csv_text
    xlsx = client.get(url, {"dataset": "registry-kelurahan", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert client.get(url, {"dataset": "nope", "format": "csv"}).status_code == 404


def test_the_catalogue_describes_every_dataset(households: None) -> None:
    catalogue = Client().get(reverse("portal:open_data_catalogue")).json()
    assert catalogue["@type"] == "dcat:Catalog"
    datasets = catalogue["dcat:dataset"]
    assert len(datasets) == len(opendata.DATASETS)
    for dataset in datasets:
        assert dataset["dct:license"] and dataset["dct:modified"] and dataset["dct:description"]
        assert {d["dct:format"] for d in dataset["dcat:distribution"]} == {"CSV", "XLSX", "JSON"}
        for distribution in dataset["dcat:distribution"]:
            path = distribution["dcat:downloadURL"].split("testserver", 1)[1]
            assert Client().get(path).status_code == 200


def test_the_page_marks_hidden_numbers(households: None) -> None:
    page = Client().get(reverse("portal:open_data")).content.decode()
    assert 'id="registry-kelurahan"' in page and "*" in page


def test_poverty_indicators_come_with_their_confidence_intervals_and_source(
    regions: dict[str, Any], tmp_path: Any
) -> None:
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.synth import SynthConfig, build, write

    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    write(build(SynthConfig(households=3000, seed=2, survey_size=400)), tmp_path)
    import_survey(path=tmp_path / "survey.csv", name="Susenas sintetis", year=2025, actor=None)
    data = json.loads(
        Client().get(reverse("portal:open_data_download"), {"dataset": "poverty-kecamatan", "format": "json"}).content
    )
    assert len(data["columns"]) == 8 and "P0 (%)" in data["columns"]
    assert "Susenas sintetis" in data["note"]
    city = data["rows"][-1]
    sampled, p0, se, low, high = city[1:6]
    assert sampled > 100 and 0 < p0 < 100 and se > 0 and low <= p0 <= high
    for row in data["rows"]:
        if row[1] < 10:
            assert row[2:] == [None] * (len(row) - 2)


def test_open_data_is_cached_and_mapped_without_hidden_numbers(
    households: None, regions: dict[str, Any], settings: Any
) -> None:
    from django.core.cache import cache

    settings.ENTAS_OPEN_DATA_CACHE_SECONDS = 600
    cache.clear()
    square = {
        "type": "Polygon",
        "coordinates": [[[116.9, -1.2], [117.0, -1.2], [117.0, -1.1], [116.9, -1.1], [116.9, -1.2]]],
    }
    from entas.regions.models import Region, RegionLevel

    Region.objects.filter(level=RegionLevel.KELURAHAN).update(boundary=square)
    dataset = opendata.DATASETS["registry-kelurahan"]
    first = opendata.cached_table(dataset)
    make_household(regions[MANGGAR], "6471010101260099")
    assert opendata.cached_table(dataset) == first  # the same table until the cache expires
    spec = opendata.map_spec(dataset, first)
    assert spec is not None and spec["mark"]["type"] == "geoshape"
    mapped = {f["properties"]["code"]: f["properties"]["value"] for f in spec["data"]["values"]["features"]}
    published = {
        label.split(" ", 1)[0]: total for label, total in zip(first.rows, first.published.row_totals, strict=True)
    }
    assert mapped and all(published[code] == value and value is not None for code, value in mapped.items())
    assert all(code not in mapped for code, total in published.items() if total is None)  # hidden: left blank
    page = Client().get(reverse("portal:open_data")).content.decode()
    assert 'id="map-spec-registry-kelurahan"' in page
    assert opendata.map_spec(opendata.DATASETS["programmes"], first) is None
    cache.clear()


def test_training_and_business_groups_are_published_as_suppressed_counts(
    regions: dict[str, Any], monkeypatch: Any, make_user: Any, manggar_household: Any
) -> None:
    from entas.enterprise import services as enterprise
    from entas.training import selectors as training
    from entas.training.rules import Trainee

    def trainee(course: str, selected: bool, completed: bool, placed: bool | None) -> tuple[None, Trainee]:
        return None, Trainee(groups={"course": course}, selected=selected, completed=completed, placed=placed)

    fake = [trainee("Las", True, True, True)] * 12 + [trainee("Las", True, True, None)] * 3
    fake += [trainee("Las", True, False, None)] * 11 + [trainee("Las", False, False, None)] * 40
    fake += [trainee("Jahit", True, True, True)] * 4
    monkeypatch.setattr(training, "trainees_for_outcomes", lambda user, course=None: fake)
    table = opendata.DATASETS["training-courses"].build()
    assert table.rows == ["Jahit", "Las"]
    assert table.values == [[0, 0, 4], [11, 3, 12]]  # the 40 not selected are not trainees
    las = table.published.cells[1]
    assert las[1] is None and sum(v is None for v in las) >= 2  # 3 hidden, and another so it cannot be recomputed
    assert all(v is None or v >= opendata.k() or v == 0 for row in table.published.cells for v in row)

    from entas.accounts.roles import Role

    officer = make_user("umkm", Role.TRAINING_OFFICER, [MANGGAR])
    group = enterprise.save_group(
        actor=officer,
        name="KUBE Uji",
        type="kube",
        kbli="10792",
        kelurahan=regions[MANGGAR],
        founded=dt_date(2024, 3, 1),
    ).obj
    for member in manggar_household.members.all():
        enterprise.seat(actor=officer, group=group, member=member, role="member", joined_on=dt_date(2024, 3, 1))
    groups = opendata.DATASETS["enterprise-kelurahan"].build()
    row = groups.rows.index(next(r for r in groups.rows if r.startswith(MANGGAR)))
    assert groups.values[row] == [manggar_household.members.count(), 0]
    assert groups.published.cells[row][0] is None  # fewer than k people: hidden
    catalogue = Client().get(reverse("portal:open_data_catalogue")).json()
    identifiers = {d["dct:identifier"] for d in catalogue["dcat:dataset"]}
    assert {"balikpapan-entas-training-courses", "balikpapan-entas-enterprise-kelurahan"} <= identifiers
