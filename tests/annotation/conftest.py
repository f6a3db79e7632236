import pytest
from rest_framework.test import APIClient

from tests.annotation.factories import OrganisationFactory, api_key_for


@pytest.fixture
def org(db):
    return OrganisationFactory(name="Autodrive Ltd")


@pytest.fixture
def key(org) -> str:
    """A real API key of `org` (the secret)."""
    return api_key_for(org)


@pytest.fixture
def client_api(key):
    """The API as `org` calls it: its key in the Authorization header."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")  # messages in English
    return client
