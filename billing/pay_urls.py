"""The public payment page (B5): /pay/<token>/, no sign-in; the token says which link."""

from django.urls import URLPattern, path

from . import pay_views

app_name = "pay"

urlpatterns: list[URLPattern] = [
    path("<str:token>/", pay_views.pay_page, name="page"),
]
