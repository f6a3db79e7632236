import pytest
from django.core.cache import caches
from django.db import connections
from django.utils import translation
from rest_framework.test import APIClient

from aidou.celery import app as celery_app
from tests import factories
from workforce.models import Role


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process, except in tests marked `worker`, which use a real worker."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Throttle counters and login locks start at zero in every test (they live in a cache
    the test database's rollback does not reach)."""
    for alias in ("default", "auth_guard"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Each test writes uploads and exports into its own folder, removed with it."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_messages():
    """Services' messages in English unless a test asks otherwise; pages follow the
    request's language as in production."""
    with translation.override("en"):
        yield


@pytest.fixture
def centre(db):
    return factories.CentreFactory(name="宜君测试中心", county="宜君县")


@pytest.fixture
def other_centre(db):
    return factories.CentreFactory(name="清涧测试中心", county="清涧县")


@pytest.fixture
def network_admin(db):
    return factories.UserFactory(username="netadmin", centre=None, roles=[Role.NETWORK_ADMIN])


@pytest.fixture
def hr(centre):
    return factories.UserFactory(username="hr", centre=centre, roles=[Role.HR])


@pytest.fixture
def other_hr(other_centre):
    return factories.UserFactory(username="other_hr", centre=other_centre, roles=[Role.HR])


@pytest.fixture
def supervisor(centre):
    return factories.UserFactory(username="supervisor", centre=centre, roles=[Role.SUPERVISOR])


@pytest.fixture
def manager(centre):
    return factories.UserFactory(username="manager", centre=centre, roles=[Role.CENTRE_MANAGER])


@pytest.fixture
def annotator(centre, hr):
    return factories.worker(actor=hr, centre=centre, name="王秀英")


@pytest.fixture
def outsider(other_centre, other_hr):
    """A person of another centre: everyone at `centre` must get 404 for them."""
    return factories.worker(actor=other_hr, centre=other_centre, name="外中心")


@pytest.fixture
def api():
    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def own_connection():
    """A database connection of the test's own, used as a web process uses one between
    requests (not the connection the test's own queries go through)."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()
