from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/disable/", views.subscription_disable, name="disable"),
    path("<int:pk>/rotate/", views.subscription_rotate, name="rotate"),
]
