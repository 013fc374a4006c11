from django.contrib.auth import views as auth_views
from django.urls import path

from fangtiao.core.auth_forms import LoginForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html", authentication_form=LoginForm,
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
