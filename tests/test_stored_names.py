"""No stored name holds control or bidirectional-formatting characters (issue 18, item 8):
every name field is an aidou.fields.NameField, cleaned on every road that writes it."""

import pytest
from django.apps import apps
from django.db import models
from rest_framework.test import APIClient

from aidou.fields import NameField
from annotation.models import ApiKey, Item, Organisation, Project
from tests import factories
from tests.annotation.factories import STREET_SCHEMA, ItemFactory, OrganisationFactory, ProjectFactory, api_key_for
from workforce import services as workforce_services
from workforce.models import Centre, Team

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "photo\u202egpj.exe" shows as "photoexe.jpg"
HOSTILE = f" 街景{RLO}gpj.exe\u200b\x07\u2066 "


def test_an_api_client_cannot_store_a_bidi_override_in_a_name():
    organisation = OrganisationFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(organisation)}")
    body = {"name": HOSTILE, "instructions": "", "label_schema": STREET_SCHEMA, "overlap": 1}
    created = client.post("/api/v1/projects/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "街景gpj.exe"
    assert Project.objects.get().name == "街景gpj.exe"
    renamed = client.patch(f"/api/v1/projects/{created.json()['id']}/", {"name": f"a{RLO}b"}, format="json")
    assert renamed.json()["name"] == "ab" and Project.objects.get().name == "ab"


def test_every_write_road_cleans_names(centre, hr):
    team = workforce_services.team_create(actor=hr, centre=centre, name=HOSTILE)
    assert team.name == "街景gpj.exe"  # save(): the object shows what was stored
    Team.objects.filter(pk=team.pk).update(name=f"x{RLO}y")  # update()
    assert Team.objects.get(pk=team.pk).name == "xy"
    Centre.objects.bulk_create([Centre(name=f"c{RLO}1", county="宜君县")])  # bulk_create()
    assert Centre.objects.filter(name="c1").exists()
    project = ProjectFactory()
    items = [ItemFactory(project=project, file_name="a.jpg"), ItemFactory(project=project, file_name="b.jpg")]
    items[0].file_name = f"evil{RLO}gpj.exe"
    Item.objects.bulk_update(items, ["file_name"])  # bulk_update()
    assert Item.objects.get(pk=items[0].pk).file_name == "evilgpj.exe"
    # Look-ups compare a name as it is stored.
    assert Team.objects.get(name=f"x{RLO}y") == team


def test_a_person_s_name_is_cleaned(centre, hr):
    person = factories.UserFactory(centre=centre, name=f"王{RLO}秀英\u200f")
    person.refresh_from_db()
    assert person.name == "王秀英"
    organisation = Organisation.objects.create(name=f"Autodrive{RLO} Ltd ")
    assert Organisation.objects.get(pk=organisation.pk).name == "Autodrive Ltd"
    key = ApiKey.objects.get(
        pk=ApiKey.objects.create(organisation=organisation, name=f"ci{RLO}", prefix="p", key_hash="h").pk
    )
    assert key.name == "ci"


# Fields whose names say they hold a name someone gave: a new one must be a NameField too.
def test_every_free_text_name_field_is_a_name_field():
    unclean = []
    for model in apps.get_models():
        if model._meta.app_label not in {"annotation", "workforce", "certification", "childcare", "aidou"}:
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField) or field.choices:
                continue
            label = f"{model._meta.label_lower}.{field.name}"
            looks_like_a_name = field.name in {
                "name",
                "title",
                "label",
                "file_name",
                "original_name",
            } or field.name.endswith("_name")
            inherited_unused = label in {
                "workforce.user.first_name",
                "workforce.user.last_name",
            }  # `name` replaces them
            if looks_like_a_name and not inherited_unused and not isinstance(field, NameField):
                unclean.append(label)
    assert unclean == []
