from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("", views.contact_list, name="list"),
    path("new/", views.contact_create, name="create"),
    path("picker/", views.contact_picker, name="picker"),
    path("<uuid:uuid>/", views.contact_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.contact_edit, name="edit"),
    path("<uuid:uuid>/communications/", views.contact_communications, name="communications"),
    path(
        "<uuid:uuid>/related/add/",
        views.relationship_add,
        name="relationship-add",
    ),
    path(
        "<uuid:uuid>/related/<uuid:related_uuid>/remove/",
        views.relationship_remove,
        name="relationship-remove",
    ),
]
