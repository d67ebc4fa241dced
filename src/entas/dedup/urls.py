from django.urls import path

from . import views

app_name = "dedup"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("pair/<int:pk>/", views.pair_detail, name="pair"),
    path("model/", views.model_detail, name="model"),
    path("model/default/", views.use_default_model, name="use_default"),
    path("merge/<int:pk>/undo/", views.undo_merge, name="unmerge"),
]
