from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("from-data/", views.from_system, name="from_system"),
    path("<int:pk>/", views.evaluation, name="evaluation"),
    path("simulate/", views.simulate, name="simulate"),
    path("scenarios/<int:pk>/", views.scenario, name="scenario"),
    path("scenarios/compare/", views.compare, name="compare"),
]
