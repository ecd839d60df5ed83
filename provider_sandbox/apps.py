from django.apps import AppConfig


class ProviderSandboxConfig(AppConfig):
    """Hosts the sandbox's management commands; the app has no models."""

    name = "provider_sandbox"
    verbose_name = "Provider sandbox"
