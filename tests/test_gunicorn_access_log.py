"""gunicorn's access lines (config/gunicorn.py): JSON, and nothing a log must not hold."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.gunicorn import AccessJsonLogger


def access_line(capsys: pytest.CaptureFixture[str], path: str, query: str = "") -> dict:
    config = Config()
    config.set("accesslog", "-")
    logger = AccessJsonLogger(config)
    response = SimpleNamespace(
        status="404 Not Found", headers=[("X-Request-ID", "req-42")], sent=179
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "RAW_URI": f"{path}?{query}",
        "HTTP_REFERER": f"https://firm.example{path}?{query}",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1
    return json.loads(lines[0])


def test_an_access_line_is_json_with_the_request_id(capsys) -> None:
    line = access_line(capsys, "/communications/")

    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/communications/", 404)
    assert (line["request_id"], line["bytes"], line["duration_ms"]) == ("req-42", 179, 12.0)


def test_gunicorns_own_lines_are_json_too(capsys) -> None:
    config = Config()
    logger = AccessJsonLogger(config)

    logger.info("Booting worker with pid: %s", 4242)

    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["logger"], line["level"]) == ("gunicorn.error", "INFO")
    assert line["message"] == "Booting worker with pid: 4242"


def test_a_payment_token_the_query_and_phone_numbers_stay_out(capsys) -> None:
    token = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5"
    paid = access_line(capsys, f"/pay/{token}/", query="amount=10")
    searched = access_line(capsys, "/contacts/+12025550143/", query="q=%2B12025550143")

    assert paid["path"] == "/pay/<token>/"
    assert token not in json.dumps(paid) and "amount" not in json.dumps(paid)
    assert "2025550143" not in json.dumps(searched)
    assert searched["path"].endswith("0143/")
