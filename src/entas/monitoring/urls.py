from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("poverty-profile/", views.poverty_profile, name="poverty_profile"),
    path("reference-data/", views.reference_data, name="reference_data"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/data.csv", views.dashboard_csv, name="dashboard_csv"),
    path("framework/", views.framework, name="framework"),
    path("small-area/", views.small_area, name="small_area"),
    path("programme/<int:pk>/", views.programme_dashboard, name="programme"),
    path("indicators/", views.indicators, name="indicators"),
    path("indicators/<str:code>/values/", views.official_values, name="official_values"),
]
