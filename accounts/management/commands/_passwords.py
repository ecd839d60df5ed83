"""The password of a new member, asked for once and checked by every validator."""

import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import User


def password_ask(email: str) -> str:
    """Ask twice on a terminal; read one line from standard input otherwise (scripts).

    Raises CommandError with the validators' sentences for a weak password.
    """
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {email}: ")
        if getpass.getpass("Password (again): ") != password:
            raise CommandError("The two passwords differ; nothing was created.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        validate_password(password, User(email=email))
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages) + " Nothing was created.") from exc
    return password
