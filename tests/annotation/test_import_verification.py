"""What an import still verifies now that JPEG thumbnails are decoded in draft mode
(docs/decisions/0018): every byte of every image is decoded at upload, so a truncated
JPEG or a file of another kind is rejected then, not when an annotator opens it."""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from annotation.models import Item
from annotation.services import imports
from tests.annotation.factories import STREET_SCHEMA, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    return ProjectFactory(organisation=org, label_schema=dict(STREET_SCHEMA))


@pytest.fixture
def run_import(client_api, project, django_capture_on_commit_callbacks):
    """Upload the files through the API as a client does, run the job, return it polled."""

    def run(files):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_api.post(
                f"/api/v1/projects/{project.pk}/imports/",
                {"files": [SimpleUploadedFile(name, content) for name, content in files]},
                format="multipart",
            )
        assert response.status_code == 202, response.content
        return client_api.get(f"/api/v1/imports/{response.json()['id']}/").json()

    return run


def noisy_jpeg(width=640, height=480, *, progressive=False, seed=1) -> bytes:
    """A JPEG whose scan data is most of the file (random pixels do not compress), so a
    cut anywhere past the headers lands inside the coefficients."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, progressive=progressive)
    return buffer.getvalue()


def full_decode_fails(data: bytes) -> bool:
    """The reference: Pillow decoding the image at full size."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except OSError:
        return True
    return False


def ours_rejects(data: bytes) -> bool:
    try:
        imports._decode(data)
    except imports.FileRejected as exc:
        assert exc.code == "invalid_image"
        return True
    return False


def test_a_jpeg_is_decoded_small_for_its_thumbnail_but_keeps_its_size():
    image, size, image_format, _ = imports._decode(noisy_jpeg(1280, 720))
    assert (size, image_format) == ((1280, 720), "JPEG")
    # Thumbnail 256x144: 1/4 is the smallest scale still at least that large (1/8: 160x90).
    assert image.size == (320, 180)


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_draft_decoding_rejects_every_cut_that_a_full_decode_rejects(progressive):
    """Cut the file at 40 points from just past the headers to two bytes short of the
    end: the draft decode refuses exactly the cuts that the full-size decode refuses, and
    (a cut inside the coefficients) those are all of them."""
    data = noisy_jpeg(progressive=progressive)
    assert not ours_rejects(data)
    start = data.index(b"\xff\xda") + 20  # inside the first scan
    cuts = sorted({start + (len(data) - 2 - start) * n // 39 for n in range(40)})
    verdicts = [(cut, ours_rejects(data[:cut]), full_decode_fails(data[:cut])) for cut in cuts]
    assert [(cut, ours) for cut, ours, _ in verdicts] == [(cut, full) for cut, _, full in verdicts]
    assert all(ours for _, ours, _ in verdicts)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("cut.jpg", noisy_jpeg()[:30_000], "invalid_image"),
        ("cut-progressive.jpg", noisy_jpeg(progressive=True, seed=2)[:60_000], "invalid_image"),
        ("headers-only.jpg", noisy_jpeg(seed=3)[:400], "invalid_image"),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported_format"),
        ("scan.bmp", None, "unsupported_format"),  # Pillow reads BMP; we do not accept it
        ("page.jpg", b"<!doctype html><script>alert(1)</script>", "unsupported_format"),
        ("report.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "unsupported_format"),
    ],
)
def test_a_bad_file_is_rejected_at_upload_and_its_neighbour_kept(run_import, project, name, content, code):
    if content is None:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (1, 2, 3)).save(buffer, "BMP")
        content = buffer.getvalue()
    job = run_import([(name, content), ("good.jpg", noisy_jpeg(seed=9))])
    assert (job["status"], job["accepted"], job["rejected"]) == ("succeeded", 1, 1)
    assert [(error["file"], error["code"]) for error in job["errors"]] == [(name, code)]
    assert list(Item.objects.filter(project=project).values_list("file_name", flat=True)) == ["good.jpg"]


def test_rows_are_written_in_batches_and_the_counts_match_the_items(project, settings):
    """60 images at 25 a batch: three INSERTs, and the job never counts an image as
    accepted before its row is there."""
    settings.THUMBNAIL_SIZE = 16
    files = [SimpleUploadedFile(f"{n}.jpg", noisy_jpeg(40, 30, seed=100 + n)) for n in range(60)]
    job = imports.import_start(project=project, files=files, enqueue=False)
    seen = []
    real_add = imports._Progress.add

    def add(self, outcome, rejection=None, warning=None):
        real_add(self, outcome, rejection, warning)
        seen.append((self.counts["accepted"], Item.objects.filter(project=project).count()))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imports, "ROWS_PER_BATCH", 25)
        patch.setattr(imports._Progress, "add", add)
        with CaptureQueriesContext(connection) as queries:
            imports.import_run(job_id=job.pk)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "annotation_item"')]
    assert len(inserts) == 3
    job.refresh_from_db()
    assert (job.status, job.accepted) == ("succeeded", 60)
    assert all(accepted <= items for accepted, items in seen)
    assert Item.objects.filter(project=project).count() == 60


def test_the_same_image_twice_in_one_import_is_one_item(run_import, project):
    data = noisy_jpeg(seed=5)
    job = run_import([("a.jpg", data), ("b.jpg", noisy_jpeg(seed=6)), ("a-again.jpg", data)])
    assert (job["accepted"], job["duplicates"], job["rejected"]) == (3, 0, 0)
    assert Item.objects.filter(project=project).count() == 2
