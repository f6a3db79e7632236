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


def test_demo_leaves_open_batches_with_work_in_progress_for_the_demo_teams():
    from annotation.models import Annotation, Assignment, Batch
    from workforce.models import User

    call_command("seed_demo")
    call_command("seed_demo_client")
    call_command("seed_demo_client")  # idempotent: no second pair of batches
    batches = Batch.objects.all()
    assert batches.count() == 2 and all(batch.status == "open" for batch in batches)
    assert Annotation.objects.count() == 9
    assert Assignment.objects.filter(status="leased").count() == 1
    annotator = User.objects.get(username="yijun_annotator")
    client = APIClient()
    client.force_authenticate(annotator)
    task = client.post("/api/v1/assignments/next/")
    assert task.status_code == 200
    assert task.json()["batch"]["name"].startswith("街景第一批")
    supervisor = User.objects.get(username="yijun_supervisor")
    client.force_authenticate(supervisor)
    listed = client.get("/api/v1/batches/").json()["results"]
    assert sum(batch["progress"]["slots_done"] for batch in listed) == 9
    # The demo reviewer finds work waiting, after having accepted some and sent one back.
    reviewer = User.objects.get(username="yijun_reviewer")
    client.force_authenticate(reviewer)
    assert client.get("/api/v1/review-queue/").json()["count"] == 5
    assert Assignment.objects.filter(status="rework").count() == 1
