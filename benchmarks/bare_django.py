"""The Django bare endpoint of the ingest benchmark: settings, URLconf, view and WSGI app.

The app's production settings (same middleware, database options, logging) with one route
of its own, POST / → one INSERT into the scratch table, answered with JSON. No route is
added to the app: gunicorn serves `bare_django:application` with
DJANGO_SETTINGS_MODULE=bare_django (benchmarks/ on PYTHONPATH).
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = __name__
TABLE = "bench_bare_insert"


@csrf_exempt
def insert_one(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (body) VALUES (%s)", [request.body.decode()])
    return JsonResponse({"stored": 1})


urlpatterns = [path("", insert_one)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
