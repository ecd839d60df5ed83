# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app

RUN useradd --create-home --uid 1000 app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
    && DJANGO_SETTINGS_MODULE=config.settings.test python manage.py collectstatic --noinput -v 0

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-c", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3"]
