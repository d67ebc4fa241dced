from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export/", views.export_households, name="export"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/members/<int:member_pk>/nik/", views.reveal_nik, name="reveal_nik"),
]
