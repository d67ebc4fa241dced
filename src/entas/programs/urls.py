from django.urls import path

from . import export_views, views

app_name = "programs"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/without-account/", export_views.without_account, name="without_account"),
    path("affected/", views.affected, name="affected"),
]
