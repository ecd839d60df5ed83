"""Media API (download, upload, delete, list) and the parts of injected inbound MMS.

Media names contain slashes (`{messageId}/{index}/{filename}`), as Bandwidth's do, so the
route captures a path. Bytes are served with the Content-Type they were stored with.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import quoteattr

from werkzeug.wrappers import Request, Response

from .responses import json_response, messaging_error
from .runtime import Sandbox

PAGE_SIZE = 1000
MAX_MEDIA_BYTES = 3_500_000  # Bandwidth's per-file limit
SMIL_CONTENT_TYPE = "application/smil"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def media_url(sandbox: Sandbox, account_id: str, name: str) -> str:
    return f"{sandbox.public_url}/api/v2/users/{account_id}/media/{name}"


def safe_filename(filename: str, index: int) -> str:
    """The last path component with anything unusual replaced, never empty."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._")
    return cleaned or f"part{index}"


def _smil(filenames: list[tuple[str, str]], has_text: bool) -> bytes:
    """A SMIL presentation like the one carriers wrap MMS parts in."""
    parts = []
    for filename, content_type in filenames:
        kind = content_type.split("/", 1)[0]
        tag = {"image": "img", "video": "video", "audio": "audio"}.get(kind, "ref")
        region = ' region="Image"' if tag in ("img", "video") else ""
        parts.append(f'<par dur="5000ms"><{tag} src={quoteattr(filename)}{region}/></par>')
    if has_text:
        parts.append('<par dur="5000ms"><text src="text.txt" region="Text"/></par>')
    return (
        '<smil><head><layout><root-layout width="320px" height="480px"/>'
        '<region id="Image" left="0" top="0" width="320px" height="320px" fit="meet"/>'
        '<region id="Text" left="0" top="320" width="320px" height="160px" fit="meet"/>'
        f"</layout></head><body>{''.join(parts)}</body></smil>"
    ).encode()


def store_inbound_parts(
    sandbox: Sandbox,
    account_id: str,
    message_id: str,
    attachments: list[tuple[str, str, bytes]],
    has_text: bool,
) -> list[str]:
    """Store the SMIL part (index 0) and each attachment; return their media URLs in order."""
    now = sandbox.now()
    named = [
        (safe_filename(filename, index), content_type, content)
        for index, (filename, content_type, content) in enumerate(attachments, start=1)
    ]
    smil = _smil([(name, content_type) for name, content_type, _ in named], has_text)
    parts = [("0.smil", SMIL_CONTENT_TYPE, smil), *named]
    urls = []
    for index, (filename, content_type, content) in enumerate(parts):
        name = f"{message_id}/{index}/{filename}"
        sandbox.store.put_media(account_id, name, content_type, content, now)
        urls.append(media_url(sandbox, account_id, name))
    return urls


def download(sandbox: Sandbox, account_id: str, name: str) -> Response:
    """GET .../media/{mediaId}: the stored bytes and Content-Type, or 404."""
    found = sandbox.store.get_media(account_id, name)
    if found is None:
        return messaging_error(404, "object-not-found", f"Media '{name}' was not found")
    content_type, content = found
    return Response(content, status=200, content_type=content_type)


def upload(sandbox: Sandbox, request: Request, account_id: str, name: str) -> Response:
    """PUT .../media/{mediaName}: store (or overwrite) the body; 204."""
    content = request.get_data()
    if len(content) > MAX_MEDIA_BYTES:
        return messaging_error(413, "request-too-large", "Media must be at most 3.5 MB")
    content_type = request.content_type or "application/octet-stream"
    sandbox.store.put_media(account_id, name, content_type, content, sandbox.now())
    return Response(status=204)


def delete(sandbox: Sandbox, account_id: str, name: str) -> Response:
    """DELETE .../media/{mediaName}: 204 (also when it was already gone, like S3)."""
    sandbox.store.delete_media(account_id, name)
    return Response(status=204)


def list_media(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """GET .../media: up to 1000 entries; more via the Continuation-Token header."""
    after = request.headers.get("Continuation-Token", "")
    rows = sandbox.store.list_media(account_id, after, PAGE_SIZE + 1)
    page = rows[:PAGE_SIZE]
    body: list[dict[str, Any]] = [
        {"contentLength": size, "mediaName": name, "content": media_url(sandbox, account_id, name)}
        for name, size in page
    ]
    headers = {"Continuation-Token": page[-1][0]} if len(rows) > PAGE_SIZE else None
    return json_response(body, headers=headers)
