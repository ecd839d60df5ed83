"""The public payment page (B5): /pay/<token>/, no sign-in; the token says which link."""

from django.urls import URLPattern

app_name = "pay"

urlpatterns: list[URLPattern] = []
