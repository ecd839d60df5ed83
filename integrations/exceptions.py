"""Domain errors of integrations: each message is the sentence the admin reads."""

from common.exceptions import ApplicationError


class WebhookEndpointInvalid(ApplicationError):
    """The URL or the events of a new endpoint cannot be accepted."""

    error_type = "webhook_endpoint_invalid"
