from django.urls import path

from fangtiao.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.AuditList.as_view(), name="list"),
    path("<int:pk>/", views.audit_detail, name="detail"),
]
