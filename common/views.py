"""Rendering helpers shared by the apps' views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_coming_soon(
    request: HttpRequest, *, title: str, heading: str, explanation: str
) -> HttpResponse:
    """A page whose capability is built by a later issue; says what will be here."""
    return render(
        request,
        "common/coming_soon.html",
        {"title": title, "heading": heading, "explanation": explanation},
    )
