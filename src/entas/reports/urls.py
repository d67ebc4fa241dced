from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/generate/", views.generate, name="generate"),
    path("<int:pk>/narrative/", views.narrative, name="narrative"),
    path("<int:pk>/finalise/", views.finalise, name="finalise"),
    path("<int:pk>/v<int:number>/diff/", views.diff, name="diff"),
    path("<int:pk>/v<int:number>/<str:fmt>/", views.download, name="download"),
]
