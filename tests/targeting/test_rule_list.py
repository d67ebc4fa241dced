"""`entas rule list`: every saved rule as written and in words (entas.targeting.words), in the
command's language, as a table and as JSON."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from entas.targeting import services
from entas.targeting.models import EligibilityRule

pytestmark = pytest.mark.django_db


def listing(*args: str) -> str:
    out = StringIO()
    call_command("rule", "list", *args, stdout=out)
    return out.getvalue()


def test_the_list_shows_each_rule_in_words_in_its_table_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    services.save_rule(actor=None, name="BLT", expression="desil <= 4 and not has_car", benefit=300_000)
    services.save_rule(actor=None, name="Lansia", expression="any(members, age >= 60)", benefit=200_000)
    EligibilityRule.objects.create(name="BLT lama", expression="kecamtan == '1'", benefit=100_000)  # a direct write
    monkeypatch.setenv("ENTAS_LANGUAGE", "en")
    rows = {line.split("\t")[0]: line.split("\t") for line in listing().splitlines()}
    assert rows["BLT"][:3] == ["BLT", "desil <= 4 and not has_car", "desil ≤ 4 AND NOT owns a car"]
    assert rows["Lansia"][2] == "at least one member: age ≥ 60"
    assert rows["BLT lama"][2] == "kecamtan == '1'" and rows["BLT lama"][-1].startswith("CANNOT RUN: column")
    result = json.loads(listing("--json"))
    by_name = {r["name"]: r for r in result["rules"]}
    assert set(by_name["BLT"]) == {"name", "expression", "words", "benefit", "decisions", "problem"}
    assert by_name["BLT"]["words"] == "desil ≤ 4 AND NOT owns a car" and by_name["BLT"]["benefit"] == 300_000
    assert by_name["BLT"]["problem"] == "" and by_name["BLT lama"]["problem"].startswith("column")
    monkeypatch.setenv("ENTAS_LANGUAGE", "id")
    in_indonesian = {r["name"]: r["words"] for r in json.loads(listing("--json"))["rules"]}
    assert in_indonesian["BLT"] == "desil ≤ 4 DAN BUKAN memiliki mobil"
    assert "desil ≤ 4 DAN BUKAN memiliki mobil" in listing()


def test_no_saved_rule_lists_nothing() -> None:
    assert listing() == ""
    assert json.loads(listing("--json")) == {"rules": []}
