from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from common import views as common_views
from common.security_headers import api_docs_view
from texting.notification_views import service_worker, web_manifest

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("matters.api.urls")),
    path("", include("texting.api.urls")),
    path("", include("calendar_events.api.urls")),
    path("", include("billing.api.urls")),
]

urlpatterns = [
    # First: the provider's callbacks are by far the most frequent requests, and resolving
    # them past every other pattern cost a tenth of a millisecond each.
    path("webhooks/provider/", include("texting.webhook_urls")),
    # For load balancers and orchestrators: liveness, then readiness (issue 9).
    path("healthz", common_views.healthz, name="healthz"),
    path("readyz", common_views.readyz, name="readyz"),
    # Prometheus scrapes (issue 9); 404 unless METRICS_TOKEN is set.
    path("metrics", common_views.metrics, name="metrics"),
    path("", RedirectView.as_view(pattern_name="texting:communications"), name="home"),
    path("accounts/", include("accounts.urls")),
    path("settings/", include("accounts.settings_urls")),
    path("communications/", include("texting.urls")),
    path("contacts/", include("contacts.urls")),
    path("matters/", include("matters.urls")),
    path("calendar/", include("calendar_events.urls")),
    path("billing/", include("billing.urls")),
    path("pay/", include("billing.pay_urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs_view, name="api-docs"),
    # At the root: a service worker's scope is at most its own folder (C9), and the manifest
    # is the site's.
    path("sw.js", service_worker, name="service-worker"),
    path("manifest.webmanifest", web_manifest, name="web-manifest"),
]

handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
