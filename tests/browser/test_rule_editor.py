"""The rule editor in a browser: type a rule, see where it is wrong, fix it, see the preview follow,
save it as a new version. (Fitting and scoring a PMT from its page are tested with the client:
tests/targeting/test_pmt_pages.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from entas.accounts.models import User
from entas.targeting import services
from entas.targeting.models import RuleVersion
from tests.browser.test_shell import login
from tests.conftest import DAMAI, MANGGAR, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_type_a_rule_see_the_error_fix_it_see_the_preview_and_save_a_version(
    page: Any, live_server: Any, regions: Any, dinsos_manager: User
) -> None:
    make_household(regions[MANGGAR], "6471010101200001", members=5)
    make_household(regions[DAMAI], "6471060101200002", members=2)
    rule = services.save_rule(actor=dinsos_manager, name="BLT uji", expression="size >= 1", benefit=300_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "dinsos1")
    page.goto(f"{live_server.url}/targeting/rules/{rule.pk}/")
    page.wait_for_selector("#preview-figures:not([hidden])", timeout=15_000)
    assert page.inner_text("#pv-households") == "2"

    box = page.locator("#id_expression")
    box.fill("")
    box.type("size >= 3 and age < 40", delay=5)
    page.wait_for_selector("#rule-caret:not([hidden])", timeout=10_000)
    assert page.get_attribute("#rule-caret", "data-column") == "15"
    assert page.inner_text("#rule-caret mark") == "a"  # the field written outside an aggregate
    assert "kolom 15" in page.inner_text("#rule-error")
    assert page.get_attribute("#id_expression", "aria-invalid") == "true"

    box.fill("size >= 3 and any(members, age < 50)")
    page.wait_for_selector("#rule-caret", state="hidden", timeout=10_000)
    expect(page.locator("#pv-households")).to_have_text("1", timeout=10_000)  # (the CSP forbids wait_for_function)
    assert "jumlah anggota keluarga ≥ 3 DAN setidaknya satu anggota: umur < 50" in page.inner_text("#rule-words")
    assert "Manggar" in page.inner_text("#pv-rows") and "Damai" not in page.inner_text("#pv-rows")

    page.fill("#id_note", "hanya keluarga besar")
    page.click("#rule-save")
    page.wait_for_selector("#rule-history", timeout=10_000)
    assert "disimpan sebagai versi 2" in page.content()
    versions = list(RuleVersion.objects.filter(rule=rule).values_list("number", "expression", "note"))
    assert versions[0] == (2, "size >= 3 and any(members, age < 50)", "hanya keluarga besar")
    assert "hanya keluarga besar" in page.inner_text("#rule-history")
    assert not errors, errors
