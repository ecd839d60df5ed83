from django.urls import path

from .views import MatterDetailApi, MatterListApi

urlpatterns = [
    path("matters/", MatterListApi.as_view(), name="matter-list"),
    path("matters/<uuid:id>/", MatterDetailApi.as_view(), name="matter-detail"),
]
