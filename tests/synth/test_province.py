"""A synthetic province (entas.synth.province): every kabupaten/kota in proportion to its population,
unique NIKs across the province, a region tree the regions app loads, and records that import."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from entas.synth import load_city
from entas.synth.province import _unique_niks, allocate, load_province


def test_every_kabupaten_gets_households_in_proportion_to_its_population() -> None:
    province = load_province("64")
    assert len(province["kabupaten"]) == 10
    shares = allocate(province, 5_000_000)
    total = sum(shares.values())
    assert abs(total * 3.05 - 5_000_000) < 100
    population = {k["code"]: k["population"] for k in province["kabupaten"]}
    everyone = sum(population.values())
    for code, households in shares.items():
        assert abs(households / total - population[code] / everyone) < 1e-4, code


def test_a_kabupaten_without_a_file_gets_synthetic_kecamatan_and_desa() -> None:
    city = load_city("64.03")  # Kutai Kartanegara: 20 kecamatan, desa and kelurahan
    assert city["city"]["name"] == "Kutai Kartanegara" and city["city"]["synthetic_regions"]
    assert len(city["kecamatan"]) == 20
    codes = [kel["code"] for kec in city["kecamatan"] for kel in kec["kelurahan"]]
    assert len(codes) == len(set(codes)) == 237 + 44
    assert sum(c.split(".")[-1].startswith("1") for c in codes) == 44  # kelurahan; the rest desa (2xxx)
    assert load_city("64.71")["kecamatan"][0]["name"] == "Balikpapan Timur"  # the official one stays
    with pytest.raises(ValueError, match="no calibration file"):
        load_city("64.99")


def test_niks_shared_by_two_kabupaten_get_serials_after_the_first() -> None:
    used: dict[int, int] = {}
    first = _unique_niks(np.array(["6472010101900001", "6472010101900002", "6471010101900001"], dtype=object), used)
    second = _unique_niks(np.array(["6472010101900001", "3501010101900001"], dtype=object), used)
    assert list(first) == ["6472010101900001", "6472010101900002", "6471010101900001"]
    assert list(second) == ["6472010101900003", "3501010101900001"]


@pytest.mark.django_db
def test_the_province_loads_its_regions_and_imports_with_unique_niks(tmp_path: Path) -> None:
    from entas.regions.models import Region
    from entas.registry.models import Household, Member

    out = StringIO()
    call_command(
        "synth", "--province", "64", "--members", "6000", "--out", str(tmp_path), "--load", "--json", stdout=out
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest["kabupaten"]) == {k["code"] for k in load_province("64")["kabupaten"]}
    with (tmp_path / "registry.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    niks = [r["nik"] for r in rows]
    assert len(niks) == len(set(niks)) == manifest["members"]
    assert Member.objects.count() == manifest["members"] and Household.objects.count() == manifest["households"]
    assert Region.objects.filter(level=2, code__startswith="64.").count() == 10
    assert Region.objects.get(code="64.71.01.1001").name == "Manggar"  # Balikpapan's official tree
    samarinda = Household.objects.filter(kelurahan__code__startswith="64.72.").count()
    assert 0.15 < samarinda / Household.objects.count() < 0.28  # about 853,000 of 3.96 million
