"""Domain errors of matters: each carries the sentence the user reads (and the field it is about).

Views turn them into form errors, the API into a 400 with `{"error": {"fields": ...}}`.
"""

from common.exceptions import ApplicationError


class MatterError(ApplicationError):
    """Base of every matters error: bad input, nothing was changed."""


class ReferenceNotFound(MatterError):
    """An object passed in belongs to another firm (or another matter): it reads as missing."""


class MatterNumberTaken(MatterError):
    """Another matter of the firm already has this display number."""


class InvalidStatusTransition(MatterError):
    """The status change is not part of the matter lifecycle."""


class RelatedContactInvalid(MatterError):
    """The client itself, or a contact already related to the matter."""


class FolderNameInvalid(MatterError):
    """Empty, too long, or containing characters a folder name cannot have."""


class FolderNameTaken(MatterError):
    """A folder of that name already exists in the same place."""


class DocumentInvalid(MatterError):
    """Empty or over the size limit: the file was not stored."""
