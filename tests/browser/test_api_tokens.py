"""An operator creates an API token on the page, sees it once, uses it with curl's header from outside
the browser, and revokes it (issue #26)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from entas.accounts.models import ApiToken, User
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_use_and_revoke_a_token(page: Any, live_server: Any, operator_manggar: User) -> None:
    login(page, live_server, "op.manggar")
    page.get_by_role("link", name="Token API").click()
    page.locator("#id_name").fill("skrip rekap")
    page.get_by_label("regions:read —").check()
    page.get_by_role("button", name="Buat token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("entas_")
    assert Client().get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200

    page.goto(f"{live_server.url}/accounts/tokens/")
    assert page.locator("#new-token").count() == 0  # shown once
    page.get_by_role("button", name="Cabut").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert ApiToken.objects.get().revoked_at is not None
    assert Client().get("/api/v1/regions", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
