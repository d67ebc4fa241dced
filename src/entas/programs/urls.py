from django.urls import path

from . import views

app_name = "programs"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("affected/", views.affected, name="affected"),
]
