from django.urls import path

from . import payment_urls, views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    *payment_urls.urlpatterns,
]
