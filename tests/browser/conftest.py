"""Browser tests: Debian's Chromium driven by Playwright against Django's live server.

Run with `pytest -m browser` (make test does). Never downloads a browser.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django_scopes import scopes_disabled
from playwright.sync_api import Page

from accounts.models import Firm, User
from accounts.tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from test
# code are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
PHONE = {"width": 390, "height": 844}


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits(page: Page) -> bool:
    """The page needs no sideways scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def sign_in(live_server: Any, page: Page) -> Callable[[User], Page]:
    """Sign `user` in through the real sign-in form; returns the page on Communications."""

    def go(user: User) -> Page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/communications/")
        return page

    return go


@pytest.fixture
def live_texting(
    live_server: Any,
    sandbox: Any,
    texting_firm: Firm,
    worker_env: None,
    request: pytest.FixtureRequest,
) -> Iterator[Firm]:
    """The firm texting through the sandbox, whose callbacks reach the live server; with
    REDIS_URL, a worker process pointed at the same sandbox."""
    sandbox.control.set_settings(callback_url=live_server.url)
    request.getfixturevalue("real_worker")
    yield texting_firm


def settled(check: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Wait until `check()` holds, reading the database from the test's thread. On SQLite
    the live server's threads share one in-memory database whose writers lock whole tables:
    a page that writes (opening a thread marks it read) while the provider's callbacks are
    still being stored would fail with "table is locked", so journeys wait for them first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with scopes_disabled():
                if check():
                    return
        except OperationalError:
            pass  # a writer holds the table: look again
        time.sleep(0.2)
    raise AssertionError("the app did not settle in time")
