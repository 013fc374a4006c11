from django.urls import include, path

from fangtiao.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("townships/", views.townships, name="townships"),
    path("mediators/", views.mediators, name="mediators"),
    path("", include("fangtiao.stats.urls_reports")),
]
