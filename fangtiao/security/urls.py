from django.urls import path

from fangtiao.security import views

urlpatterns = [
    path("otp/", views.otp_verify, name="otp_verify"),
    path("otp/enrol/", views.otp_enrol, name="otp_enrol"),
    path("password/", views.password_change, name="password_change"),
    path("sessions/", views.my_sessions, name="my_sessions"),
    path("security/", views.security_home, name="security_home"),
    path("security/sessions/end-all/", views.security_end_all, name="security_end_all"),
    path("security/lockouts/<int:pk>/unlock/", views.security_unlock, name="security_unlock"),
    path("security/users/<int:pk>/<slug:action>/", views.security_action, name="security_action"),
]
