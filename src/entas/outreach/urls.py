from django.urls import path

from . import views

app_name = "outreach"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("<int:pk>/", views.campaign, name="campaign"),
    path("<int:pk>/results/", views.results, name="results"),
    path("event/<int:pk>/", views.event, name="event"),
    path("<int:pk>/materials/", views.materials, name="materials"),
    path("material/<int:pk>/download/", views.material_download, name="material_download"),
]
