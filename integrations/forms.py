from django import forms

from .models import SUBSCRIBABLE


class WebhookEndpointCreateForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        help_text="An https URL of your own system that accepts POST requests.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(choice.value, choice.label) for choice in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
    )
