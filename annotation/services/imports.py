"""Client imports: images and zips in, items out, each file judged alone.

`import_start` stages the request's files in storage (streamed from Django's temporary
upload files, never held whole in memory) and queues the job; `import_run` (the Celery
task) reads them one by one. A file that is not a readable JPEG/PNG/WebP, is over the
pixel limit, or is an unsafe zip entry is listed in `errors` with its reason and a
stable `code`; the rest go through. A pre-annotation that does not fit its image (an
unknown category, a box outside the image) is dropped and the image kept, with a
`warnings` entry saying so. De-duplication is by SHA-256 within the project, backed by
a unique constraint, so re-sending a request or re-running a job never adds an image
twice.

Memory: a zip entry is read in bounded chunks (aidou.archives), an image is decoded once
and its thumbnail made from it in place, so one worker's import holds at most one file
(IMPORT_MAX_FILE_BYTES) and one decoded image (IMPORT_MAX_PIXELS at 4 bytes a pixel):
docs/decisions/0011-bounded-untrusted-input.md gives the measured ceiling.
"""

import contextlib
import hashlib
import io
import json
import logging
import os
import stat
import struct
import time
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import ExifTags, Image

from aidou import archives
from aidou.errors import Conflict
from aidou.jobs import JobKind, job_claim, job_fail, job_requeue
from aidou.memory import keep_large_buffers
from aidou.parsers import UntrustedJSONError, json_loads_untrusted
from aidou.text import clean_file_name, clean_name_part
from annotation.coco import CocoError, coco_to_prefill, prefill_drop
from annotation.models import ApiKey, ImportJob, Item, Project
from annotation.schema import SchemaError, clean_annotation
from annotation.services.projects import project_item_count_refresh
from annotation.services.webhooks import webhook_event_emit

log = logging.getLogger(__name__)

# Pillow's own guard: over this it raises DecompressionBombError instead of allocating.
Image.MAX_IMAGE_PIXELS = settings.IMPORT_MAX_PIXELS
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# How JPEG and PNG files begin (a WebP file says WEBP at byte 8): what tells a damaged image
# of ours from a file of another kind.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
# EXIF orientations and how to turn the thumbnail upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Modes the thumbnail is shrunk in before it is converted to RGB(A): converting first
# would hold a second full-size copy (a palette image shrinks badly, so it converts first).
_SHRINK_FIRST = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})
NESTED_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
PROGRESS_EVERY_SECONDS = 1.0


