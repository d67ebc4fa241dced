from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from entas.core.errors import Refused
from entas.core.models import AuditEvent
from entas.regions.codes import is_valid_code, kecamatan_code_from_digits, normalise_name
from entas.regions.models import Region, RegionLevel
from entas.regions.services import (
    DATA_DIR,
    DEFAULT_REGIONS_FILE,
    KNOWN_COLUMNS,
    load_boundaries,
    load_regions,
)

pytestmark = pytest.mark.django_db

KELURAHAN_GEOJSON = DATA_DIR / "balikpapan-kelurahan.geojson"
KECAMATAN_GEOJSON = DATA_DIR / "balikpapan-kecamatan.geojson"

HEADER = ",".join(KNOWN_COLUMNS) + "\n"


def test_it_loads_balikpapan_with_6_kecamatan_and_34_kelurahan() -> None:
    report = load_regions(text=DEFAULT_REGIONS_FILE.read_text(), actor=None)
    assert report.created == 42
    assert Region.objects.filter(level=RegionLevel.KECAMATAN).count() == 6
    assert Region.objects.filter(level=RegionLevel.KELURAHAN).count() == 34
    assert Region.objects.get(code="64.71").kind == "kota"
    lamaru = Region.objects.get(code="64.71.01.1002")
    assert (lamaru.name, lamaru.bps_code, lamaru.postal_code) == ("Lamaru", "6471020003", "76117")
    assert lamaru.parent.code == "64.71.01"
    assert lamaru.kind == "kelurahan"
    assert "Lemaru" in lamaru.aliases


def test_balikpapan_selatan_keeps_its_non_contiguous_codes(regions: dict[str, Region]) -> None:
    selatan = Region.objects.filter(parent__code="64.71.05").values_list("code", flat=True)
    assert sorted(c[-4:] for c in selatan) == ["1002", "1006", "1008", "1009", "1010", "1011", "1012"]


def test_kecamatan_areas_from_the_press_are_flagged_unconfirmed(regions: dict[str, Region]) -> None:
    assert regions["64.71.01"].area_km2 == pytest.approx(119.16)
    assert regions["64.71.01"].area_confirmed is False
    assert regions["64.71"].area_confirmed is True


def test_reloading_the_same_file_changes_nothing(regions: dict[str, Region]) -> None:
    report = load_regions(text=DEFAULT_REGIONS_FILE.read_text(), actor=None)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 42)


def test_a_changed_row_is_updated_in_place(regions: dict[str, Region]) -> None:
    text = HEADER + "64.71.01.1001,Manggar Lama,6471020001,76116,,,,,,,\n"
    report = load_regions(text=text, actor=None)
    assert report.updated == 1
    assert Region.objects.get(code="64.71.01.1001").name == "Manggar Lama"


def test_it_reports_every_bad_row_and_loads_nothing(db: None) -> None:
    text = HEADER + (
        "64,Kalimantan Timur,64,,,,,,,,\n"
        "64.71,Balikpapan,6471,,,,,,,,\n"
        "64.71.01,Balikpapan Timur,6471020,,,,,,,,\n"
        "64.71.01,Balikpapan Timur lagi,6471020,,,,,,,,\n"  # duplicate
        "64.71.1,Salah,,,,,,,,,\n"  # not a code
        "64.71.09.1001,Yatim,,,,,,,,,\n"  # parent 64.71.09 unknown
        "64.71.01.1001,Manggar,,7611,95,,,,,,\n"  # bad postal code, bad latitude
    )
    with pytest.raises(Refused) as caught:
        load_regions(text=text, actor=None)
    errors = "\n".join(caught.value.problems)
    assert "duplicate of line 4" in errors
    assert "'64.71.1' is not a Kemendagri code" in errors
    assert "parent region 64.71.09" in errors
    assert "postal code '7611'" in errors
    assert "centroid_lat 95" in errors
    assert Region.objects.count() == 0


def test_a_file_without_the_code_column_is_rejected(db: None) -> None:
    with pytest.raises(Refused, match="lacks the column"):
        load_regions(text="kode,nama\n64,Kaltim\n", actor=None)


