from django.urls import include, path

from fangtiao.security import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", include("fangtiao.security.urls")),
]
