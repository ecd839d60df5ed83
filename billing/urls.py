from django.urls import path

from . import payment_urls, views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/new/", views.activity_create, name="activity-create"),
    path("activities/rate/", views.timekeeper_rate_set, name="timekeeper-rate"),
    path("activities/<uuid:activity_id>/", views.activity_edit, name="activity-edit"),
    path("activities/<uuid:activity_id>/delete/", views.activity_delete, name="activity-delete"),
    path("bills/", views.bill_list, name="bill-list"),
    path("bills/<uuid:bill_id>/", views.bill_detail, name="bill-detail"),
    path("bills/<uuid:bill_id>/issue/", views.bill_issue, name="bill-issue"),
    path("bills/<uuid:bill_id>/delete/", views.bill_delete, name="bill-delete"),
    path("matters/<uuid:matter_id>/activities/", views.matter_activities, name="matter-activities"),
    path("matters/<uuid:matter_id>/bills/", views.matter_bills, name="matter-bills"),
    path("matters/<uuid:matter_id>/bills/generate/", views.bill_generate, name="bill-generate"),
    *payment_urls.urlpatterns,
]