def test_it_loads_another_city_from_a_csv_of_the_same_columns(db: None) -> None:
    text = HEADER + (
        "64,Kalimantan Timur,64,,,,,,,,\n"
        "64.72,Samarinda,6472,,-0.5,117.15,,,,,\n"
        "64.72.01,Palaran,6472010,,,,,,,2010-01-01,\n"
        "64.72.01.1001,Rawa Makmur,6472010001,75251,,,,,,,\n"
    )
    load_regions(text=text, actor=None)
    assert Region.objects.get(code="64.72.01.1001").parent.parent.name == "Samarinda"
    assert str(Region.objects.get(code="64.72.01").valid_from) == "2010-01-01"


def test_loading_is_audited(regions: dict[str, Region]) -> None:
    assert AuditEvent.objects.filter(action="regions.load").exists()


def test_boundaries_attach_to_all_kelurahan_and_kecamatan(regions: dict[str, Region]) -> None:
    load_boundaries(text=KELURAHAN_GEOJSON.read_text(), actor=None)
    load_boundaries(text=KECAMATAN_GEOJSON.read_text(), actor=None)
    assert Region.objects.filter(boundary__isnull=False).count() == 40
    assert Region.objects.get(code="64.71.02.1004").boundary["type"] == "MultiPolygon"


def _collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def _square(code: str, close: bool = True) -> dict:
    ring = [[116.8, -1.2], [116.9, -1.2], [116.9, -1.3], [116.8, -1.3]]
    if close:
        ring.append(ring[0])
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_unknown_codes_duplicates_and_broken_geometry_attach_nothing(regions: dict[str, Region]) -> None:
    text = _collection(
        _square("64.71.01.1001"),
        _square("64.71.01.1001"),
        _square("64.71.99.1001"),
        _square("64.71.01.1002", close=False),
        {
            "type": "Feature",
            "properties": {"code": "64.71.01.1003"},
            "geometry": {"type": "Point", "coordinates": [1, 2]},
        },
    )
    with pytest.raises(Refused) as caught:
        load_boundaries(text=text, actor=None)
    errors = "\n".join(caught.value.problems)
    assert "appears twice" in errors
    assert "64.71.99.1001 is not a loaded region" in errors
    assert "not closed" in errors
    assert "Point is not Polygon" in errors
    assert not Region.objects.filter(boundary__isnull=False).exists()


def test_a_file_that_is_not_json_is_reported(regions: dict[str, Region]) -> None:
    with pytest.raises(Refused, match="not valid JSON"):
        load_boundaries(text="{nope", actor=None)


def test_load_regions_command_reports_errors_and_fails(tmp_path: Path, db: None) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "64.71.01,Timur,,,,,,,,,\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_regions", str(bad), stderr=err)
    assert "parent region 64.71" in err.getvalue()


def test_commands_load_the_regions_and_the_shared_boundaries(db: None) -> None:
    out = StringIO()
    call_command("load_regions", stdout=out)
    call_command("load_boundaries", str(KELURAHAN_GEOJSON), stdout=out)
    assert "42 regions" in out.getvalue()
    assert "34 boundaries attached" in out.getvalue()


def test_code_helpers() -> None:
    assert is_valid_code("64.71.01.1001") and is_valid_code("64") and not is_valid_code("64.71.01.3001")
    assert kecamatan_code_from_digits("647101") == "64.71.01"
    assert normalise_name("Sungai Nangka") == normalise_name("Sungainangka")
    assert normalise_name("Gunung-Samarinda") == normalise_name("gunungsamarinda")


def test_errors_are_written_in_indonesian_by_default(db: None) -> None:
    from django.utils import translation

    with translation.override("id"), pytest.raises(Refused) as caught:
        load_regions(text=HEADER + "64.71.1,Salah,,,,,,,,,\n", actor=None)
    assert caught.value.problems == ["Baris 2: '64.71.1' bukan kode Kemendagri (contoh 64.71.01.1001)."]


def test_the_packaged_boundaries_match_the_shared_data() -> None:
    from tests.conftest import SHARED

    shared = SHARED / "data"
    if not shared.is_dir():
        pytest.skip(f"shared data not found at {shared} (expected ../shared/data relative to the project root)")
    for name in ("balikpapan-kelurahan.geojson", "balikpapan-kecamatan.geojson"):
        assert (DATA_DIR / name).read_bytes() == (shared / name).read_bytes()
