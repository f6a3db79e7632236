"""Factories for the annotation app. Items carry a real small JPEG and its thumbnail."""

import io

import factory
from django.core.files.base import ContentFile
from PIL import Image

from annotation.models import ApiKey, ExportJob, ImportJob, Item, Organisation, Project, Webhook, WebhookDelivery
from annotation.services.api_keys import api_key_create

STREET_SCHEMA = {
    "tools": ["bbox", "polygon", "keypoints", "classification"],
    "labels": [{"name": "car", "color": "#e6194b"}, {"name": "person", "color": "#3cb44b"}],
    "keypoints": ["head", "left_hand", "right_hand"],
    "classes": ["day", "night"],
}


def jpeg_bytes(width: int = 64, height: int = 48, colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Client {n}")


def api_key_for(organisation: Organisation) -> str:
    """A fresh key (the secret) for an organisation, made by the real service."""
    _, secret = api_key_create(organisation=organisation, name="test key")
    return secret


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key row whose secret nobody knows; use `api_key_for` to call the API."""

    class Meta:
        model = ApiKey

    organisation = factory.SubFactory(OrganisationFactory)
    name = "key"
    prefix = factory.Sequence(lambda n: f"f{n:07d}")
    key_hash = "0" * 64


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    label_schema = factory.LazyFunction(lambda: dict(STREET_SCHEMA))
    overlap = 1


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    file_name = factory.Sequence(lambda n: f"img_{n:05d}.jpg")
    width = 64
    height = 48
    content_type = "image/jpeg"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    image = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(), name="i.jpg"))
    thumbnail = factory.LazyFunction(lambda: ContentFile(jpeg_bytes(16, 12), name="t.webp"))

    @factory.post_generation
    def _count(self, create, extracted, **kwargs):
        # As imports do: the project's item count follows the items.
        if create:
            from annotation.services.projects import project_item_count_refresh

            project_item_count_refresh(project_id=self.project_id)


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    project = factory.SubFactory(ProjectFactory)
    staging_dir = "imports/test"


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportJob

    project = factory.SubFactory(ProjectFactory)
    format = ExportJob.Format.COCO


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    organisation = factory.SubFactory(OrganisationFactory)
    url = "https://hooks.example.com/aidou"
    events = factory.LazyFunction(lambda: ["import.finished"])
    secret_encrypted = factory.LazyFunction(lambda: __import__("aidou.crypto").crypto.encrypt_text("s3cret"))


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    event = "import.finished"
    payload = factory.LazyFunction(lambda: {"import": 1})


def labelling_project(*, items: int = 5, overlap: int = 1, width: int = 640, height: int = 480, **fields):
    """A project with `items` real images of the given size, ready to batch."""
    project = ProjectFactory(overlap=overlap, **fields)
    image = jpeg_bytes(width, height)
    for _ in range(items):
        ItemFactory(project=project, width=width, height=height, image=ContentFile(image, name="i.jpg"))
    return project


def accepted_work(batch, item, annotator, *, shapes, image_class=None, active_ms=10_000, review="not_sampled"):
    """One annotator's finished turn at an item with its annotation, already accepted
    (by default not sampled for review): the state the quality recomputation reads."""
    from django.utils import timezone

    from annotation.models import Annotation, Assignment

    now = timezone.now()
    assignment = Assignment.objects.create(
        batch=batch, item=item, annotator=annotator, status=Assignment.Status.SUBMITTED,
        leased_at=now, lease_expires_at=now, finished_at=now, active_ms=active_ms,
    )  # fmt: skip
    return Annotation.objects.create(
        assignment=assignment, item=item, annotator=annotator, shapes=shapes, image_class=image_class, review=review
    )
