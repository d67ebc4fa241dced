from django.urls import path

from . import views

app_name = "monitoring"
urlpatterns = [
    path("poverty-profile/", views.poverty_profile, name="poverty_profile"),
    path("reference-data/", views.reference_data, name="reference_data"),
]
