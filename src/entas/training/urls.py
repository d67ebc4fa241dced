from django.urls import path

from . import views

app_name = "training"
urlpatterns = [
    path("", views.cohorts, name="cohorts"),
    path("cohort/new/", views.cohort_new, name="cohort_new"),
    path("catalogue/", views.load_catalogue, name="catalogue"),
    path("cohort/<int:pk>/", views.cohort, name="cohort"),
    path("cohort/<int:pk>/apply/", views.apply, name="apply"),
    path("cohort/<int:pk>/select/", views.select, name="select"),
    path("cohort/<int:pk>/session/<int:number>/", views.attendance, name="attendance"),
    path("cohort/<int:pk>/completion/", views.completion, name="completion"),
    path("application/<int:pk>/decide/", views.decide, name="decide"),
    path("household/<int:pk>/apply/", views.apply_member, name="apply_member"),
    path("application/<int:pk>/tracer/", views.tracer, name="tracer"),
    path("tracer/", views.tracer_list, name="tracer_list"),
    path("to-register/", views.to_register, name="to_register"),
    path("outcomes/", views.outcomes, name="outcomes"),
]
