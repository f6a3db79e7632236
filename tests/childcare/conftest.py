import pytest

from tests import factories
from tests.childcare import factories as care
from workforce.models import Role


@pytest.fixture
def lead(centre):
    """The centre's childcare lead."""
    return factories.UserFactory(username="care_lead", centre=centre, roles=[Role.CHILDCARE_STAFF])


@pytest.fixture
def guardian(centre, hr):
    return factories.worker(actor=hr, centre=centre, name="李秀兰")


@pytest.fixture
def other_guardian(centre, hr):
    return factories.worker(actor=hr, centre=centre, name="张桂芳")


@pytest.fixture
def after_school(centre):
    return care.room(centre, name="课后一班", capacity=20)


@pytest.fixture
def families_of_12(centre, hr):
    return [factories.worker(actor=hr, centre=centre, name=f"家长{i}") for i in range(12)]
