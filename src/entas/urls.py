from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from entas.accounts.views import PasswordChange, oauth_token
from entas.api.api import api
from entas.monitoring.views import home

admin.site.site_header = "entas"
admin.site.site_title = "entas"

urlpatterns = [
    path("", home, name="home"),
    path("", include("entas.core.urls")),
    path("registry/", include("entas.registry.urls")),
    path("monitoring/", include("entas.monitoring.urls")),
    path("targeting/", include("entas.targeting.urls")),
    path("dedup/", include("entas.dedup.urls")),
    path("programmes/", include("entas.programs.urls")),
    path("payees/", include("entas.payees.urls")),
    path("enterprise/", include("entas.enterprise.urls")),
    path("policy/", include("entas.policy.urls")),
    path("portal/", include("entas.portal.urls")),
    path("training/", include("entas.training.urls")),
    path("evaluation/", include("entas.evaluation.urls")),
    path("participation/", include("entas.participation.urls")),
    path("campaigns/", include("entas.outreach.urls")),
    path("interop/", include("entas.interop.urls")),
    path("dci/", include("entas.interop.dci_urls")),
    path("reports/", include("entas.reports.urls")),
    path("webhooks/", include("entas.webhooks.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChange.as_view(), name="password_change"),
    path("accounts/", include("entas.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/oauth/token", oauth_token, name="oauth_token"),  # RFC 6749 form-encoded, outside ninja
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]

# A busy database answers 503 ("try again in a moment"), whatever raised it; any other error the 500 page.
handler500 = "entas.core.views.server_error"
