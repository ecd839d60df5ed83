from django.urls import path

from . import views

app_name = "matters"

urlpatterns = [
    path("", views.matter_list, name="list"),
    path("new/", views.matter_create, name="create"),
    path("contact/<uuid:contact_id>/", views.contact_matters, name="contact-matters"),
    path("<uuid:matter_id>/", views.matter_detail, name="detail"),
    path("<uuid:matter_id>/edit/", views.matter_edit, name="edit"),
    path(
        "<uuid:matter_id>/related-contacts/", views.related_contact_add, name="related-contact-add"
    ),
    path(
        "<uuid:matter_id>/related-contacts/<uuid:related_id>/remove/",
        views.related_contact_remove,
        name="related-contact-remove",
    ),
    path("<uuid:matter_id>/communications/", views.matter_communications, name="communications"),
    path("<uuid:matter_id>/documents/", views.matter_documents, name="documents"),
    # The same page one folder down: reverse("matters:documents", args=[matter, folder]).
    path(
        "<uuid:matter_id>/documents/folders/<uuid:folder_id>/",
        views.matter_documents,
        name="documents",
    ),
    path("<uuid:matter_id>/documents/folders/", views.folder_create, name="folder-create"),
    path("<uuid:matter_id>/documents/upload/", views.document_upload, name="document-upload"),
    path(
        "<uuid:matter_id>/documents/<uuid:document_id>/download/",
        views.document_download,
        name="document-download",
    ),
    path(
        "<uuid:matter_id>/documents/<uuid:document_id>/delete/",
        views.document_delete,
        name="document-delete",
    ),
]
