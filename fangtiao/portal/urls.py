from django.urls import path

from fangtiao.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.guide_view, name="guide"),
    path("submit/", views.submit_view, name="submit"),
    path("submit/done/", views.submitted_view, name="submitted"),
    path("track/", views.track_view, name="track"),
    path("track/rate/", views.rate_view, name="rate"),
]
