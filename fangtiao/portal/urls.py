from django.urls import path

from fangtiao.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.guide_view, name="guide"),
    path("submit/", views.submit_view, name="submit"),
    path("submit/done/", views.submitted_view, name="submitted"),
    path("legal/", views.legal_view, name="legal"),
    path("legal/done/", views.legal_done_view, name="legal_done"),
    path("track/", views.track_view, name="track"),
    path("track/rate/", views.rate_view, name="rate"),
]
