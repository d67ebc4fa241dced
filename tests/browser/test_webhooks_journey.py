"""The administrator subscribes a bank's system to household changes on the Webhooks page and copies
the secret shown once; an operator's edit is delivered, signed, to a local HTTP server by the
deliverer job (the test plays the worker); the administrator reads the delivery log and disables the
subscription."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.utils import timezone

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core.models import Job
from entas.registry import services as registry
from entas.registry.models import Household
from entas.webhooks import rules
from entas.webhooks.models import Delivery, Subscription
from tests.browser.test_shell import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        self.received.append((dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_subscribe_receive_a_signed_delivery_read_the_log_and_disable(
    page: Any, live_server: Any, admin_user: User, operator_manggar: User, manggar_household: Household
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        login(page, live_server, admin_user.username)
        page.get_by_role("link", name="Webhook").first.click()
        page.locator("[name=name]").fill("Bank uji")
        page.locator("[name=owner]").select_option(str(operator_manggar.pk))
        page.locator("[name=url]").fill(f"http://127.0.0.1:{server.server_port}/hook")
        page.locator("[name=events][value='household.changed']").check()
        page.locator("form:has([name=url]) button[type=submit]").click()
        secret = page.get_by_test_id("webhook-secret").inner_text()
        assert secret.startswith("whsec_") and secret == Subscription.objects.get().secret

        registry.update_household(
            actor=operator_manggar,
            household=manggar_household,
            values={"address": "Jl. Baru"},
            expected_version=manggar_household.version,
        )
        for pk in Job.objects.filter(status=Job.Status.QUEUED, kind="webhooks.deliver").values_list("pk", flat=True):
            assert jobqueue.execute(pk).status == Job.Status.SUCCEEDED
    finally:
        server.shutdown()
        server.server_close()
    headers, body = _Receiver.received[-1]
    assert rules.verify(secret, headers["X-Entas-Signature"], body, now=int(timezone.now().timestamp()))
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered"

    page.goto(f"{live_server.url}/webhooks/")
    page.get_by_role("link", name="Bank uji").click()
    page.wait_for_url(re.compile(r"/webhooks/\d+/$"))
    assert delivery.event_id in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/webhooks/")
    page.locator("form[action$='/disable/'] button").click()
    assert not Subscription.objects.get().active
