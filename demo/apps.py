from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for development and tests outside the project (seed_demo). No models."""

    name = "demo"
