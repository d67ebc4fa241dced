from django.urls import path

from . import views

app_name = "participation"
urlpatterns = [
    path("", views.forums, name="forums"),
    path("forum/new/", views.forum_new, name="forum_new"),
    path("forum/<int:pk>/", views.forum, name="forum"),
    path("forum/<int:pk>/minutes.pdf", views.minutes, name="minutes"),
    path("forum/<int:pk>/scan/", views.scan, name="scan"),
    path("forum/<int:pk>/scan/download/", views.scan_download, name="scan_download"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposal/new/", views.proposal_new, name="proposal_new"),
    path("proposal/<int:pk>/", views.proposal, name="proposal"),
    path("proposal/<int:pk>/fund/", views.proposal_fund, name="proposal_fund"),
    path("partners/", views.partners, name="partners"),
    path("partner/new/", views.partner_edit, name="partner_new"),
    path("partner/<int:pk>/", views.partner_edit, name="partner_edit"),
    path("contribution/new/", views.contribution_edit, name="contribution_new"),
    path("contribution/<int:pk>/", views.contribution_edit, name="contribution_edit"),
    path("portal/", views.portal, name="portal"),
    path("contribution/<int:pk>/report/", views.report_upload, name="report_upload"),
    path("contribution/<int:pk>/report/download/", views.report_download, name="report_download"),
]
