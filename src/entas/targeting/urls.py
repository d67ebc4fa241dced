from django.urls import path

from . import views

app_name = "targeting"
urlpatterns = [
    path("report/", views.targeting_report, name="report"),
    path("overrides/", views.overrides, name="overrides"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/preview/", views.rule_preview, name="rule_preview"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
    path("pmt/", views.pmt_models, name="pmt"),
]
