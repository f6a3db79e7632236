"""Client exports: a project's items and their labels as COCO, Pascal VOC, YOLO or our JSON.

`export_start` records the job and queues it; `export_run` (the Celery task) streams the
items out of the database (`.iterator()` over a few columns, one query) into a file in a
temporary folder on local disk, then saves that file through Django storage. Nothing
holds the whole export in memory: one chunk of rows and, for zips, the archive's list of
member names. What an item's labels are is `selectors.item_labels_for_export`'s answer.

Zip member names come from the items' file names but are never paths: the base name
without its extension, with characters that are unsafe on common file systems replaced,
and a numeric prefix (`1_x.xml`, `2_x.xml`) when two items would get the same name.
"""

import contextlib
import json
import logging
import posixpath
import re
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aidou.jobs import JobKind, job_claim, job_fail, job_requeue
from aidou.text import clean_file_name
from annotation.coco import coco_categories, shape_to_coco
from annotation.models import ApiKey, ExportJob, Item, Project
from annotation.selectors import (
    annotation_labels,
    current_annotations_prefetch,
    gold_answer_prefetch,
    item_labels_for_export,
)

log = logging.getLogger(__name__)

EXTENSIONS = {"coco": "json", "json": "json", "voc": "zip", "yolo": "zip"}
CONTENT_TYPES = {"json": "application/json", "zip": "application/zip"}
# Every column any format writes; the big ones (images, thumbnails) are never read.
ITEM_FIELDS = ("id", "file_name", "width", "height", "sha256", "status", "prefill")
CHUNK_SIZE = 500
PROGRESS_EVERY_SECONDS = 1.0

Labelled = tuple[Item, dict | None]


def export_file_name(job: ExportJob) -> str:
    """The name a client downloads the export as: `project-<id>-<format>.<ext>`."""
    return f"project-{job.project_id}-{job.format}.{EXTENSIONS[job.format]}"


def export_content_type(job: ExportJob) -> str:
    return CONTENT_TYPES[EXTENSIONS[job.format]]


# --- Start -----------------------------------------------------------------------------


