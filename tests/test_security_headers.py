"""Security headers on every page (config/settings/base.py "Security headers",
common/security_headers.py) and templates the Content Security Policy can live with: no
inline scripts, styles or event handlers anywhere."""

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from accounts.models import Firm, User
from billing.services import payment_link_create
from billing.tests.factories import account_for

ROOT = Path(settings.BASE_DIR)
DIRECTIVES = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "worker-src": "'self'",
}


def policy(response: Any) -> dict[str, str]:
    parts = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    return {name: value for name, _, value in (p.partition(" ") for p in parts if p)}


def assert_hardened(response: Any) -> None:
    directives = policy(response)
    for name, value in DIRECTIVES.items():
        assert directives[name] == value, name
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9+/=]+)'", directives["script-src"])
    assert nonce, directives["script-src"]
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts
    for script in scripts:
        assert f'nonce="{nonce.group(1)}"' in script, script
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in response["Permissions-Policy"]
    # HTTPS-only headers are production's: a developer on http://localhost keeps working.
    assert "Strict-Transport-Security" not in response


def test_a_signed_in_page_has_every_header(client_for: Any, member: User) -> None:
    response = client_for(member).get("/settings/")
    assert response.status_code == 200
    assert_hardened(response)
    assert response["Referrer-Policy"] == "same-origin"


def test_the_sign_in_page_has_every_header(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert_hardened(response)
    assert response["Referrer-Policy"] == "same-origin"


def test_each_request_gets_its_own_nonce(client: Client) -> None:
    first = policy(client.get("/accounts/login/"))["script-src"]
    second = policy(client.get("/accounts/login/"))["script-src"]
    assert first != second


def test_the_pay_page_keeps_its_own_referrer_policy(client: Client, firm: Firm) -> None:
    account = account_for(firm)
    with scope(firm=firm.id):
        _, token = payment_link_create(firm=firm, actor=None, account=account, bill=None)
    response = client.get(reverse("pay:page", args=[token]))
    assert response.status_code == 200
    assert_hardened(response)
    assert response["Referrer-Policy"] == "strict-origin"


def test_htmx_partials_get_the_policy_too(client_for: Any, member: User) -> None:
    response = client_for(member).get("/contacts/?q=a", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert policy(response)["object-src"] == "'none'"


def test_the_api_docs_page_serves_redoc_itself_with_a_wider_style_policy(
    client_for: Any, member: User
) -> None:
    response = client_for(member).get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"].split()[0] == "'self'"  # no CDN: Redoc is ours
    assert "'unsafe-inline'" in directives["style-src"]  # Redoc injects <style> elements
    assert "blob:" in directives["worker-src"]  # its search runs in a blob: worker
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    html = response.content.decode()
    src = re.search(r'<script src="([^"]+)"', html)
    assert src and src.group(1).startswith("/static/drf_spectacular_sidecar/redoc/")
    assert "fonts.googleapis.com" not in html


def test_other_pages_may_not(client_for: Any, member: User) -> None:
    directives = policy(client_for(member).get("/settings/"))
    assert "'unsafe-inline'" not in " ".join(directives.values())


def _templates() -> list[Path]:
    found = [
        p
        for p in ROOT.glob("**/templates/**/*.html")
        if not {".venv", "staticfiles", "node_modules"} & set(p.relative_to(ROOT).parts)
    ]
    assert len(found) > 50
    return found


def test_no_template_has_an_inline_script() -> None:
    offenders = []
    for template in _templates():
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag:
                offenders.append(f"{template.relative_to(ROOT)}: {tag}")
    assert offenders == []


def test_no_template_has_an_inline_event_handler_or_style() -> None:
    pattern = re.compile(r"""\s(on[a-z]+|hx-on[:\w-]*|style)\s*=\s*["']""", re.IGNORECASE)
    offenders = []
    for template in _templates():
        text = template.read_text()
        offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
        if re.search(r"<style\b", text):
            offenders.append(f"{template.relative_to(ROOT)}: <style>")
    assert offenders == []
