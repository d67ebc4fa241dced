from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("export/", views.export_registry, name="export"),
    path("import/", views.import_registry, name="import"),
    path("register/", views.register_household, name="register_household"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/members/<int:member_pk>/nik/", views.reveal_nik, name="reveal_nik"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/verify/", views.household_verify, name="household_verify"),
    path("<int:pk>/change/<str:kind>/", views.change_request_new, name="change_request_new"),
    path("changes/", views.change_request_list, name="change_requests"),
    path("changes/<int:request_pk>/decide/", views.change_request_decide, name="change_request_decide"),
    path("changes/<int:request_pk>/nik/", views.change_request_nik, name="change_request_nik"),
    path("privacy/", views.privacy_report, name="privacy_report"),
    path("ratification/", views.ratification, name="ratification"),
    path("ratification/<str:kelurahan_code>/list.<str:fmt>", views.ratified_list, name="ratified_list"),
]
