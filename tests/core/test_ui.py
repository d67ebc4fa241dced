"""The shell every page shares: language, formats, navigation, vendored assets, the map."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from entas.accounts.models import User
from entas.core.charts import region_map
from entas.core.money import format_rupiah
from entas.regions.models import Region
from entas.regions.services import DATA_DIR, load_boundaries
from entas.registry.models import Household

PACKAGE = Path(settings.PACKAGE_DIR)


def test_rupiah_is_written_the_indonesian_way() -> None:
    with translation.override("id"):
        assert format_rupiah(1500000) == "Rp1.500.000"
        assert format_rupiah(-300000) == "-Rp300.000"
    with translation.override("en"):
        assert format_rupiah(1500000) == "Rp1,500,000"
    with pytest.raises(ValueError):
        format_rupiah(1.5)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_interface_speaks_indonesian_by_default_and_english_on_request(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    page = client.get(reverse("home")).content.decode()
    assert 'lang="id"' in page and "Keluarga" in page and "Ringkasan" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in english and "Households" in english


@pytest.mark.django_db
def test_navigation_shows_only_what_the_role_may_use(
    client_for: Callable[[User], Client], tkpk_analyst: User, auditor: User
) -> None:
    tkpk_page = client_for(tkpk_analyst).get(reverse("home")).content.decode()
    assert reverse("registry:household_list") not in tkpk_page
    assert reverse("audit:list") not in tkpk_page
    auditor_page = client_for(auditor).get(reverse("home")).content.decode()
    assert reverse("audit:list") in auditor_page


def test_no_template_loads_anything_from_the_network() -> None:
    offenders = []
    for template in PACKAGE.rglob("*.html"):
        if re.search(r"""(src|href)=["']https?://""", template.read_text()):
            offenders.append(str(template))
    assert offenders == []


def test_htmx_and_vega_are_vendored() -> None:
    vendor = PACKAGE / "static" / "vendor"
    for name in (
        "htmx-2.0.11.min.js",
        "vega-6.4.0.min.js",
        "vega-lite-6.4.3.min.js",
        "vega-embed-7.3.0.min.js",
    ):
        assert (vendor / name).stat().st_size > 10_000
        assert "sourceMappingURL" not in (vendor / name).read_text(errors="ignore")


@pytest.mark.django_db
def test_the_home_map_uses_circles_until_boundaries_are_loaded(
    client_for: Callable[[User], Client], operator_manggar: User, manggar_household: Household
) -> None:
    client = client_for(operator_manggar)
    spec = client.get(reverse("home")).context["map_spec"]
    assert spec["mark"]["type"] == "circle"
    assert spec["data"]["values"][0]["households"] == 1
    load_boundaries(text=(DATA_DIR / "balikpapan-kelurahan.geojson").read_text(), actor=None)
    spec = client.get(reverse("home")).context["map_spec"]
    assert spec["mark"]["type"] == "geoshape"
    assert spec["data"]["values"]["features"][0]["properties"]["name"] == "Manggar"


def test_a_map_needs_coordinates() -> None:
    assert region_map([], value="households", value_title="x", name_title="y") is None


@pytest.mark.django_db
def test_a_user_without_areas_gets_a_helpful_empty_state(client_for: Callable[[User], Client], partner: User) -> None:
    page = client_for(partner).get(reverse("home")).content.decode()
    assert "map-spec" not in page
    assert "entas load_regions" in page


@pytest.mark.django_db
def test_the_household_list_uses_a_constant_number_of_queries(
    client_for: Callable[[User], Client], dinsos_manager: User, regions: dict[str, Region]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_household

    client = client_for(dinsos_manager)
    counts = []
    for start in (0, 5):
        for i in range(start, start + 5 + 30 * (start > 0)):
            make_household(regions["64.71.01.1001"], f"64710101012{i:05d}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("registry:household_list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts


def test_rings_are_rewound_clockwise_for_d3() -> None:
    from entas.core.charts import _signed_area, rewind_for_d3

    ccw = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]  # RFC 7946 exterior ring
    hole_cw = [[0.2, 0.2], [0.2, 0.4], [0.4, 0.4], [0.4, 0.2], [0.2, 0.2]]
    rewound = rewind_for_d3({"type": "Polygon", "coordinates": [ccw, hole_cw]})
    assert _signed_area(rewound["coordinates"][0]) < 0  # exterior now clockwise
    assert _signed_area(rewound["coordinates"][1]) > 0  # hole now counter-clockwise
    multi = rewind_for_d3({"type": "MultiPolygon", "coordinates": [[ccw]]})
    assert _signed_area(multi["coordinates"][0][0]) < 0


@pytest.mark.django_db
def test_an_english_browser_still_gets_indonesian_until_english_is_chosen(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    client = client_for(operator_manggar)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="id"' in response.content.decode()
    assert response["Content-Language"] == "id"


def test_a_count_that_is_not_a_number_shows_a_dash_not_a_server_error() -> None:
    from entas.core.templatetags.entas_format import count

    assert count(float("nan")) == "–" and count(float("inf")) == "–"
    assert count(12345.0) in {"12.345", "12,345"}
