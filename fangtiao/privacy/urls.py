from django.urls import path

from fangtiao.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.retention, name="retention"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("holds/new/", views.hold_new, name="hold_new"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("register/", views.RegisterList.as_view(), name="register"),
    path("requests/", views.RequestList.as_view(), name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/review/", views.request_review, name="request_review"),
    path("requests/<int:pk>/answer/", views.request_answer, name="request_answer"),
    path("requests/<int:pk>/refuse/", views.request_refuse, name="request_refuse"),
    path("requests/<int:pk>/copy/", views.request_copy, name="request_copy"),
]
