from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.plan, name="plan"),
    path("export/", views.export, name="export"),
    path("plan/<int:pk>/adopt/", views.adopt, name="adopt"),
    path("programme/<int:pk>/", views.programme, name="programme"),
    path("activity/<int:pk>/", views.activity, name="activity"),
    path("adjustments/", views.adjustments, name="adjustments"),
    path("adjustment/<int:pk>/decide/", views.decide, name="decide"),
    path("realisation/", views.realisation, name="realisation"),
    path("benefits/", views.benefits, name="benefits"),
    path("load/", views.load, name="load"),
    path("funded/", views.funded, name="funded"),
]
