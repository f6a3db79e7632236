import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.management.commands.seed_demo_client import DEMO_KEY
from annotation.models import ApiKey, Item, Project

pytestmark = pytest.mark.django_db


def test_demo_client_is_idempotent_and_its_key_works(capsys):
    call_command("seed_demo_client")
    call_command("seed_demo_client")
    assert capsys.readouterr().out.count(DEMO_KEY) == 4  # printed (key and curl line) on every run
    assert Project.objects.count() == 1 and ApiKey.objects.count() == 1
    items = Item.objects.all()
    assert items.count() == 40
    assert all(item.prefill and item.prefill["shapes"] for item in items)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {DEMO_KEY}")
    project = client.get("/api/v1/projects/").json()["results"][0]
    assert client.get(f"/api/v1/projects/{project['id']}/progress/").json()["items"] == 40
