from django.urls import path

from . import views

app_name = "enterprise"
urlpatterns = [
    path("", views.group_list, name="groups"),
    path("new/", views.group_new, name="group_new"),
    path("<int:pk>/", views.group_detail, name="group"),
    path("<int:pk>/seat/<int:seat>/end/", views.unseat, name="unseat"),
    path("loan/<int:pk>/", views.loan_detail, name="loan"),
    path("grant/<int:pk>/berita-acara.pdf", views.grant_pdf, name="grant_pdf"),
    path("import/", views.import_file, name="import"),
    path("results/", views.results, name="results"),
]
