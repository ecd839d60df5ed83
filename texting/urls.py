from django.urls import path

from . import views

app_name = "texting"

urlpatterns = [
    path("", views.communications, name="communications"),
]
