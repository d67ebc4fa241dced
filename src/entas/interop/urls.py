from django.urls import path

from . import views

app_name = "interop"
urlpatterns = [
    path("", views.index, name="index"),
    path("comparison/<int:pk>/", views.comparison, name="comparison"),
    path("systems/", views.callers, name="callers"),
    path("systems/<int:pk>/active/", views.caller_active, name="caller_active"),
    path("systems/keys/rotate/", views.rotate_keys, name="rotate_keys"),
]
