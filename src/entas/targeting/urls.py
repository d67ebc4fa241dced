from django.urls import path

from . import views

app_name = "targeting"
urlpatterns = [
    path("report/", views.targeting_report, name="report"),
    path("overrides/", views.overrides, name="overrides"),
]