@transaction.atomic
def export_start(
    *,
    project: Project,
    format: str,
    only_accepted: bool = True,
    api_key: ApiKey | None = None,
    created_by=None,
) -> ExportJob:
    """Record an export of `project` and queue it once the transaction commits. The caller
    has checked that the actor may see the project. Raises ValidationError naming
    `format` for a format we do not write (nothing is written then)."""
    if format not in ExportJob.Format.values:
        raise ValidationError(
            {
                "format": [
                    _("“%(format)s” is not an export format; use one of: %(formats)s.")
                    % {"format": format, "formats": ", ".join(ExportJob.Format.values)}
                ]
            }
        )
    job = ExportJob.objects.create(
        project=project,
        api_key=api_key,
        created_by=created_by if getattr(created_by, "pk", None) else None,
        format=format,
        only_accepted=bool(only_accepted),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from annotation.tasks import export_task

    export_task.delay(job_id)


# --- Run -------------------------------------------------------------------------------


def export_run(*, job_id: int) -> ExportJob | None:
    """Write a queued export. A job is claimed with aidou.jobs.job_claim, so a re-delivered
    task does nothing (returns None) unless the job's worker died. On any error the job is marked
    failed with the reason in `failure`, the temporary file (and a file already saved
    to storage) is removed and the error is raised again. Runs a constant number of queries whatever the project's size."""
    if not job_claim(ExportJob, job_id, processed=0, items=0, errors=[]):
        return None
    job = ExportJob.objects.select_related("project").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _run(job)
        except Exception:
            log.exception("export %s failed", job_id)
            if job.file:  # saved, but the job could not be marked done: no orphan in storage
                with contextlib.suppress(OSError):
                    job.file.delete(save=False)
            job_fail(ExportJob, job_id)
            job.refresh_from_db()
            _after_finish(job)
            raise
    job.refresh_from_db()
    _after_finish(job)
    return job


def export_retry(*, job: ExportJob) -> ExportJob:
    """Queue again a failed export, or one whose worker died; it is written from the
    start. Raises Conflict for an export that is queued, running or done. The caller has
    checked that the actor may see the export."""
    job_requeue(job, _enqueue, refusal=_("Only a failed export can be run again."))
    return job


class _Progress:
    """Counts items as they are written and saves the count about once a second."""

    def __init__(self, job: ExportJob):
        self.job_id = job.pk
        self.processed = 0
        self.left_out_shapes = 0
        self.last_saved = time.monotonic()

    def add(self) -> None:
        self.processed += 1
        if time.monotonic() - self.last_saved > PROGRESS_EVERY_SECONDS:
            self.save()

    def save(self, **fields) -> None:
        ExportJob.objects.filter(pk=self.job_id).update(processed=self.processed, heartbeat_at=timezone.now(), **fields)
        self.last_saved = time.monotonic()


def _run(job: ExportJob) -> None:
    project = job.project
    items = (
        Item.objects.filter(project=project)
        .order_by("id")
        .only(*ITEM_FIELDS)
        .prefetch_related(current_annotations_prefetch(), gold_answer_prefetch())
    )
    ExportJob.objects.filter(pk=job.pk).update(total=items.count())
    progress = _Progress(job)
    label_names = set(project.label_names)
    rows = _labelled(items.iterator(chunk_size=CHUNK_SIZE), job, project, label_names, progress)
    name = export_file_name(job)
    with tempfile.TemporaryDirectory(prefix="aidou-export-", dir=settings.FILE_UPLOAD_TEMP_DIR) as folder:
        path = Path(folder) / name
        WRITERS[job.format](path, project, rows)
        with path.open("rb") as handle:
            job.file.save(name, File(handle, name=name), save=False)
    errors = []
    if progress.left_out_shapes:
        errors.append(
            {
                "reason": _("%(n)d shapes whose label is no longer in the project were left out.")
                % {"n": progress.left_out_shapes}
            }
        )
    progress.save(
        status=ExportJob.Status.SUCCEEDED,
        file=job.file.name,
        items=progress.processed,
        total=progress.processed,  # items added while the export ran are not in it
        errors=errors,
        finished_at=timezone.now(),
    )


def _labelled(
    items: Iterator[Item], job: ExportJob, project: Project, label_names: set[str], progress: _Progress
) -> Iterator[Labelled]:
    """Each item with its labels, counted as the writer takes it. Shapes whose label the
    schema no longer has are left out (and counted), so no writer has to guess."""
    for item in items:
        labels = item_labels_for_export(item, only_accepted=job.only_accepted, project=project)
        if labels is not None:
            shapes = labels.get("shapes") or []
            kept = [shape for shape in shapes if shape.get("label") in label_names]
            if len(kept) != len(shapes):
                progress.left_out_shapes += len(shapes) - len(kept)
                labels = {**labels, "shapes": kept}
        yield item, labels
        progress.add()


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# --- COCO ------------------------------------------------------------------------------


def _coco_context(project: Project) -> tuple[list[dict], dict[str, int], list[str]]:
    categories = coco_categories(project.label_schema)
    category_ids = {category["name"]: category["id"] for category in categories}
    keypoint_names: list[str] = next((c["keypoints"] for c in categories if "keypoints" in c), [])
    return categories, category_ids, keypoint_names


def _write_coco(path: Path, project: Project, rows: Iterator[Labelled]) -> None:
    """`images` are written as the items stream by and their annotations go to a second
    file beside it, appended after the images: one pass over the rows, two lists."""
    categories, category_ids, keypoint_names = _coco_context(project)
    has_classes = "classification" in project.label_schema.get("tools", [])
    now = timezone.now()
    info = {
        "description": f"Aidou export of project {project.pk}",
        "version": "1.0",
        "year": now.year,
        "date_created": now.isoformat(timespec="seconds"),
    }
    annotations_path = path.with_name(path.name + ".annotations")
    annotation_id = 0
    with path.open("w", encoding="utf-8") as out, annotations_path.open("w+", encoding="utf-8") as annotations:
        out.write(f'{{"info":{_dumps(info)},"licenses":[],"categories":{_dumps(categories)},"images":[')
        separator = ""
        for item, labels in rows:
            image: dict = {"id": item.pk, "file_name": item.file_name, "width": item.width, "height": item.height}
            if has_classes:
                image["attributes"] = {"class": labels.get("class") if labels else None}
            out.write(separator + "\n" + _dumps(image))
            separator = ","
            records = []
            for shape in (labels or {}).get("shapes") or []:
                annotation_id += 1
                coco = shape_to_coco(shape, category_ids=category_ids, keypoint_names=keypoint_names)
                records.append({"id": annotation_id, "image_id": item.pk, **coco})
            if records:
                # One encoding per item: the list's brackets off, the records' commas kept.
                annotations.write(("," if annotation_id > len(records) else "") + "\n" + _dumps(records)[1:-1])
        out.write('\n],"annotations":[')
        annotations.seek(0)
        shutil.copyfileobj(annotations, out)
        out.write("\n]}\n")
    annotations_path.unlink()


# --- Our JSON --------------------------------------------------------------------------


def _write_json(path: Path, project: Project, rows: Iterator[Labelled]) -> None:
    """A JSON list with one item per line: each item's current work (`annotations`, each
    with its annotator, revision, review decision and, for a fix, the fixed version) and
    the `consensus`, the labels the other formats carry."""
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        separator = ""
        for item, labels in rows:
            record: dict = {
                "id": item.pk,
                "file_name": item.file_name,
                "width": item.width,
                "height": item.height,
                "sha256": item.sha256,
                "status": item.status,
                "prefill": item.prefill,
                "annotations": [
                    _annotation_record(annotation) for annotation in getattr(item, "current_annotations", [])
                ],
                "consensus": labels,
            }
            out.write(separator + "\n" + _dumps(record))
            separator = ","
        out.write("\n]\n")


def _annotation_record(annotation) -> dict:
    return {
        "id": annotation.pk,
        "annotator": annotation.annotator_id,
        "revision": annotation.revision,
        "review": annotation.review,
        "shapes": annotation.shapes,
        "class": annotation.image_class,
        "reviewed": annotation_labels(annotation) if annotation.review == "fixed" else None,
        "created_at": annotation.created_at.isoformat(),
    }


# --- Zips: Pascal VOC and YOLO -----------------------------------------------------------

# Characters XML 1.0 cannot hold at all.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Characters that are not safe in a file name on Linux, macOS or Windows.
_NOT_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
MAX_STEM = 150


class _MemberNames:
    """Unique, safe stems for zip members. Case is ignored, as macOS and Windows do when
    the zip is unpacked."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.next_number: dict[str, int] = {}

    def stem_for(self, file_name: str) -> str:
        # Without folders, control and bidi characters (names stored before imports
        # cleaned them may still hold some): aidou.text.clean_file_name.
        base = clean_file_name(file_name)
        # No leading dot (a hidden file) and no trailing dot or space (Windows drops them).
        stem = _NOT_IN_FILE_NAMES.sub("_", posixpath.splitext(base)[0])[:MAX_STEM].strip(" .") or "unnamed"
        if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
            stem = f"_{stem}"
        key = stem.casefold()
        candidate, number = stem, self.next_number.get(key, 0)
        while candidate.casefold() in self.used:
            number += 1
            candidate = f"{number}_{stem}"
        self.next_number[key] = number
        self.used.add(candidate.casefold())
        return candidate


def _text(value) -> str:
    return _NOT_XML.sub("", str(value))


def _number(value: float) -> str:
    """Pixels as written by us: at most two decimals, no trailing zeros."""
    return format(round(value, 2), ".2f").rstrip("0").rstrip(".")


def _boxes(labels: dict | None, category_ids: dict[str, int], keypoint_names: list[str]) -> Iterator[tuple]:
    """(label, x, y, w, h) of every shape: a box as it is, a polygon's or the labelled key
    points' bounding box (COCO's own, from `shape_to_coco`). Key points with none
    labelled have no box."""
    for shape in (labels or {}).get("shapes") or []:
        coco = shape_to_coco(shape, category_ids=category_ids, keypoint_names=keypoint_names)
        if shape["type"] == "keypoints" and not coco["num_keypoints"]:
            continue
        yield (shape["label"], shape["type"], *coco["bbox"])


def _voc_xml(item: Item, labels: dict | None, category_ids: dict, keypoint_names: list) -> bytes:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "images"
    ET.SubElement(root, "filename").text = _text(item.file_name)
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(item.width)
    ET.SubElement(size, "height").text = str(item.height)
    ET.SubElement(size, "depth").text = "3"
    ET.SubElement(root, "segmented").text = "0"
    for label, _kind, x, y, w, h in _boxes(labels, category_ids, keypoint_names):
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = _text(label)
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        box = ET.SubElement(obj, "bndbox")
        for tag, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
            ET.SubElement(box, tag).text = _number(value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _write_voc(path: Path, project: Project, rows: Iterator[Labelled]) -> None:
    """`Annotations/<stem>.xml` per item. Coordinates are the image's pixels as drawn
    (0-based, up to two decimals); polygons and key points give their bounding box."""
    _categories, category_ids, keypoint_names = _coco_context(project)
    names = _MemberNames()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item, labels in rows:
            stem = names.stem_for(item.file_name)
            archive.writestr(f"Annotations/{stem}.xml", _voc_xml(item, labels, category_ids, keypoint_names))


def _yolo_data_yaml(project: Project) -> str:
    names = project.label_names
    # JSON strings are valid YAML strings, so names with quotes or colons stay one name.
    return (
        f"# YOLO labels of Aidou project {project.pk}. Put the images in images/ beside labels/,\n"
        "# named as the label files (same stem).\n"
        "path: .\ntrain: images\nval: images\n"
        f"nc: {len(names)}\nnames: [{', '.join(json.dumps(name, ensure_ascii=False) for name in names)}]\n"
    )


def _unit(value: float) -> str:
    return f"{min(max(value, 0.0), 1.0):.6f}"


def _write_yolo(path: Path, project: Project, rows: Iterator[Labelled]) -> None:
    """`data.yaml`, `classes.txt` and `labels/<stem>.txt` per item (empty when it has no
    boxes): `class cx cy w h` normalised to 0..1. Boxes and polygons' bounding boxes;
    key points are left out (YOLO's pose format is a different layout)."""
    _categories, category_ids, keypoint_names = _coco_context(project)
    names = _MemberNames()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.yaml", _yolo_data_yaml(project))
        # One name a line: a line break inside a name (the schema allows one) would split it.
        archive.writestr("classes.txt", "".join(" ".join(name.splitlines()) + "\n" for name in project.label_names))
        for item, labels in rows:
            lines = []
            for label, kind, x, y, w, h in _boxes(labels, category_ids, keypoint_names):
                if kind == "keypoints":
                    continue
                cx, cy = (x + w / 2) / item.width, (y + h / 2) / item.height
                lines.append(
                    f"{category_ids[label] - 1} {_unit(cx)} {_unit(cy)} {_unit(w / item.width)} {_unit(h / item.height)}\n"
                )
            archive.writestr(f"labels/{names.stem_for(item.file_name)}.txt", "".join(lines))


WRITERS: dict[str, Callable[[Path, Project, Iterator[Labelled]], None]] = {
    ExportJob.Format.COCO: _write_coco,
    ExportJob.Format.VOC: _write_voc,
    ExportJob.Format.YOLO: _write_yolo,
    ExportJob.Format.JSON: _write_json,
}


def _after_finish(job: ExportJob) -> None:
    """Tell the client's webhooks that the export ended."""
    from annotation.services.webhooks import webhook_event_emit

    webhook_event_emit(
        organisation_id=job.project.organisation_id,
        event="export.finished",
        payload={"export": job.pk, "project": job.project_id, "status": job.status, "format": job.format,
                 "items": job.items},
    )  # fmt: skip


EXPORT_JOB_KIND = JobKind(name="export", model=ExportJob, enqueue=_enqueue, failed=_after_finish, related=("project",))
