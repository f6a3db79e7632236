import pytest
from rest_framework.test import APIClient

from annotation.models import Batch
from tests import factories
from tests.annotation.factories import OrganisationFactory, accepted_work, api_key_for, labelling_project
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


@pytest.fixture
def crowd(centre):
    """Three annotators of the centre, each with accepted work (not sampled) on every item
    of a twelve-item project; `careless` (zhao) draws a truck where the others (li, wang)
    draw a car, two pixels off, says night where they say day, in a second per item."""

    def box(label, x, y):
        return {"type": "bbox", "label": label, "x": x, "y": y, "w": 100, "h": 50}

    project = labelling_project(items=12, overlap=3, reject_reasons=["wrong label"])
    batch = Batch.objects.create(project=project, centre=centre, name="第一批")
    people = [
        factories.UserFactory(username=name, name=name, centre=centre, roles=[Role.ANNOTATOR])
        for name in ("li", "wang")
    ]
    careless = factories.UserFactory(username="zhao", name="zhao", centre=centre, roles=[Role.ANNOTATOR])
    for n, item in enumerate(project.items.order_by("id")):
        for person in people:
            accepted_work(batch, item, person, shapes=[box("car", 10 + n, 10)], image_class="day", active_ms=20_000)
        accepted_work(batch, item, careless, shapes=[box("truck", 12 + n, 10)], image_class="night", active_ms=1_000)
    return project, batch, people, careless
