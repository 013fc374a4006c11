from django.urls import path

from fangtiao.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("notifications/", views.NotificationList.as_view(), name="list"),
    path("notifications/read/", views.mark_read, name="read"),
    path("notifications/sms/", views.SmsList.as_view(), name="sms"),
    path("unread-count/", views.unread_count, name="unread_count"),
]
