from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export/", views.export_registry, name="export"),
    path("import/", views.import_registry, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/members/<int:member_pk>/nik/", views.reveal_nik, name="reveal_nik"),
]
