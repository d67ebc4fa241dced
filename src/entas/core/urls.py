from django.urls import include, path

from . import views

job_patterns = (
    [
        path("", views.job_list, name="list"),
        path("<int:pk>/", views.job_detail, name="detail"),
        path("<int:pk>/download/", views.job_download, name="download"),
        path("<int:pk>/rerun/", views.job_rerun, name="rerun"),
    ],
    "jobs",
)
audit_patterns = ([path("", views.audit_list, name="list")], "audit")

urlpatterns = [
    path("jobs/", include(job_patterns)),
    path("audit/", include(audit_patterns)),
    path("health/", views.health_check, name="health"),
    path("live/", views.live_check, name="live"),
    path("ready/", views.ready_check, name="ready"),
    path("metrics", views.metrics, name="metrics"),
]
