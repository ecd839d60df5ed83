"""ProviderConfig: one origin for the sandbox, a full base per API family in production."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from texting.provider import AuthMode, ProviderClient, ProviderConfig


def test_one_origin_derives_every_family(settings):
    settings.PROVIDER_API_URL = "http://127.0.0.1:8025/"
    settings.PROVIDER_ACCOUNT_ID = "9900000"
    settings.PROVIDER_MESSAGING_URL = ""
    settings.PROVIDER_NUMBERS_URL = ""
    settings.PROVIDER_VERIFICATION_URL = ""
    settings.PROVIDER_OAUTH_URL = ""
    settings.PROVIDER_CONNECT_TIMEOUT = 1.5
    settings.PROVIDER_READ_TIMEOUT = 4.0
    config = ProviderConfig.from_settings()
    assert config.messaging_url == "http://127.0.0.1:8025/api/v2"
    assert config.verification_url == "http://127.0.0.1:8025/api/v2"
    assert config.numbers_url == "http://127.0.0.1:8025/api"
    assert config.oauth_token_url == "http://127.0.0.1:8025/api/v1/oauth2/token"
    assert config.timeout == (1.5, 4.0)


def test_family_overrides_are_full_bases_as_bandwidth_documents_them(settings):
    settings.PROVIDER_API_URL = ""
    settings.PROVIDER_ACCOUNT_ID = "9900000"
    settings.PROVIDER_MESSAGING_URL = "https://messaging.bandwidth.com/api/v2/"
    settings.PROVIDER_VERIFICATION_URL = "https://api.bandwidth.com/api/v2"
    settings.PROVIDER_NUMBERS_URL = "https://dashboard.bandwidth.com/api"
    settings.PROVIDER_OAUTH_URL = "https://api.bandwidth.com/api/v1/oauth2/token"
    config = ProviderConfig.from_settings()
    assert config.messaging_url == "https://messaging.bandwidth.com/api/v2"
    client = ProviderClient(config)
    assert client.media_prefix == "https://messaging.bandwidth.com/api/v2/users/9900000/media/"
    assert config.oauth_token_url == "https://api.bandwidth.com/api/v1/oauth2/token"


def test_missing_base_url_is_a_configuration_error(settings):
    settings.PROVIDER_API_URL = ""
    settings.PROVIDER_MESSAGING_URL = ""
    with pytest.raises(ImproperlyConfigured):
        ProviderConfig.from_settings()


def test_missing_account_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured):
        ProviderConfig.for_origin("http://127.0.0.1:1", account_id="")


@pytest.mark.parametrize("url", ["ftp://x", "127.0.0.1:8025", "http://u:p@host", "http://h/?q=1"])
def test_bad_base_urls_are_refused(url):
    with pytest.raises(ImproperlyConfigured):
        ProviderConfig.for_origin(url, account_id="1")


def test_oauth_is_preferred_when_both_credentials_are_set():
    both = ProviderConfig.for_origin(
        "http://h", account_id="1", client_id="c", client_secret="s", username="u", password="p"
    )
    assert both.auth_mode is AuthMode.OAUTH2
    basic = ProviderConfig.for_origin("http://h", account_id="1", username="u", password="p")
    assert basic.auth_mode is AuthMode.BASIC
    assert ProviderConfig.for_origin("http://h", account_id="1").auth_mode is AuthMode.NONE


def test_secrets_are_not_in_the_repr():
    config = ProviderConfig.for_origin(
        "http://h", account_id="1", client_id="c", client_secret="s3cr3t", password="pa55"
    )
    assert "s3cr3t" not in repr(config) and "pa55" not in repr(config)


def test_test_settings_build_a_client():
    client = ProviderClient.from_settings()
    assert client.config.account_id
    client.close()
