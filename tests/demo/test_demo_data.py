"""The demo's official series of the nation (docs/examples/indicators-national.yaml) repeat the
definitions of the example indicator file: loading them after it must change no definition."""

from __future__ import annotations

import csv
import io

import yaml

from entas.monitoring import demo


def _specs(path) -> dict[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {s["code"]: {k: v for k, v in s.items() if k != "values"} for s in data["indicators"]}


def test_the_national_file_repeats_the_example_definitions_and_enters_only_the_nation() -> None:
    example, national = _specs(demo.EXAMPLE), _specs(demo.NATIONAL)
    assert set(national) == {"p0-bps", "tpt-bps"}
    for code, spec in national.items():
        assert spec == example[code], code
    data = yaml.safe_load(demo.NATIONAL.read_text(encoding="utf-8"))
    values = [v for s in data["indicators"] for v in s["values"]]
    assert {v["area"] for v in values} == {"00"}
    # every value says where it comes from; one not read in a source is entered unconfirmed
    assert all(v["source"].strip() for v in values)
    assert all(v.get("confirmed", True) is False for v in values if "demo value" in v["source"])
    rows = list(csv.DictReader(io.StringIO(demo.NATIONAL_REGION.read_text(encoding="utf-8"))))
    assert rows == [{"code": "00", "name": "Indonesia"}]
