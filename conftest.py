"""Fixtures every test module can use: two firms, their members, clients and scopes.

Every test that touches firm data has a second firm around, so a missing firm filter shows
up as a leak instead of passing unnoticed (RELIABILITY.md section 4.2).
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from accounts.models import ApiToken, Firm, Membership, User
from accounts.services import api_token_create
from accounts.tests.factories import FirmFactory, MembershipFactory

# The whole run's logs are scanned for message bodies and phone numbers (issue 9).
pytest_plugins = ["common.testing.logscan"]


@pytest.fixture
def firm(db: None) -> Firm:
    return FirmFactory(name="Garcia & Associates")


@pytest.fixture
def other_firm(db: None) -> Firm:
    return FirmFactory(name="Other Firm LLP")


@pytest.fixture
def admin(firm: Firm) -> User:
    """An admin of `firm`."""
    return MembershipFactory(firm=firm, role=Membership.Role.ADMIN).user


@pytest.fixture
def member(firm: Firm) -> User:
    """A staff member of `firm`."""
    return MembershipFactory(firm=firm, role=Membership.Role.STAFF).user


@pytest.fixture
def outsider(other_firm: Firm) -> User:
    """An admin of `other_firm`: allowed everything there, nothing in `firm`."""
    return MembershipFactory(firm=other_firm, role=Membership.Role.ADMIN).user


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    """A browser-like client signed in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client_for(db: None) -> Callable[..., APIClient]:
    """An API client authenticating as the user with a new bearer token."""

    def make(user: User, scope: str = ApiToken.Scope.READ_WRITE) -> APIClient:
        with scopes_disabled():
            membership = Membership.objects.select_related("firm").get(user=user)
            _, raw = api_token_create(firm=membership.firm, user=user, name="test", scope=scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def firm_scope(firm: Firm) -> Callable[[], AbstractContextManager[None]]:
    """`with firm_scope():` runs direct service calls and ORM asserts as `firm` would."""

    def enter() -> AbstractContextManager[None]:
        return scope(firm=firm.id)

    return enter


@pytest.fixture
def unscoped() -> Iterator[None]:
    """For assertions that look across firms on purpose (counting every firm's rows)."""
    with scopes_disabled():
        yield


@pytest.fixture
def real_worker(transactional_db: None) -> Iterator[object]:
    """A Celery worker process when REDIS_URL is set (CI); in-process tasks otherwise.

    Needs transactional_db: the worker is another connection and sees committed rows only.
    """
    from django.conf import settings as django_settings

    if not django_settings.REDIS_URL:
        yield None
        return
    from common.testing.worker import running_worker

    with running_worker() as process:
        yield process


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """Tasks run inside the test, as on embedded defaults, even when REDIS_URL names a broker:
    for tests of what a task does or logs, not of how it travels (real_worker does that)."""
    from config.celery import app

    eager = {"task_always_eager": True, "task_eager_propagates": True}
    before = {name: app.conf.get(name) for name in eager}
    app.conf.update(eager)
    yield
    app.conf.update(before)


@pytest.fixture(scope="session", autouse=True)
def _empty_task_queue() -> None:
    """With a real broker, drop tasks a previous run left queued (their rows are gone)."""
    from django.conf import settings as django_settings

    if django_settings.REDIS_URL:
        from config.celery import app

        app.control.purge()


FIRM_TOLL_FREE_NUMBER = "+18445550100"


@pytest.fixture(scope="session")
def provider_sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One provider sandbox process for the session; `sandbox` resets it per test."""
    from provider_sandbox.testing import running_sandbox

    with running_sandbox(state_dir=tmp_path_factory.mktemp("provider-sandbox")) as process:
        yield process


@pytest.fixture
def sandbox(provider_sandbox_process: Any, settings: Any) -> Any:
    """The sandbox, reset, with the app's provider settings pointing at it.

    Callbacks are recorded but not sent (callback_url None); a test that wants them posted
    to the app sets `sandbox.control.set_settings(callback_url=live_server.url)`.
    """
    from texting.provider import clear_token_cache

    process = provider_sandbox_process
    process.control.reset()
    process.control.set_settings(
        callback_url=None,
        block_unverified=False,
        verification_delay_seconds=0.2,
        callback_retry_schedule=[0.2, 0.5, 1.0],
    )
    settings.PROVIDER_API_URL = process.url
    settings.PROVIDER_ACCOUNT_ID = process.account_id
    settings.PROVIDER_APPLICATION_ID = "sandbox-application"
    settings.PROVIDER_USERNAME = process.username
    settings.PROVIDER_PASSWORD = process.password
    settings.PROVIDER_CLIENT_ID = ""
    settings.PROVIDER_CLIENT_SECRET = ""
    for family in ("MESSAGING", "NUMBERS", "VERIFICATION", "OAUTH"):
        setattr(settings, f"PROVIDER_{family}_URL", "")
    clear_token_cache()
    return process


@pytest.fixture
def texting_firm(firm: Firm, sandbox: Any) -> Firm:
    """`firm` with texting set up: its toll-free number assigned and owned in the sandbox."""
    firm.toll_free_number_e164 = FIRM_TOLL_FREE_NUMBER
    firm.save()
    sandbox.control.own_number(FIRM_TOLL_FREE_NUMBER)
    return firm


@pytest.fixture
def worker_env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker process reads its settings from the environment: point it at the sandbox."""
    monkeypatch.setenv("PROVIDER_API_URL", sandbox.url)
    monkeypatch.setenv("PROVIDER_ACCOUNT_ID", sandbox.account_id)
    monkeypatch.setenv("PROVIDER_USERNAME", sandbox.username)
    monkeypatch.setenv("PROVIDER_PASSWORD", sandbox.password)
    monkeypatch.setenv("PROVIDER_APPLICATION_ID", "sandbox-application")


def _services_configured() -> bool:
    from django.conf import settings as django_settings

    engine = django_settings.DATABASES["default"]["ENGINE"]
    return bool(django_settings.REDIS_URL) and engine == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `services` run against PostgreSQL and Redis (as in CI's first pass) and
    are deselected, not skipped, on a machine without them (CI's second pass)."""
    if _services_configured():
        return
    kept = [item for item in items if item.get_closest_marker("services") is None]
    deselected = [item for item in items if item.get_closest_marker("services") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
