"""Phone number validation and E.164 normalisation with `phonenumbers`.

Texting numbers must be North American (+1): the firm's toll-free number can only text
US and Canadian numbers. Other numbers on a contact may be anywhere in the world.
"""

import phonenumbers
from django.core.exceptions import ValidationError

# Numbers typed without a country code are read as North American.
DEFAULT_REGION = "US"
NORTH_AMERICAN_COUNTRY_CODE = 1


def phone_to_e164(raw: str, *, texting: bool = False) -> str:
    """The number in E.164 (`+12025550123`), or ValidationError with a sentence to show."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    try:
        parsed = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a valid phone number, such as (202) 555-0143 or +1 202 555 0143.",
            code="invalid",
        ) from None
    if texting and parsed.country_code != NORTH_AMERICAN_COUNTRY_CODE:
        raise ValidationError(
            "A texting number must be a US or Canadian number (+1); "
            "texts cannot be sent to other countries.",
            code="not_north_american",
        )
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            "This is not a valid phone number: check the area code and the number of digits.",
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """A number formatted the way people read it: national for +1, international otherwise."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == NORTH_AMERICAN_COUNTRY_CODE:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