class FileRejected(Exception):
    """This one file cannot become an item: the message says why to a person, `code` to
    a program (the codes are listed in the API's import job schema, ImportSerializer)."""

    def __init__(self, reason: str, *, code: str, name: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.name = name


@dataclass
class Unit:
    name: str
    data: bytes


# --- Start -----------------------------------------------------------------------------


def import_start(
    *,
    project: Project,
    files: list[UploadedFile],
    annotations: UploadedFile | None = None,
    api_key: ApiKey | None = None,
    created_by=None,
    enqueue: bool = True,
) -> ImportJob:
    """Stage the files and queue the job (`enqueue=False`: the caller runs `import_run`
    itself, as the demo loader does). Raises ValidationError naming `files` or
    `annotations` when the request itself is unusable (nothing is written then)."""
    if not files:
        raise ValidationError({"files": [_("Send at least one image or zip file.")]})
    coco_prefill = None
    if annotations is not None:
        coco_prefill = _read_coco(annotations, project)
    staging = f"imports/{uuid.uuid4().hex}"
    uploads = []
    try:
        for index, upload in enumerate(files):
            path = default_storage.save(f"{staging}/{index:05d}.upload", upload)
            uploads.append({"name": clean_file_name(upload.name), "path": path})
        annotations_path = ""
        if coco_prefill is not None:
            annotations_path = default_storage.save(
                f"{staging}/prefill.json", ContentFile(json.dumps(coco_prefill).encode())
            )
        with transaction.atomic():
            job = ImportJob.objects.create(
                project=project,
                api_key=api_key,
                created_by=created_by if getattr(created_by, "pk", None) else None,
                staging_dir=staging,
                uploads=uploads,
                annotations_path=annotations_path,
                total=len(uploads),
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
            if enqueue:
                transaction.on_commit(lambda: _enqueue(job.pk))
    except Exception:
        _discard_staging(staging, [upload["path"] for upload in uploads])
        raise
    return job


def _enqueue(job_id: int) -> None:
    from annotation.tasks import import_task

    import_task.delay(job_id)


def _read_coco(upload: UploadedFile, project: Project) -> dict:
    # Both limits bound what parsing costs the web process before it starts: the bytes,
    # and the values they can hold (each a Python object; docs/decisions/0011).
    if (upload.size or 0) > settings.IMPORT_COCO_MAX_BYTES:
        raise ValidationError({"annotations": [_("The COCO file is too large.")]})
    raw = upload.read(settings.IMPORT_COCO_MAX_BYTES + 1)
    if len(raw) > settings.IMPORT_COCO_MAX_BYTES:
        raise ValidationError({"annotations": [_("The COCO file is too large.")]})
    try:
        data = json_loads_untrusted(raw, max_nodes=settings.IMPORT_COCO_MAX_VALUES)
    except UntrustedJSONError as exc:
        raise ValidationError(
            {"annotations": [_("The annotations file is not valid JSON: %(reason)s") % {"reason": exc.message}]}
        ) from exc
    del raw
    try:
        prefill, dropped = coco_to_prefill(data, project.label_schema)
    except CocoError as exc:
        raise ValidationError({"annotations": [str(exc)]}) from exc
    return {"prefill": prefill, "dropped": dropped}


def _discard_staging(staging: str, paths: list[str]) -> None:
    """Delete the staged files, then their folder (on local storage; an object store has
    no folders), so no empty folder is left under media/imports/."""
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            log.warning("could not delete staged file %s", path)
    try:
        folder = default_storage.path(staging)
    except NotImplementedError:
        return
    with contextlib.suppress(FileNotFoundError):
        try:
            os.rmdir(folder)
        except OSError:
            log.warning("staging folder %s is not empty", staging)


def import_staging_discard(*, job: ImportJob) -> None:
    """Remove a job's staged files and folder; the job can no longer be retried (its
    retry answers that the files must be sent again). Safe to call twice."""
    _discard_staging(
        job.staging_dir, [u["path"] for u in job.uploads] + [job.annotations_path] * bool(job.annotations_path)
    )
    ImportJob.objects.filter(pk=job.pk).update(uploads=[], annotations_path="")


# --- Run -------------------------------------------------------------------------------


def import_run(*, job_id: int) -> ImportJob | None:
    """Process a queued import (see aidou.jobs.job_claim: a re-delivered task also takes
    over a job whose worker died). A job runs from the start each time: images it already
    added count as accepted again, not as duplicates, and are never added twice."""
    if not job_claim(ImportJob, job_id, processed=0, accepted=0, duplicates=0, rejected=0, errors=[]):
        return None
    job = ImportJob.objects.select_related("project").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            _run(job)
        except Exception:
            log.exception("import %s failed", job_id)
            job_fail(ImportJob, job_id)
            job.refresh_from_db()
            _after_finish(job)
            raise
    job.refresh_from_db()
    _after_finish(job)
    return job


def import_retry(*, job: ImportJob) -> ImportJob:
    """Queue again a failed or stuck import whose staged files are still there."""
    refusal = _("This import cannot run again; send the files again instead.")
    if not job.uploads:
        raise Conflict(refusal)
    job_requeue(job, _enqueue, refusal=refusal)
    return job


class _Progress:
    def __init__(self, job: ImportJob):
        self.job = job
        self.counts = {"processed": 0, "accepted": 0, "duplicates": 0, "rejected": 0}
        # Counted from the uploads, not the row: a run again must not add a zip's entries twice.
        self.total = len(job.uploads)
        self.errors: list[dict] = []
        self.warnings: list[dict] = []
        self.last_saved = time.monotonic()

    def add(self, outcome: str, rejection: FileRejected | None = None, warning: dict | None = None) -> None:
        self.counts["processed"] += 1
        self.counts[outcome] += 1
        if rejection is not None:
            # The name as the client sent it (paths too, so they can find it), less what
            # cannot be stored or would display misleadingly.
            self.errors.append(
                {"file": clean_name_part(rejection.name)[:255], "code": rejection.code, "reason": rejection.reason}
            )
        if warning is not None:
            self.warnings.append(warning)
        if time.monotonic() - self.last_saved > PROGRESS_EVERY_SECONDS:
            self.save()

    def grow(self, extra: int) -> None:
        self.total += extra
        self.save()

    def save(self, **final) -> None:
        project_item_count_refresh(project_id=self.job.project_id)
        ImportJob.objects.filter(pk=self.job.pk).update(
            total=self.total,
            errors=self.errors,
            warnings=self.warnings,
            heartbeat_at=timezone.now(),
            **self.counts,
            **final,
        )
        self.last_saved = time.monotonic()


def _run(job: ImportJob) -> None:
    keep_large_buffers()
    project = job.project
    prefill, dropped = {}, {}
    if job.annotations_path:
        with default_storage.open(job.annotations_path, "rb") as handle:
            parsed = json.load(handle)
        prefill, dropped = parsed["prefill"], parsed.get("dropped", {})
    existing = dict(Item.objects.filter(project=project).values_list("sha256", "import_job_id"))
    progress = _Progress(job)
    for unit in _units(job, progress):
        if isinstance(unit, FileRejected):
            progress.add("rejected", unit)
            continue
        try:
            outcome, warning = _ingest(job, project, unit, existing, prefill, dropped)
        except FileRejected as exc:
            exc.name = unit.name
            progress.add("rejected", exc)
        else:
            progress.add(outcome, warning=warning)
    progress.save(status=ImportJob.Status.SUCCEEDED, finished_at=timezone.now())
    import_staging_discard(job=job)


def _units(job: ImportJob, progress: _Progress) -> Iterator[Unit | FileRejected]:
    """Each image to judge: uploaded images as they are, zips entry by entry."""
    for upload in job.uploads:
        name = upload["name"]
        try:
            handle = default_storage.open(upload["path"], "rb")
        except OSError:
            yield FileRejected(_("The uploaded file is missing; send it again."), code="missing_upload", name=name)
            continue
        with handle:
            head = handle.read(4)
            handle.seek(0)
            if head.startswith(b"PK\x03\x04") or name.lower().endswith(".zip"):
                yield from _zip_units(name, handle, progress)
                continue
            data = handle.read(settings.IMPORT_MAX_FILE_BYTES + 1)
        if len(data) > settings.IMPORT_MAX_FILE_BYTES:
            yield FileRejected(_("The file is larger than the limit for one image."), code="file_too_large", name=name)
        else:
            yield Unit(name, data)


def _zip_units(archive_name: str, handle, progress: _Progress) -> Iterator[Unit | FileRejected]:
    try:
        archive = zipfile.ZipFile(handle)
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        yield FileRejected(_("Not a readable zip archive."), code="unreadable_archive", name=archive_name)
        return
    wanted = [info for info in entries if not _skipped(info.filename)]
    if len(wanted) > settings.IMPORT_ZIP_MAX_ENTRIES:
        yield FileRejected(
            _("The archive has more than %(n)d files.") % {"n": settings.IMPORT_ZIP_MAX_ENTRIES},
            code="too_many_entries",
            name=archive_name,
        )
        return
    if sum(info.file_size for info in wanted) > settings.IMPORT_ZIP_MAX_TOTAL_BYTES:
        yield FileRejected(
            _("The archive unpacks to more than the allowed size."), code="archive_too_large", name=archive_name
        )
        return
    progress.grow(len(wanted) - 1)  # the archive counted as one file until now
    for info in wanted:
        name = info.filename
        refusal = _unsafe_entry(info)
        if refusal is not None:
            refusal.name = name
            yield refusal
            continue
        if info.file_size > settings.IMPORT_MAX_FILE_BYTES:
            yield FileRejected(_("The file is larger than the limit for one image."), code="file_too_large", name=name)
            continue
        try:
            # Bounded by the bytes that come out, not by what the header says (it may lie).
            data = archives.entry_read(archive, info, limit=settings.IMPORT_MAX_FILE_BYTES)
        except archives.ArchiveError as exc:
            yield FileRejected(exc.message, code=exc.code, name=name)
            continue
        if data[:4] == b"PK\x03\x04":
            yield FileRejected(_("Archives inside archives are not accepted."), code="nested_archive", name=name)
        else:
            yield Unit(clean_file_name(name, keep_folders=True), data)


def _skipped(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(part.startswith(".") and part not in (".", "..") for part in parts)


def _unsafe_entry(info: zipfile.ZipInfo) -> FileRejected | None:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return FileRejected(_("Absolute paths are not accepted in archives."), code="absolute_path")
    if ".." in name.split("/"):
        return FileRejected(_("Paths with “..” are not accepted in archives."), code="path_traversal")
    if stat.S_ISLNK(info.external_attr >> 16):
        return FileRejected(_("Symbolic links are not accepted in archives."), code="symbolic_link")
    if info.flag_bits & 0x1:
        return FileRejected(_("Encrypted archive entries are not accepted."), code="encrypted_entry")
    if name.lower().endswith(NESTED_ARCHIVES):
        return FileRejected(_("Archives inside archives are not accepted."), code="nested_archive")
    return None


def _decode(data: bytes) -> tuple[Image.Image, str, int]:
    """Open and fully decode an image; return it (as stored: not turned upright), its
    format and its EXIF orientation (1 when upright or unknown). Only our three formats'
    decoders are tried, and none of them is given more than the pixel limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > settings.IMPORT_MAX_PIXELS:
                raise FileRejected(
                    _("%(w)d×%(h)d is over the %(mp)d megapixel limit.")
                    % {"w": image.width, "h": image.height, "mp": settings.IMPORT_MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                )
            image_format = image.format or ""
            image.load()  # a truncated file fails here
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
            return image, image_format, int(orientation) if orientation in _UPRIGHT else 1
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRejected(
            _("Over the %(mp)d megapixel limit (a decompression bomb?).")
            % {"mp": settings.IMPORT_MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except Image.UnidentifiedImageError:
        if not data.startswith(_SIGNATURES) and data[8:12] != b"WEBP":
            raise FileRejected(_("Not a JPEG, PNG or WebP image."), code="unsupported_format") from None
        raise FileRejected(_("Not a readable image."), code="invalid_image") from None
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, struct.error):
        raise FileRejected(_("Not a readable image."), code="invalid_image") from None


def _thumbnail(image: Image.Image, orientation: int) -> bytes:
    """A small upright WebP of the image. Shrinks `image` itself (it is not used after):
    copying it first, or turning the full-size image upright, would hold a second copy
    of up to IMPORT_MAX_PIXELS pixels."""
    if image.mode not in _SHRINK_FIRST:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    image.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    out = io.BytesIO()
    image.save(out, "WEBP", quality=70, method=0)
    return out.getvalue()


def _fitted_prefill(annotation, project: Project, width: int, height: int) -> tuple[dict | None, dict | None]:
    """The pre-annotation without the shapes (and class) that do not fit the project or
    the image, and what was dropped (`{"code", "reason", "count"}`) or None."""
    try:
        return clean_annotation(annotation, project.label_schema, width=width, height=height), None
    except SchemaError as exc:
        errors, codes = exc.errors, exc.codes
    field = next(iter(errors))
    dropped = {"code": codes.get(field, "invalid_shape"), "reason": errors[field][0], "count": len(errors)}
    bad = {int(key[7:-1]) for key in errors if key.startswith("shapes[")}
    if bad or "class" in errors:
        shapes = annotation.get("shapes", [])
        kept = {"shapes": [shape for index, shape in enumerate(shapes) if index not in bad],
                "class": None if "class" in errors else annotation.get("class")}  # fmt: skip
        try:
            return clean_annotation(kept, project.label_schema, width=width, height=height), dropped
        except SchemaError:
            pass
    return None, dropped  # the pre-annotation as a whole does not fit (not an object, too many shapes)


def _ingest(job, project, unit: Unit, existing: dict, prefill: dict, dropped: dict) -> tuple[str, dict | None]:
    """Add one image; return its outcome and the warning about its pre-annotation, if any."""
    digest = hashlib.sha256(unit.data).hexdigest()
    if digest in existing:
        return ("accepted" if existing[digest] == job.pk else "duplicates"), None
    image, image_format, orientation = _decode(unit.data)
    width, height = image.size if orientation < 5 else image.size[::-1]  # 5 to 8 turn it a quarter
    base = clean_file_name(unit.name)
    problems: dict[str, dict] = {}
    first = dropped.get(unit.name) or dropped.get(base)
    if first:
        prefill_drop(problems, unit.name, first["code"], first["reason"], first["count"])
    annotation = prefill.get(unit.name) or prefill.get(base)
    if annotation is not None:
        annotation, fit = _fitted_prefill(annotation, project, width, height)
        if fit:
            prefill_drop(problems, unit.name, fit["code"], fit["reason"], fit["count"])
    thumbnail = _thumbnail(image, orientation)
    del image
    suffix = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[image_format]
    item = Item(
        project=project,
        file_name=unit.name[:255],
        content_type=FORMATS[image_format],
        width=width,
        height=height,
        sha256=digest,
        prefill=annotation,
        import_job=job,
    )
    item.image.save(f"image{suffix}", ContentFile(unit.data), save=False)
    item.thumbnail.save("thumb.webp", ContentFile(thumbnail), save=False)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        # Another import added the same image a moment ago.
        item.image.delete(save=False)
        item.thumbnail.delete(save=False)
        existing[digest] = None
        return "duplicates", None
    existing[digest] = job.pk
    return "accepted", _warning(unit.name, problems.get(unit.name))


def _warning(name: str, problem: dict | None) -> dict | None:
    if problem is None:
        return None
    if problem["count"] == 1:
        reason = _("One pre-annotation was left out: %(reason)s") % {"reason": problem["reason"]}
    else:
        reason = _("%(n)d pre-annotations were left out; the first: %(reason)s") % {
            "n": problem["count"],
            "reason": problem["reason"],
        }
    return {"file": name, "code": problem["code"], "reason": reason}


def _after_finish(job: ImportJob) -> None:
    """Tell the client's webhooks that the import ended, whether it succeeded or failed."""
    webhook_event_emit(
        organisation_id=job.project.organisation_id,
        event="import.finished",
        payload={"import": job.pk, "project": job.project_id, "status": job.status, "accepted": job.accepted,
                 "duplicates": job.duplicates, "rejected": job.rejected},
    )  # fmt: skip


def _staging_discard(job: ImportJob) -> None:
    import_staging_discard(job=job)


IMPORT_JOB_KIND = JobKind(
    name="import",
    model=ImportJob,
    enqueue=_enqueue,
    failed=_after_finish,
    discard=_staging_discard,
    staged=~Q(uploads=[]),
    related=("project",),
)
