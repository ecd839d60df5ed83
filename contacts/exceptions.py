"""Domain errors of the contacts app; views show their sentence, the API maps them to a status."""

from common.exceptions import ApplicationError


class ContactNotFound(ApplicationError):
    """A contact that is not the firm's: reads exactly like a missing one (T1)."""

    status_code = 404
    error_type = "not_found"


class RelationshipNotAllowed(ApplicationError):
    """A relationship that cannot exist, such as a contact related to itself."""


class RelationshipExists(ApplicationError):
    status_code = 409
    error_type = "conflict"


class RelationshipNotFound(ApplicationError):
    status_code = 404
    error_type = "not_found"
