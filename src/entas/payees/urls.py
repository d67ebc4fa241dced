from django.urls import path

from . import views

app_name = "payees"
urlpatterns = [
    path("household/<int:pk>/account/", views.set_account, name="set_account"),
    path("household/<int:pk>/account/reveal/", views.reveal, name="reveal"),
    path("import/", views.import_accounts, name="import"),
    path("paying-account/", views.paying_account, name="paying_account"),
]
