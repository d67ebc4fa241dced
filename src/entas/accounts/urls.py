from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/active/", views.user_active, name="user_active"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("tokens/oauth-clients/", views.oauth_clients, name="oauth_clients"),
    path("tokens/oauth-clients/<int:pk>/revoke/", views.oauth_client_revoke, name="oauth_client_revoke"),
    path("tokens/service-accounts/new/", views.service_account_new, name="service_account_new"),
]
