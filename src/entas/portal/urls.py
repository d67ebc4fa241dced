from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    # Public: no login, no URL arguments (a tracking code travels in a POST, never in a URL).
    path("", views.portal_home, name="home"),
    path("aduan/", views.complaint, name="complaint"),
    path("lacak/", views.track, name="track"),
    path("cek-bansos/", views.check, name="check"),
    path("data/", views.open_data, name="open_data"),
    path("data/unduh/", views.open_data_download, name="open_data_download"),
    path("data/katalog.json", views.open_data_catalogue, name="open_data_catalogue"),
    # Officers.
    path("kasus/", views.cases, name="cases"),
    path("statistik/", views.dashboard, name="dashboard"),
    path("agenda/", views.agenda, name="agenda"),
    path("kasus/baru/", views.intake, name="intake"),
    path("kasus/<int:pk>/", views.case_detail, name="case"),
    path("kasus/<int:pk>/usul/", views.usul_register, name="usul_register"),
    path("verifikasi/", views.verification_tasks, name="verification_tasks"),
    path("lampiran/<int:pk>/", views.attachment, name="attachment"),
]
