from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.ContactCollectionApi.as_view(), name="contact-list"),
    path("contacts/<uuid:id>/", views.ContactItemApi.as_view(), name="contact-detail"),
    path(
        "contacts/<uuid:id>/related_contacts/",
        views.ContactRelationshipAddApi.as_view(),
        name="contact-relationship-add",
    ),
    path(
        "contacts/<uuid:id>/related_contacts/<uuid:related_id>/",
        views.ContactRelationshipRemoveApi.as_view(),
        name="contact-relationship-remove",
    ),
]
