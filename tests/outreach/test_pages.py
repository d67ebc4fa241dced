"""The officer's pages: create a campaign and an event, record attendance, import a sign-in sheet and
answers (as a job), read the results; viewers read, and may not write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date as dt_date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.core import jobqueue
from entas.core.models import Job
from entas.outreach.models import Answer, Attendance, Campaign, Event
from tests.conftest import CITY, MANGGAR, make_household

pytestmark = pytest.mark.django_db


def test_officer_runs_a_campaign_from_the_pages(
    regions: dict[str, Any], make_user: Callable[..., User], client_for: Any, auditor: User
) -> None:
    officer = make_user("kampanye", Role.TRAINING_OFFICER, [CITY])
    household = make_household(regions[MANGGAR], "6471010101200001", members=2)
    client = client_for(officer)
    page = client.post(
        reverse("outreach:campaigns"),
        {
            "code": "jkn-uji",
            "name": "Ayo Daftar JKN",
            "theme": "jkn",
            "channel": "seminar",
            "start": "2025-01-01",
            "end": "2025-12-31",
            "target_kelurahan": [regions[MANGGAR].pk],
        },
    )
    campaign = Campaign.objects.get(code="jkn-uji")
    assert page.status_code == 302
    url = reverse("outreach:campaign", kwargs={"pk": campaign.pk})
    for n, key in ((1, "a"), (2, "b")):
        client.post(
            url, {"action": "question", "q-number": n, "q-text": f"Soal {n}", "q-options": "Ya\nTidak", "q-key": key}
        )
    assert campaign.questions.count() == 2
    bad = client.post(url, {"action": "question", "q-number": 3, "q-text": "Soal", "q-options": "Ya", "q-key": "a"})
    assert bad.status_code == 200 and campaign.questions.count() == 2
    page = client.post(
        url,
        {
            "action": "event",
            "e-code": "jkn-uji-1",
            "e-date": "2025-03-01",
            "e-kelurahan": regions[MANGGAR].pk,
            "e-venue": "Aula",
            "e-budget": 1000000,
        },
    )
    event = Event.objects.get(code="jkn-uji-1")
    event_url = reverse("outreach:event", kwargs={"pk": event.pk})
    assert page.status_code == 302 and page["Location"] == event_url
    first, second = household.members.order_by("pk")
    refused = client.post(event_url, {"action": "attendee", "a-nik": "123"})
    assert refused.status_code == 200 and 'class="error" role="alert"' in refused.content.decode()
    assert not Attendance.objects.exists()
    client.post(event_url, {"action": "attendee", "a-nik": first.nik})
    client.post(event_url, {"action": "count", "c-sex": "2", "c-age_band": "25-44", "c-count": 7})
    sheet = SimpleUploadedFile("hadir.csv", f"nik\n{second.nik}\n{first.nik}\n".encode())
    page = client.post(event_url, {"action": "upload", "u-kind": "outreach.attendance", "u-file": sheet})
    assert page.status_code == 302
    job = jobqueue.execute(Job.objects.latest("pk").pk)  # what the worker does
    assert job.status == Job.Status.SUCCEEDED and (job.result["inserted"], job.result["unchanged"]) == (1, 1)
    assert Attendance.objects.filter(event=event).count() == 2
    answers = SimpleUploadedFile(
        "jawaban.csv", f"nik,phase,q1,q2\n{first.nik},before,b,a\n{first.nik},after,a,b\n".encode()
    )
    client.post(event_url, {"action": "upload", "u-kind": "outreach.answers", "u-file": answers})
    job = jobqueue.execute(Job.objects.latest("pk").pk)
    assert job.status == Job.Status.SUCCEEDED and job.result["inserted"] == 2
    assert Answer.objects.count() == 4
    results = client.get(reverse("outreach:results", kwargs={"pk": campaign.pk}))
    text = results.content.decode()
    assert "95 %" in text and "Ayo Daftar JKN" in text
    assert campaign.events.get().head_counts.get().count == 7
    viewer = client_for(auditor)
    assert viewer.get(event_url).status_code == 200
    assert viewer.post(event_url, {"action": "attendee", "a-nik": second.nik}).status_code == 403


def test_materials_are_kept_in_every_version_and_checked(
    regions: dict[str, Any], make_user: Callable[..., User], client_for: Any, auditor: User
) -> None:
    import io
    import zipfile

    from entas.outreach import services
    from entas.outreach.models import Material

    officer = make_user("kampanye", Role.TRAINING_OFFICER, [CITY])
    campaign, _o = services.save_campaign(
        code="jkn-m",
        name="JKN",
        theme="jkn",
        channel="seminar",
        start=dt_date(2026, 1, 1),
        end=dt_date(2026, 6, 30),
        actor=officer,
    )
    client = client_for(officer)
    client.cookies["django_language"] = "en"
    url = reverse("outreach:materials", kwargs={"pk": campaign.pk})
    for body in (b"%PDF-1.4 first", b"%PDF-1.4 second"):
        response = client.post(url, {"title": "Leaflet JKN", "file": SimpleUploadedFile("leaflet.pdf", body)})
        assert response.status_code == 302
    slides = io.BytesIO()
    with zipfile.ZipFile(slides, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("ppt/presentation.xml", "<p/>")
    client.post(url, {"title": "Slides", "file": SimpleUploadedFile("materi.pptx", slides.getvalue())})
    assert sorted(Material.objects.values_list("title", "version")) == [
        ("Leaflet JKN", 1),
        ("Leaflet JKN", 2),
        ("Slides", 1),
    ]
    # A file that is not what its name says, or of a kind a campaign does not use, is refused.
    refused = [
        ("virus.pdf", b"MZ\x90\x00 an executable"),
        ("script.html", b"<script>alert(1)</script>"),
        ("kosong.pptx", b"PK\x03\x04 not a zip at all"),
    ]
    for name, body in refused:
        page = client.post(url, {"title": "Leaflet JKN", "file": SimpleUploadedFile(name, body)})
        assert page.status_code == 200 and (
            "not the kind of file" in page.content.decode() or "is a PDF, JPEG" in page.content.decode()
        )
    assert Material.objects.count() == 3
    listing = client.get(url).content.decode()
    assert listing.count("leaflet.pdf") == 2 and "materi.pptx" in listing
    newest = Material.objects.get(title="Leaflet JKN", version=2)
    download = client_for(auditor).get(reverse("outreach:material_download", kwargs={"pk": newest.pk}))
    assert (
        download["Content-Disposition"].startswith("attachment")
        and b"".join(download.streaming_content) == b"%PDF-1.4 second"
    )
    assert (
        client_for(auditor).post(url, {"title": "x", "file": SimpleUploadedFile("a.pdf", b"%PDF-1")}).status_code == 403
    )


def test_the_reach_is_drawn_on_a_map_of_the_kelurahan(regions: dict[str, Any]) -> None:
    from entas.outreach import selectors

    square = {
        "type": "Polygon",
        "coordinates": [[[116.9, -1.2], [117.0, -1.2], [117.0, -1.1], [116.9, -1.1], [116.9, -1.2]]],
    }
    regions[MANGGAR].boundary = square
    regions[MANGGAR].save(update_fields=["boundary"])
    reach = selectors.Reach(rows=[selectors.ReachRow(MANGGAR, "Manggar", target_households=8, target_reached=2)])
    spec = selectors.reach_map(reach)
    assert spec is not None and spec["mark"]["type"] == "geoshape"
    [feature] = spec["data"]["values"]["features"]
    assert feature["properties"]["reach"] == 25.0 and feature["properties"]["kecamatan"]
    regions[MANGGAR].boundary = None
    regions[MANGGAR].save(update_fields=["boundary"])
    circles = selectors.reach_map(reach)  # no boundary: circles on the centre, or no map without one
    assert circles is None or circles["mark"]["type"] == "circle"


def test_the_home_page_tells_the_officer_which_events_await_their_attendance(
    regions: dict[str, Any], make_user: Callable[..., User], client_for: Any
) -> None:
    from django.utils import timezone

    from entas.outreach import services
    from entas.outreach.home_page import outreach_work

    officer = make_user("kampanye", Role.TRAINING_OFFICER, [CITY])
    today = timezone.localdate()
    campaign, _o = services.save_campaign(
        code="jkn-h",
        name="JKN",
        theme="jkn",
        channel="seminar",
        start=today.replace(day=1),
        end=today.replace(day=28) if today.day <= 28 else today,
        actor=officer,
    )
    held, _o = services.save_event(
        campaign=campaign, code="h-1", date=today, kelurahan=regions[MANGGAR], venue="Aula", actor=officer
    )
    services.save_event(
        campaign=campaign, code="h-2", date=today, kelurahan=regions[MANGGAR], venue="Aula", actor=officer
    )
    running, unrecorded = outreach_work(officer)
    assert (running.count, unrecorded.count) == (1, 2)
    services.set_head_count(event=held, sex="1", age_band="60+", count=4, actor=officer)
    assert outreach_work(officer)[1].count == 1
    assert outreach_work(make_user("analis", Role.TKPK_ANALYST, [CITY])) == []
    assert client_for(officer).get(reverse("home")).status_code == 200
