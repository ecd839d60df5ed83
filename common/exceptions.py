"""The domain error every app's exceptions derive from.

Views turn an ApplicationError into a form error, the API into a 400 (or the status the
subclass names) with its message as the sentence the user reads.
"""


class ApplicationError(Exception):
    status_code = 400
    error_type = "invalid_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
