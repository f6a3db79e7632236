"""Imports through the client API: each file judged alone, bad files listed with a reason,
nothing half-written, duplicates never added twice."""

import io
import json
import stat
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from annotation.models import ImportJob, Item
from annotation.services import imports
from annotation.services.api_keys import api_key_revoke
from tests.annotation.factories import STREET_SCHEMA, OrganisationFactory, ProjectFactory, api_key_for, jpeg_bytes
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(org):
    return ProjectFactory(organisation=org, label_schema=dict(STREET_SCHEMA))


def png_bytes(width=40, height=30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def rotated_jpeg(width=60, height=20) -> bytes:
    """A JPEG stored landscape with EXIF orientation 6 (displayed portrait)."""
    image = Image.new("RGB", (width, height), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def bomb_png() -> bytes:
    """A tiny PNG that declares 8000x8000 pixels (64 MP, over the 40 MP limit)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG")
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def post_import(client, project, files, annotations=None, execute=None):
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files]}
    if annotations is not None:
        data["annotations"] = SimpleUploadedFile("coco.json", json.dumps(annotations).encode())
    return client.post(f"/api/v1/projects/{project.pk}/imports/", data, format="multipart")


@pytest.fixture
def run_import(client_api, project, django_capture_on_commit_callbacks):
    def run(files, annotations=None, client=None, target=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_import(client or client_api, target or project, files, annotations)
        assert response.status_code == 202, response.content
        assert_matches_schema(response, "post")
        polled = (client or client_api).get(f"/api/v1/imports/{response.json()['id']}/")
        assert_matches_schema(polled)
        return polled.json()

    return run


def test_good_and_bad_files_each_judged_alone(run_import, project):
    job = run_import(
        [
            ("a.jpg", jpeg_bytes(64, 48, (1, 2, 3))),
            ("b.png", png_bytes()),
            ("truncated.jpg", jpeg_bytes(200, 200, (9, 9, 9))[:300]),
            ("notes.txt", b"not an image at all"),
            ("bomb.png", bomb_png()),
            ("c.gif", _gif()),
        ]
    )
    assert job["status"] == "succeeded"
    assert (job["total"], job["processed"], job["accepted"], job["duplicates"], job["rejected"]) == (6, 6, 2, 0, 4)
    reasons = {error["file"]: error["reason"] for error in job["errors"]}
    assert set(reasons) == {"truncated.jpg", "notes.txt", "bomb.png", "c.gif"}
    assert "megapixel" in reasons["bomb.png"]
    assert "JPEG, PNG or WebP" in reasons["c.gif"]
    assert sorted(Item.objects.filter(project=project).values_list("file_name", flat=True)) == ["a.jpg", "b.png"]


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def test_sending_the_same_files_again_gives_only_duplicates(run_import, project):
    files = [("a.jpg", jpeg_bytes(64, 48, (1, 2, 3))), ("b.png", png_bytes())]
    run_import(files)
    again = run_import(files)
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 0)
    assert Item.objects.filter(project=project).count() == 2


def test_exif_orientation_gives_displayed_size_and_files_are_served(run_import, client_api, project):
    run_import([("portrait.jpg", rotated_jpeg(60, 20))])
    item = Item.objects.get(project=project)
    assert (item.width, item.height) == (20, 60)
    listed = client_api.get(f"/api/v1/projects/{project.pk}/items/").json()["results"][0]
    assert (listed["width"], listed["height"], listed["file_name"]) == (20, 60, "portrait.jpg")
    image = client_api.get(f"/api/v1/items/{item.pk}/image/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert image["X-Content-Type-Options"] == "nosniff"
    thumb = client_api.get(f"/api/v1/items/{item.pk}/thumbnail/")
    assert thumb["Content-Type"] == "image/webp"
    thumbnail = Image.open(io.BytesIO(b"".join(thumb.streaming_content)))
    assert thumbnail.format == "WEBP" and max(thumbnail.size) <= 256


def test_zip_archives_are_checked_entry_by_entry(run_import, project):
    archive = make_zip(
        {
            "scenes/one.jpg": jpeg_bytes(32, 32, (5, 5, 5)),
            "scenes/two.png": png_bytes(),
            "../escape.jpg": jpeg_bytes(32, 32, (6, 6, 6)),
            "/abs.jpg": jpeg_bytes(32, 32, (7, 7, 7)),
            "inner.zip": make_zip({"x.jpg": jpeg_bytes()}),
            "sneaky.jpg": make_zip({"y.jpg": jpeg_bytes(8, 8)}),
            "__MACOSX/scenes/._one.jpg": b"resource fork",
            "scenes/.hidden.jpg": jpeg_bytes(32, 32, (8, 8, 8)),
        },
        symlinks={"link.jpg": "/etc/passwd"},
    )
    job = run_import([("batch.zip", archive)])
    assert job["accepted"] == 2
    reasons = {error["file"]: error["reason"] for error in job["errors"]}
    assert set(reasons) == {"../escape.jpg", "/abs.jpg", "inner.zip", "sneaky.jpg", "link.jpg"}
    assert "“..”" in reasons["../escape.jpg"]
    assert "Absolute" in reasons["/abs.jpg"]
    assert "inside archives" in reasons["inner.zip"] and "inside archives" in reasons["sneaky.jpg"]
    assert "Symbolic" in reasons["link.jpg"]
    assert job["total"] == 7  # hidden files and __MACOSX are skipped, not counted
    names = set(Item.objects.filter(project=project).values_list("file_name", flat=True))
    assert names == {"scenes/one.jpg", "scenes/two.png"}


def test_zip_limits(run_import, settings):
    settings.IMPORT_ZIP_MAX_ENTRIES = 2
    job = run_import([("many.zip", make_zip({f"{i}.jpg": jpeg_bytes(8, 8, (i, i, i)) for i in range(3)}))])
    assert job["accepted"] == 0 and "more than 2 files" in job["errors"][0]["reason"]
    settings.IMPORT_ZIP_MAX_ENTRIES = 100
    settings.IMPORT_ZIP_MAX_TOTAL_BYTES = 100
    job = run_import([("big.zip", make_zip({"a.jpg": jpeg_bytes(64, 64, (1, 1, 1))}))])
    assert job["accepted"] == 0 and "unpacks to more" in job["errors"][0]["reason"]


def test_a_corrupt_zip_is_one_rejected_file(run_import):
    job = run_import([("broken.zip", b"PK\x03\x04 this is not really a zip")])
    assert job["rejected"] == 1 and "zip" in job["errors"][0]["reason"]


def coco(images, annotations, categories=(("car", 1), ("person", 2))):
    return {
        "images": [{"id": i, "file_name": name, "width": w, "height": h} for i, (name, w, h) in enumerate(images, 1)],
        "annotations": [{"id": n, **a} for n, a in enumerate(annotations, 1)],
        "categories": [{"id": cid, "name": name} for name, cid in categories],
    }


def test_coco_pre_annotations_become_prefill(run_import, project):
    data = coco(
        [("a.jpg", 64, 48), ("b.png", 40, 30)],
        [
            {"image_id": 1, "category_id": 1, "bbox": [1.5, 2.25, 10, 20], "segmentation": []},
            {"image_id": 1, "category_id": 2, "segmentation": [[1, 1, 30, 1, 30, 40]], "bbox": [1, 1, 29, 39]},
        ],
    )
    data["images"][1]["attributes"] = {"class": "night"}
    job = run_import([("a.jpg", jpeg_bytes(64, 48, (1, 2, 3))), ("b.png", png_bytes())], annotations=data)
    assert job["accepted"] == 2
    a = Item.objects.get(file_name="a.jpg")
    assert a.prefill["shapes"] == [
        {"type": "bbox", "label": "car", "x": 1.5, "y": 2.25, "w": 10, "h": 20},
        {"type": "polygon", "label": "person", "points": [[1, 1], [30, 1], [30, 40]]},
    ]
    assert Item.objects.get(file_name="b.png").prefill == {"shapes": [], "class": "night"}


def test_bad_pre_annotations_are_left_out_and_their_images_kept(run_import, project):
    data = coco(
        [("a.jpg", 64, 48), ("b.png", 40, 30), ("c.jpg", 50, 50)],
        [
            {"image_id": 1, "category_id": 3, "bbox": [1, 1, 5, 5]},  # truck: not a label
            {"image_id": 1, "category_id": 9, "bbox": [1, 1, 5, 5]},  # no such category
            {"image_id": 2, "category_id": 1, "bbox": [30, 20, 50, 50]},  # outside 40x30
            {"image_id": 2, "category_id": 2, "bbox": [1, 1, 5, 5]},  # fits
            {"image_id": 3, "category_id": 1, "bbox": [1, 1, 5, 5]},
        ],
        categories=(("car", 1), ("person", 2), ("truck", 3)),
    )
    job = run_import(
        [("a.jpg", jpeg_bytes(64, 48, (1, 2, 3))), ("b.png", png_bytes()), ("c.jpg", jpeg_bytes(50, 50, (3, 3, 3)))],
        annotations=data,
    )
    assert (job["accepted"], job["rejected"], job["errors"]) == (3, 0, [])
    warnings = {warning["file"]: warning for warning in job["warnings"]}
    assert set(warnings) == {"a.jpg", "b.png"}
    assert warnings["a.jpg"]["code"] == "unknown_label" and "truck" in warnings["a.jpg"]["reason"]
    assert warnings["a.jpg"]["reason"].startswith("2 pre-annotations were left out")
    assert warnings["b.png"]["code"] == "box_outside_image" and "outside" in warnings["b.png"]["reason"]
    prefill = dict(Item.objects.values_list("file_name", "prefill"))
    assert prefill["a.jpg"] == {"shapes": [], "class": None}
    assert prefill["b.png"]["shapes"] == [{"type": "bbox", "label": "person", "x": 1, "y": 1, "w": 5, "h": 5}]
    assert len(prefill["c.jpg"]["shapes"]) == 1


def test_rejected_files_carry_a_code_and_a_sentence_in_the_requesters_language(run_import, client_api, project):
    job = run_import([("notes.txt", b"not an image at all"), ("bomb.png", bomb_png())])
    assert {(e["file"], e["code"]) for e in job["errors"]} == {
        ("notes.txt", "unsupported_format"),
        ("bomb.png", "too_many_pixels"),
    }
    client_api.credentials(
        HTTP_AUTHORIZATION=client_api._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    chinese = run_import([("notes2.txt", b"still not an image")], client=client_api)
    [error] = chinese["errors"]
    assert error["code"] == "unsupported_format" and "JPEG" in error["reason"] and "不是" in error["reason"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"annotations": []}', "images"),
        (
            b'{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"image_id": 9, "category_id": 1}]}',
            "image_id",
        ),
        (b"[" * 50_000 + b"]" * 50_000, "not valid JSON"),
    ],
)
def test_an_unreadable_coco_file_is_a_400_and_nothing_is_written(client_api, project, content, reason):
    response = client_api.post(
        f"/api/v1/projects/{project.pk}/imports/",
        {"files": [SimpleUploadedFile("a.jpg", jpeg_bytes())], "annotations": SimpleUploadedFile("c.json", content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert reason in response.json()["annotations"][0]
    assert not ImportJob.objects.exists()


def test_no_files_is_a_400(client_api, project):
    response = client_api.post(f"/api/v1/projects/{project.pk}/imports/", {}, format="multipart")
    assert response.status_code == 400
    assert "files" in response.json()


def test_an_oversize_request_is_a_413(client_api, project, settings):
    settings.IMPORT_MAX_REQUEST_BYTES = 1000
    response = post_import(client_api, project, [("a.jpg", jpeg_bytes(300, 300, (1, 1, 1)))])
    assert response.status_code == 413
    assert "detail" in response.json()
    assert not ImportJob.objects.exists()


def test_an_oversize_image_is_rejected_alone(run_import, settings):
    big, small = png_bytes(400, 400), jpeg_bytes(8, 8)
    assert len(big) > 1200 > len(small)
    settings.IMPORT_MAX_FILE_BYTES = 1200
    job = run_import([("big.png", big), ("small.jpg", small)])
    assert job["accepted"] == 1
    assert job["errors"][0]["file"] == "big.png"


def test_other_organisations_get_404_and_no_key_401(run_import, project, client_api):
    run_import([("a.jpg", jpeg_bytes())])
    job = ImportJob.objects.get()
    item = Item.objects.get()
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(OrganisationFactory(name='Rival'))}")
    for url in [
        f"/api/v1/projects/{project.pk}/",
        f"/api/v1/projects/{project.pk}/items/",
        f"/api/v1/projects/{project.pk}/progress/",
        f"/api/v1/imports/{job.pk}/",
        f"/api/v1/items/{item.pk}/image/",
        f"/api/v1/items/{item.pk}/thumbnail/",
    ]:
        assert other.get(url).status_code == 404, url
        assert APIClient().get(url).status_code == 401, url
    assert post_import(other, project, [("b.jpg", jpeg_bytes(9, 9))]).status_code == 404
    assert ImportJob.objects.count() == 1


def test_a_revoked_key_is_401(org, project):
    from annotation.models import ApiKey

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}", HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/api/v1/projects/").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(organisation=org))
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    client.credentials(HTTP_AUTHORIZATION="Token aidou_deadbeef_notakey")
    assert client.get("/api/v1/projects/").status_code == 401


def test_a_crashed_job_resumes_without_duplicates(project, monkeypatch):
    """A worker that died mid-job left it failed; retrying re-reads every file and the
    image already added counts as accepted, not as a duplicate or a new item."""
    job = imports.import_start(
        project=project,
        files=[SimpleUploadedFile("a.jpg", jpeg_bytes(20, 20, (1, 1, 1))), SimpleUploadedFile("b.png", png_bytes())],
    )
    real_ingest = imports._ingest
    calls = []

    def dies_on_second_file(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(imports, "_ingest", dies_on_second_file)
    with pytest.raises(RuntimeError):
        imports.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and Item.objects.count() == 1
    monkeypatch.setattr(imports, "_ingest", real_ingest)
    imports.import_retry(job=job)
    imports.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.accepted, job.duplicates) == ("succeeded", 2, 0)
    assert Item.objects.filter(project=project).count() == 2


def test_a_finished_job_is_not_run_twice(run_import, project):
    run_import([("a.jpg", jpeg_bytes())])
    assert imports.import_run(job_id=ImportJob.objects.get().pk) is None


def test_import_queries_do_not_grow_per_duplicate(project, django_assert_max_num_queries):
    files = [SimpleUploadedFile(f"{i}.jpg", jpeg_bytes(8, 8, (i, i, i))) for i in range(20)]
    job = imports.import_start(project=project, files=files)
    imports.import_run(job_id=job.pk)
    again = imports.import_start(
        project=project, files=[SimpleUploadedFile(f"{i}.jpg", jpeg_bytes(8, 8, (i, i, i))) for i in range(20)]
    )
    with django_assert_max_num_queries(12):
        imports.import_run(job_id=again.pk)
    again.refresh_from_db()
    assert again.duplicates == 20


def test_imports_keep_the_project_item_count(run_import, client_api, project):
    run_import([("a.jpg", jpeg_bytes(10, 10, (1, 1, 1))), ("b.png", png_bytes())])
    project.refresh_from_db()
    assert project.item_count == 2
    assert client_api.get(f"/api/v1/projects/{project.pk}/items/").json()["count"] == 2
