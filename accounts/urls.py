from django.contrib.auth import views as auth_views
from django.urls import path

from .forms import SignInForm
from .password_views import password_change_view

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", password_change_view, name="password-change"),
]
