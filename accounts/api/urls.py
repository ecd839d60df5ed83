from django.urls import path

from .views import WhoAmIApi

urlpatterns = [
    path("users/who_am_i/", WhoAmIApi.as_view(), name="user-who-am-i"),
]
