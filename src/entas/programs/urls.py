from django.urls import path

from . import export_views, views

app_name = "programs"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/without-account/", export_views.without_account, name="without_account"),
    path("cycles/<int:pk>/confirm/<slug:step>/", views.cycle_confirm, name="confirm"),
    path("cycles/<int:pk>/payees/", views.cycle_payees, name="payees"),
    path("affected/", views.affected, name="affected"),
]
