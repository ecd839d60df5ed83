"""Forms of the Communications pages: input checked here, rules in the services."""

import uuid

from django import forms

from .segments import GSM7_BASIC, GSM7_EXTENSION, MAX_TEXT_CHARS


class ConversationFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)


class ComposeForm(forms.Form):
    """One text to the conversation's contact. The idempotency key, new with every blank
    form, makes a double click or a resubmitted page send the text once."""

    # The length limit is the service's, with its own sentence (C5); the browser stops there.
    body = forms.CharField(
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": "Write a text message",
                "maxlength": MAX_TEXT_CHARS,
                # The segment counter (static/js/app.js) counts with segments.py's alphabet.
                "data-segments": "",
                "data-gsm7-basic": "".join(sorted(GSM7_BASIC)),
                "data-gsm7-extension": "".join(sorted(GSM7_EXTENSION)),
            }
        ),
        error_messages={"required": "Write a message before sending."},
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        # A fresh key for every form shown, whatever else is prefilled (`?body=`).
        given = kwargs.get("initial") or {}
        kwargs["initial"] = {"idempotency_key": uuid.uuid4(), **given}  # type: ignore[dict-item]
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
