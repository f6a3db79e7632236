"""Exports as files: every format's content, COCO through pycocotools and back through the
real import, safe zip member names, and a job that claims once, fails loudly and runs a
constant number of queries."""

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pycocotools.coco import COCO

from annotation import selectors
from annotation.models import ExportJob, Item
from annotation.services import exports, imports
from tests.annotation.factories import (
    STREET_SCHEMA,
    ExportJobFactory,
    ItemFactory,
    OrganisationFactory,
    ProjectFactory,
    jpeg_bytes,
)

pytestmark = pytest.mark.django_db

PREFILL = {
    "shapes": [
        {"type": "bbox", "label": "car", "x": 10.5, "y": 4, "w": 20.25, "h": 10},
        {"type": "polygon", "label": "person", "points": [[1, 1], [30, 2.5], [15, 40]]},
        {
            "type": "keypoints",
            "label": "person",
            "points": {"head": [30, 12, 2], "left_hand": [20.5, 30, 1], "right_hand": [0, 0, 0]},
        },
    ],
    "class": "night",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def project():
    return ProjectFactory(organisation=OrganisationFactory(name="Autodrive Ltd"), label_schema=dict(STREET_SCHEMA))


@pytest.fixture
def items(project):
    """Three 64x48 items: one with every kind of shape, one with a box only, one bare."""
    return [
        ItemFactory(project=project, file_name="street/a.jpg", prefill=PREFILL),
        ItemFactory(
            project=project,
            file_name="b.jpg",
            prefill={"shapes": [{"type": "bbox", "label": "person", "x": 0, "y": 0, "w": 64, "h": 48}], "class": None},
        ),
        ItemFactory(project=project, file_name="c.png", prefill=None),
    ]


def run_export(project, export_format: str, only_accepted: bool = False) -> ExportJob:
    job = exports.export_start(project=project, format=export_format, only_accepted=only_accepted)
    finished = exports.export_run(job_id=job.pk)
    assert finished is not None and finished.status == ExportJob.Status.SUCCEEDED, finished and finished.failure
    return finished


def read_json(job: ExportJob):
    with job.file.open("rb") as handle:
        return json.load(handle)


def read_zip(job: ExportJob) -> dict[str, bytes]:
    with job.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- Labels ----------------------------------------------------------------------------


def test_labels_are_the_prefill_until_accepted_work_exists(items):
    assert selectors.item_labels_for_export(items[0], only_accepted=False) == PREFILL
    assert selectors.item_labels_for_export(items[2], only_accepted=False) is None
    assert selectors.item_labels_for_export(items[0], only_accepted=True) is None


# --- COCO ------------------------------------------------------------------------------


def test_coco_lists_images_annotations_and_categories(project, items):
    job = run_export(project, "coco")
    data = read_json(job)

    assert job.items == job.total == job.processed == 3
    assert job.file.name.startswith("exports/") and job.file.name.endswith(".json")
    assert [c["name"] for c in data["categories"]] == ["car", "person"]
    assert [c["id"] for c in data["categories"]] == [1, 2]
    assert data["categories"][1]["keypoints"] == ["head", "left_hand", "right_hand"]
    assert data["images"] == [
        {"id": items[0].pk, "file_name": "street/a.jpg", "width": 64, "height": 48, "attributes": {"class": "night"}},
        {"id": items[1].pk, "file_name": "b.jpg", "width": 64, "height": 48, "attributes": {"class": None}},
        {"id": items[2].pk, "file_name": "c.png", "width": 64, "height": 48, "attributes": {"class": None}},
    ]
    box, polygon, keypoints, whole = data["annotations"]
    assert [a["id"] for a in data["annotations"]] == [1, 2, 3, 4]
    assert [a["image_id"] for a in data["annotations"]] == [items[0].pk] * 3 + [items[1].pk]
    assert box | {} == {"id": 1, "image_id": items[0].pk, "category_id": 1, "bbox": [10.5, 4, 20.25, 10],
                        "area": 202.5, "segmentation": [], "iscrowd": 0}  # fmt: skip
    assert polygon["category_id"] == 2
    assert polygon["segmentation"] == [[1, 1, 30, 2.5, 15, 40]]
    assert polygon["bbox"] == [1, 1, 29, 39]
    assert keypoints["keypoints"] == [30, 12, 2, 20.5, 30, 1, 0, 0, 0]
    assert keypoints["num_keypoints"] == 2
    assert whole["bbox"] == [0, 0, 64, 48]
    assert data["info"]["description"] == f"Aidou export of project {project.pk}"


def test_coco_of_a_project_without_classes_has_no_attributes(items, project):
    project.label_schema = {"tools": ["bbox", "polygon"], "labels": STREET_SCHEMA["labels"]}
    project.save()
    Item.objects.filter(pk=items[0].pk).update(prefill={"shapes": PREFILL["shapes"][:2], "class": None})
    data = read_json(run_export(project, "coco"))
    assert all("attributes" not in image for image in data["images"])
    assert "keypoints" not in data["categories"][0]
    assert len(data["annotations"]) == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning:pycocotools")
def test_coco_loads_in_pycocotools(project, items, tmp_path):
    path = tmp_path / "coco.json"
    with run_export(project, "coco").file.open("rb") as handle:
        path.write_bytes(handle.read())

    coco = COCO(str(path))

    assert sorted(coco.getImgIds()) == sorted(item.pk for item in items)
    assert coco.loadImgs(items[0].pk)[0]["file_name"] == "street/a.jpg"
    assert len(coco.getAnnIds(imgIds=[items[0].pk])) == 3
    assert coco.getCatIds(catNms=["person"]) == [2]
    polygon = coco.loadAnns(coco.getAnnIds(imgIds=[items[0].pk], catIds=[2]))[0]
    mask = coco.annToMask(polygon)
    assert mask.shape == (48, 64) and 400 < mask.sum() < 700  # the triangle's area is 567.5 px
    box = coco.loadAnns(coco.getAnnIds(imgIds=[items[0].pk], catIds=[1]))[0]
    assert box["bbox"] == [10.5, 4, 20.25, 10]


def test_coco_with_only_accepted_lists_images_without_annotations(project, items):
    job = run_export(project, "coco", only_accepted=True)
    data = read_json(job)
    assert [image["id"] for image in data["images"]] == [item.pk for item in items]
    assert all(image["attributes"] == {"class": None} for image in data["images"])
    assert data["annotations"] == []
    assert job.only_accepted is True and job.items == 3


def _coco_upload(images: list[dict], annotations: list[dict]) -> SimpleUploadedFile:
    categories = [
        {"id": 1, "name": "car", "supercategory": ""},
        {"id": 2, "name": "person", "supercategory": "", "keypoints": ["head", "left_hand", "right_hand"]},
    ]
    body = {"images": images, "annotations": annotations, "categories": categories}
    return SimpleUploadedFile("coco.json", json.dumps(body).encode(), content_type="application/json")


def _shapes_by_file(coco: dict) -> dict[str, list]:
    names = {image["id"]: image["file_name"] for image in coco["images"]}
    shapes: dict[str, list] = {name: [] for name in names.values()}
    for annotation in coco["annotations"]:
        shapes[names[annotation["image_id"]]].append(
            (
                annotation["category_id"],
                annotation["bbox"],
                annotation.get("segmentation") or [],
                annotation.get("keypoints") or [],
            )
        )
    return shapes


def _close(left, right) -> bool:
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(_close(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, int | float):
        return abs(left - right) <= 0.01
    return left == right


def test_a_coco_import_exports_the_same_boxes_polygons_and_key_points(project):
    """The real import service reads a client's COCO file; the export gives it back."""
    images = [
        {"id": 11, "file_name": "one.jpg", "width": 64, "height": 48, "attributes": {"class": "day"}},
        {"id": 12, "file_name": "two.jpg", "width": 64, "height": 48},
    ]
    annotations = [
        {"id": 1, "image_id": 11, "category_id": 1, "bbox": [3.333, 4.25, 20.5, 11.004], "segmentation": [],
         "area": 225.6, "iscrowd": 0},
        {"id": 2, "image_id": 11, "category_id": 2, "segmentation": [[5.5, 6.5, 40.25, 8.125, 22.75, 44.5, 4, 30]],
         "bbox": [4, 6.5, 36.25, 38], "area": 800, "iscrowd": 0},
        {"id": 3, "image_id": 12, "category_id": 2, "keypoints": [10, 12.5, 2, 0, 0, 0, 33.125, 20, 1],
         "num_keypoints": 2, "bbox": [10, 12.5, 23.125, 7.5], "area": 173, "iscrowd": 0},
        {"id": 4, "image_id": 12, "category_id": 1, "bbox": [0, 0, 64, 48], "segmentation": [], "area": 3072,
         "iscrowd": 0},
    ]  # fmt: skip
    files = [
        SimpleUploadedFile("one.jpg", jpeg_bytes(64, 48, (10, 20, 30)), content_type="image/jpeg"),
        SimpleUploadedFile("two.jpg", jpeg_bytes(64, 48, (90, 20, 30)), content_type="image/jpeg"),
    ]
    job = imports.import_start(project=project, files=files, annotations=_coco_upload(images, annotations))
    imported = imports.import_run(job_id=job.pk)
    assert imported.accepted == 2, imported.errors

    exported = read_json(run_export(project, "coco"))

    sent = _shapes_by_file({"images": images, "annotations": annotations})
    got = _shapes_by_file(exported)
    assert set(got) == {"one.jpg", "two.jpg"}
    for name in sent:
        assert len(got[name]) == len(sent[name])
        for expected, actual in zip(sent[name], got[name], strict=True):
            assert _close(expected, actual), (name, expected, actual)
    classes = {image["file_name"]: image["attributes"]["class"] for image in exported["images"]}
    assert classes == {"one.jpg": "day", "two.jpg": None}
    widths = {image["file_name"]: (image["width"], image["height"]) for image in exported["images"]}
    assert widths == {"one.jpg": (64, 48), "two.jpg": (64, 48)}


def test_an_exported_coco_file_imports_again_unchanged(project, items):
    """Export, then import the export into a fresh project: the same pre-annotations."""
    with run_export(project, "coco").file.open("rb") as handle:
        exported = handle.read()
    again = ProjectFactory(organisation=project.organisation, label_schema=dict(STREET_SCHEMA))
    files = [SimpleUploadedFile("a.jpg", jpeg_bytes(64, 48, (1, 2, 3)), content_type="image/jpeg")]
    body = json.loads(exported)
    body["images"][0]["file_name"] = "a.jpg"
    upload = SimpleUploadedFile("coco.json", json.dumps(body).encode(), content_type="application/json")
    job = imports.import_start(project=again, files=files, annotations=upload)
    assert imports.import_run(job_id=job.pk).accepted == 1
    assert Item.objects.get(project=again).prefill == PREFILL


# --- Pascal VOC ------------------------------------------------------------------------


def test_voc_is_a_zip_of_one_xml_per_image(project, items):
    members = read_zip(run_export(project, "voc"))

    assert sorted(members) == ["Annotations/a.xml", "Annotations/b.xml", "Annotations/c.xml"]
    root = ET.fromstring(members["Annotations/a.xml"])  # noqa: S314 (our own output)
    assert root.tag == "annotation"
    assert root.findtext("filename") == "street/a.jpg"
    assert (root.findtext("size/width"), root.findtext("size/height"), root.findtext("size/depth")) == ("64", "48", "3")
    objects = [
        (obj.findtext("name"), *(float(obj.findtext(f"bndbox/{tag}")) for tag in ("xmin", "ymin", "xmax", "ymax")))
        for obj in root.findall("object")
    ]
    # The box, the polygon's bounding box, the labelled key points' bounding box.
    assert objects == [("car", 10.5, 4, 30.75, 14), ("person", 1, 1, 30, 40), ("person", 20.5, 12, 30, 30)]
    whole = ET.fromstring(members["Annotations/b.xml"])  # noqa: S314
    assert [obj.findtext("bndbox/xmax") for obj in whole.findall("object")] == ["64"]
    bare = ET.fromstring(members["Annotations/c.xml"])  # noqa: S314
    assert bare.findtext("filename") == "c.png" and bare.findall("object") == []


def test_voc_with_only_accepted_has_files_without_objects(project, items):
    members = read_zip(run_export(project, "voc", only_accepted=True))
    assert len(members) == 3
    assert all(ET.fromstring(body).findall("object") == [] for body in members.values())  # noqa: S314


# --- YOLO ------------------------------------------------------------------------------


def _yolo_lines(body: bytes) -> list[tuple]:
    rows = []
    for line in body.decode().splitlines():
        index, *numbers = line.split()
        assert all(len(number.split(".")[1]) == 6 for number in numbers), line
        rows.append((int(index), *(float(number) for number in numbers)))
    return rows


def test_yolo_has_data_yaml_classes_and_normalised_labels(project, items):
    members = read_zip(run_export(project, "yolo"))

    assert sorted(members) == ["classes.txt", "data.yaml", "labels/a.txt", "labels/b.txt", "labels/c.txt"]
    data = yaml.safe_load(members["data.yaml"])
    assert data["names"] == ["car", "person"] and data["nc"] == 2
    assert members["classes.txt"].decode().splitlines() == ["car", "person"]
    # The box and the polygon's bounding box; key points are not YOLO boxes.
    a = _yolo_lines(members["labels/a.txt"])
    expected = [
        (0, (10.5 + 20.25 / 2) / 64, (4 + 10 / 2) / 48, 20.25 / 64, 10 / 48),
        (1, (1 + 29 / 2) / 64, (1 + 39 / 2) / 48, 29 / 64, 39 / 48),
    ]
    assert len(a) == len(expected)
    for got, want in zip(a, expected, strict=True):
        assert got[0] == want[0] and all(abs(g - w) < 1e-6 for g, w in zip(got[1:], want[1:], strict=True))
    assert _yolo_lines(members["labels/b.txt"]) == [(1, 0.5, 0.5, 1.0, 1.0)]
    assert members["labels/c.txt"] == b""


def test_yolo_names_survive_yaml_special_characters(project, items):
    project.label_schema = {
        "tools": ["bbox"],
        "labels": [
            {"name": 'car: "big"', "color": "#e6194b"},
            {"name": "- 行人 #1", "color": "#3cb44b"},
            {"name": "two\nlines", "color": "#3cb44b"},
        ],
    }
    project.save()
    Item.objects.filter(project=project).update(prefill=None)
    members = read_zip(run_export(project, "yolo"))
    assert yaml.safe_load(members["data.yaml"])["names"] == ['car: "big"', "- 行人 #1", "two\nlines"]
    assert members["classes.txt"].decode().splitlines() == ['car: "big"', "- 行人 #1", "two lines"]


# --- Our JSON --------------------------------------------------------------------------


def test_json_lists_every_item_with_its_labels(project, items):
    data = read_json(run_export(project, "json"))

    assert [record["id"] for record in data] == [item.pk for item in items]
    first = data[0]
    assert first == {
        "id": items[0].pk,
        "file_name": "street/a.jpg",
        "width": 64,
        "height": 48,
        "sha256": items[0].sha256,
        "status": "new",
        "prefill": PREFILL,
        "annotations": [],
        "consensus": PREFILL,
    }
    assert data[2]["prefill"] is None and data[2]["consensus"] is None


def test_json_with_only_accepted_has_no_consensus_yet(project, items):
    data = read_json(run_export(project, "json", only_accepted=True))
    assert [record["consensus"] for record in data] == [None, None, None]
    assert data[0]["prefill"] == PREFILL


def test_an_empty_project_exports_valid_files(project):
    assert read_json(run_export(project, "coco"))["images"] == []
    assert read_json(run_export(project, "json")) == []
    assert sorted(read_zip(run_export(project, "yolo"))) == ["classes.txt", "data.yaml"]
    assert read_zip(run_export(project, "voc")) == {}


# --- Zip member names --------------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["voc", "yolo"])
def test_zip_member_names_are_safe_and_unique(project, export_format):
    names = ["x.jpg", "dir/x.png", "X.jpg", "../../etc/passwd.jpg", "C:\\Windows\\evil.jpg", "/abs/x.jpg",
             'we:ird*na?me"<>|.jpg', "..", ".hidden.jpg", "CON.jpg", "nul", "", "1_x.jpg", "a\x01b.jpg"]  # fmt: skip
    for name in names:
        ItemFactory(project=project, file_name=name)
    folder = "Annotations/" if export_format == "voc" else "labels/"

    members = [name for name in read_zip(run_export(project, export_format)) if name.startswith(folder)]

    stems = [member.removeprefix(folder).rsplit(".", 1)[0] for member in members]
    assert len(members) == len(names)
    assert len({stem.casefold() for stem in stems}) == len(stems)
    for stem in stems:
        assert stem and not stem.startswith(".") and ".." not in stem
        assert not set(stem) & set('/\\:*?"<>|\x01')
        assert stem.split(".")[0].upper() not in {"CON", "NUL"}
    assert stems[:3] == ["x", "1_x", "2_X"]  # the case of a name is kept; clashes ignore it
    assert "passwd" in stems and "evil" in stems


# --- The job ---------------------------------------------------------------------------


def test_an_unknown_format_is_refused_by_field(project):
    with pytest.raises(ValidationError) as caught:
        exports.export_start(project=project, format="tfrecord")
    assert "format" in caught.value.message_dict
    assert not ExportJob.objects.exists()


def test_start_queues_the_task_on_commit_and_keeps_the_language(project, items, django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = exports.export_start(project=project, format="coco", only_accepted=False)
        assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.QUEUED
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.language == "zh-hans"
    assert job.status == ExportJob.Status.SUCCEEDED and job.items == 3
    assert job.started_at and job.finished_at


def test_only_a_queued_job_is_claimed(project, items):
    job = exports.export_start(project=project, format="json")
    assert exports.export_run(job_id=job.pk) is not None
    name = ExportJob.objects.get(pk=job.pk).file.name

    assert exports.export_run(job_id=job.pk) is None  # a re-delivered task
    running = ExportJobFactory(project=project, status=ExportJob.Status.RUNNING)
    assert exports.export_run(job_id=running.pk) is None
    assert ExportJob.objects.get(pk=job.pk).file.name == name
    assert ExportJob.objects.get(pk=running.pk).status == ExportJob.Status.RUNNING


def test_a_failing_export_is_marked_failed_and_raises(project, items, monkeypatch):
    def broken(path, project, rows):
        next(iter(rows))
        raise OSError("disk full")

    monkeypatch.setitem(exports.WRITERS, "coco", broken)
    job = exports.export_start(project=project, format="coco")
    with pytest.raises(OSError, match="disk full"):
        exports.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "disk full" not in job.failure and "unexpected error" in job.failure  # no internals shown
    assert job.finished_at is not None and not job.file


def test_a_file_saved_for_a_job_that_then_fails_is_deleted(project, items, monkeypatch, settings):
    real_save = exports._Progress.save

    def failing_final_save(self, **fields):
        if "status" in fields:
            raise RuntimeError("database went away")
        real_save(self, **fields)

    monkeypatch.setattr(exports._Progress, "save", failing_final_save)
    job = exports.export_start(project=project, format="coco")
    with pytest.raises(RuntimeError):
        exports.export_run(job_id=job.pk)
    assert ExportJob.objects.get(pk=job.pk).status == ExportJob.Status.FAILED
    assert (settings.MEDIA_ROOT / "exports").is_dir()  # it was saved ...
    assert not list((settings.MEDIA_ROOT / "exports").rglob("*.json"))  # ... and is gone


def test_progress_is_saved_while_the_export_runs(project, items, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY_SECONDS", -1)  # save after every item
    seen = []
    real_save = exports._Progress.save

    def spy(self, **fields):
        seen.append(self.processed)
        real_save(self, **fields)

    monkeypatch.setattr(exports._Progress, "save", spy)
    run_export(project, "json")
    assert seen == [1, 2, 3, 3]


def test_shapes_of_a_label_no_longer_in_the_schema_are_left_out_and_said(project, items):
    project.label_schema = {**STREET_SCHEMA, "labels": [{"name": "car", "color": "#e6194b"}]}
    project.save()  # bypassing project_update, which refuses to drop a label in use
    job = run_export(project, "coco")
    data = read_json(job)
    assert [a["category_id"] for a in data["annotations"]] == [1]
    assert job.errors == [{"reason": "3 shapes whose label is no longer in the project were left out."}]


@pytest.mark.parametrize("export_format", ["coco", "voc", "yolo", "json"])
def test_the_job_runs_the_same_queries_for_5_or_50_items(export_format, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY_SECONDS", 3600)  # no timed progress writes in the count
    counts = []
    for size in (5, 50):
        project = ProjectFactory(label_schema=dict(STREET_SCHEMA))
        for _ in range(size):
            ItemFactory(project=project, prefill=PREFILL)
        job = exports.export_start(project=project, format=export_format, only_accepted=False)
        with CaptureQueriesContext(connection) as captured:
            exports.export_run(job_id=job.pk)
        assert ExportJob.objects.get(pk=job.pk).items == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_memory_does_not_grow_with_the_project(monkeypatch):
    """tracemalloc's peak while writing COCO for 300 and for 1,200 items (100 rows per
    chunk): a writer that kept rows or shapes would grow four-fold."""
    import tracemalloc

    monkeypatch.setattr(exports, "CHUNK_SIZE", 100)
    peaks = []
    for size in (300, 1200):
        project = ProjectFactory(label_schema=dict(STREET_SCHEMA))
        Item.objects.bulk_create(
            Item(
                project=project,
                file_name=f"{n}.jpg",
                image="i.jpg",
                thumbnail="t.webp",
                content_type="image/jpeg",
                width=64,
                height=48,
                sha256=f"{n:064x}",
                prefill=PREFILL,
            )  # fmt: skip
            for n in range(size)
        )
        job = exports.export_start(project=project, format="coco", only_accepted=False)
        tracemalloc.start()
        try:
            exports.export_run(job_id=job.pk)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert ExportJob.objects.get(pk=job.pk).items == size
    assert peaks[1] < peaks[0] * 1.5, peaks


def test_a_finished_export_tells_the_webhooks(project, items):
    webhooks = pytest.importorskip("annotation.services.webhooks")
    from annotation.models import WebhookDelivery
    from tests.annotation.factories import WebhookFactory

    WebhookFactory(organisation=project.organisation, events=["export.finished"])
    job = run_export(project, "coco")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "export.finished"
    assert delivery.payload == {"export": job.pk, "project": project.pk, "status": "succeeded", "format": "coco",
                                "items": 3}  # fmt: skip
    assert webhooks is not None
