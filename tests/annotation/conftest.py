import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.annotation.factories import OrganisationFactory, api_key_for
from workforce.models import Role


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


@pytest.fixture
def team(centre, annotator):
    """The annotator's team at `centre`, the one batches are given to."""
    team = factories.TeamFactory(centre=centre, name="一组")
    team.members.add(annotator)
    return team


@pytest.fixture
def reviewer(centre):
    return factories.UserFactory(username="reviewer", centre=centre, roles=[Role.REVIEWER])


@pytest.fixture
def other_reviewer(other_centre):
    return factories.UserFactory(username="other_reviewer", centre=other_centre, roles=[Role.REVIEWER])
