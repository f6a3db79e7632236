"""Client imports: images and zips in, items out, each file judged alone.

`import_start` stages the request's files in storage (streamed from Django's temporary
upload files, never held whole in memory) and queues the job; `import_run` (the Celery
task) reads them one by one. A file that is not a readable JPEG/PNG/WebP, is over the
pixel limit, is an unsafe zip entry, or whose pre-annotations do not fit is listed in
`errors` with its reason; the rest go through. De-duplication is by SHA-256 within the
project, backed by a unique constraint, so re-sending a request or re-running a job
never adds an image twice.
"""

import hashlib
import io
import json
import logging
import posixpath
import stat
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
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from aidou.errors import Conflict
from aidou.jobs import job_claim, job_fail, job_requeue
from aidou.memory import keep_large_buffers
from annotation.coco import CocoError, coco_to_prefill
from annotation.models import ApiKey, ImportJob, Item, Project
from annotation.schema import SchemaError, clean_annotation
from annotation.services.projects import project_item_count_refresh
from annotation.services.webhooks import webhook_event_emit

log = logging.getLogger(__name__)

# Pillow's own guard: over this it raises DecompressionBombError instead of allocating.
Image.MAX_IMAGE_PIXELS = settings.IMPORT_MAX_PIXELS
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
NESTED_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
PROGRESS_EVERY_SECONDS = 1.0


class FileRejected(Exception):
    """This one file cannot become an item; the message says why."""


@dataclass
class Unit:
    name: str
    data: bytes


def _safe_name(name: str) -> str:
    return posixpath.basename((name or "").replace("\\", "/"))[:255] or "unnamed"


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
            uploads.append({"name": _safe_name(upload.name or ""), "path": path})
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
    if (upload.size or 0) > settings.IMPORT_COCO_MAX_BYTES:
        raise ValidationError({"annotations": [_("The COCO file is too large.")]})
    try:
        data = json.loads(upload.read())
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError({"annotations": [_("The annotations file is not valid JSON.")]}) from exc
    try:
        prefill, errors = coco_to_prefill(data, project.label_schema)
    except CocoError as exc:
        raise ValidationError({"annotations": [str(exc)]}) from exc
    return {"prefill": prefill, "errors": errors}


def _discard_staging(staging: str, paths: list[str]) -> None:
    for path in paths:
        try:
            default_storage.delete(path)
        except OSError:
            log.warning("could not delete staged file %s", path)


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
        self.total = job.total
        self.errors: list[dict] = []
        self.last_saved = time.monotonic()

    def add(self, outcome: str, name: str = "", reason: str = "") -> None:
        self.counts["processed"] += 1
        self.counts[outcome] += 1
        if reason:
            self.errors.append({"file": name, "reason": reason})
        if time.monotonic() - self.last_saved > PROGRESS_EVERY_SECONDS:
            self.save()

    def grow(self, extra: int) -> None:
        self.total += extra
        self.save()

    def save(self, **final) -> None:
        project_item_count_refresh(project_id=self.job.project_id)
        ImportJob.objects.filter(pk=self.job.pk).update(
            total=self.total, errors=self.errors, heartbeat_at=timezone.now(), **self.counts, **final
        )
        self.last_saved = time.monotonic()


def _run(job: ImportJob) -> None:
    keep_large_buffers()
    project = job.project
    prefill, prefill_errors = {}, {}
    if job.annotations_path:
        with default_storage.open(job.annotations_path, "rb") as handle:
            parsed = json.load(handle)
        prefill, prefill_errors = parsed["prefill"], parsed["errors"]
    existing = dict(Item.objects.filter(project=project).values_list("sha256", "import_job_id"))
    progress = _Progress(job)
    for unit in _units(job, progress):
        if isinstance(unit, FileRejected):
            progress.add("rejected", *unit.args)
            continue
        try:
            outcome = _ingest(job, project, unit, existing, prefill, prefill_errors)
        except FileRejected as exc:
            progress.add("rejected", unit.name, str(exc))
        else:
            progress.add(outcome)
    _discard_staging(
        job.staging_dir, [u["path"] for u in job.uploads] + [job.annotations_path] * bool(job.annotations_path)
    )
    progress.save(status=ImportJob.Status.SUCCEEDED, finished_at=timezone.now())


def _units(job: ImportJob, progress: _Progress) -> Iterator[Unit | FileRejected]:
    """Each image to judge: uploaded images as they are, zips entry by entry."""
    for upload in job.uploads:
        name = upload["name"]
        try:
            handle = default_storage.open(upload["path"], "rb")
        except OSError:
            yield FileRejected(name, _("The uploaded file is missing; send it again."))
            continue
        with handle:
            head = handle.read(4)
            handle.seek(0)
            if head.startswith(b"PK\x03\x04") or name.lower().endswith(".zip"):
                yield from _zip_units(name, handle, progress)
                continue
            data = handle.read(settings.IMPORT_MAX_FILE_BYTES + 1)
        if len(data) > settings.IMPORT_MAX_FILE_BYTES:
            yield FileRejected(name, _("The file is larger than the limit for one image."))
        else:
            yield Unit(name, data)


def _zip_units(archive_name: str, handle, progress: _Progress) -> Iterator[Unit | FileRejected]:
    try:
        archive = zipfile.ZipFile(handle)
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        yield FileRejected(archive_name, _("Not a readable zip archive."))
        return
    wanted = [info for info in entries if not _skipped(info.filename)]
    if len(wanted) > settings.IMPORT_ZIP_MAX_ENTRIES:
        yield FileRejected(
            archive_name, _("The archive has more than %(n)d files.") % {"n": settings.IMPORT_ZIP_MAX_ENTRIES}
        )
        return
    if sum(info.file_size for info in wanted) > settings.IMPORT_ZIP_MAX_TOTAL_BYTES:
        yield FileRejected(archive_name, _("The archive unpacks to more than the allowed size."))
        return
    progress.grow(len(wanted) - 1)  # the archive counted as one file until now
    for info in wanted:
        name = info.filename
        reason = _unsafe_entry(info)
        if reason:
            yield FileRejected(name, reason)
            continue
        if info.file_size > settings.IMPORT_MAX_FILE_BYTES:
            yield FileRejected(name, _("The file is larger than the limit for one image."))
            continue
        try:
            with archive.open(info) as entry:
                # Read at most the limit: a header may lie about the size.
                data = entry.read(settings.IMPORT_MAX_FILE_BYTES + 1)
        # What zipfile raises for a damaged entry (BadZipFile, EOFError, OSError), an
        # encrypted one (RuntimeError) or an unsupported compression method
        # (NotImplementedError): each rejects this entry only, not the archive.
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
            yield FileRejected(name, _("This archive entry cannot be read."))
            continue
        if len(data) > settings.IMPORT_MAX_FILE_BYTES:
            yield FileRejected(name, _("The file is larger than the limit for one image."))
        elif data[:4] == b"PK\x03\x04":
            yield FileRejected(name, _("Archives inside archives are not accepted."))
        else:
            yield Unit(name, data)


def _skipped(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(part.startswith(".") and part not in (".", "..") for part in parts)


def _unsafe_entry(info: zipfile.ZipInfo) -> str:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return _("Absolute paths are not accepted in archives.")
    if ".." in name.split("/"):
        return _("Paths with “..” are not accepted in archives.")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("Symbolic links are not accepted in archives.")
    if info.flag_bits & 0x1:
        return _("Encrypted archive entries are not accepted.")
    if name.lower().endswith(NESTED_ARCHIVES):
        return _("Archives inside archives are not accepted.")
    return ""


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """Open and fully decode an image; return it upright (EXIF applied) and its format."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise FileRejected(_("Not a JPEG, PNG or WebP image."))
            if image.width * image.height > settings.IMPORT_MAX_PIXELS:
                raise FileRejected(
                    _("%(w)d×%(h)d is over the %(mp)d megapixel limit.")
                    % {"w": image.width, "h": image.height, "mp": settings.IMPORT_MAX_PIXELS // 1_000_000}
                )
            image_format = image.format
            image.load()  # a truncated file fails here
            return ImageOps.exif_transpose(image), image_format
    except FileRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRejected(
            _("Over the %(mp)d megapixel limit (a decompression bomb?).")
            % {"mp": settings.IMPORT_MAX_PIXELS // 1_000_000}
        ) from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError, EOFError):
        raise FileRejected(_("Not a readable image.")) from None


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.copy()
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "A" in thumb.getbands() else "RGB")
    thumb.thumbnail((settings.THUMBNAIL_SIZE, settings.THUMBNAIL_SIZE))
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=70, method=0)
    return out.getvalue()


def _ingest(job, project, unit: Unit, existing: dict, prefill: dict, prefill_errors: dict) -> str:
    digest = hashlib.sha256(unit.data).hexdigest()
    if digest in existing:
        return "accepted" if existing[digest] == job.pk else "duplicates"
    image, image_format = _decode(unit.data)
    width, height = image.size
    base = _safe_name(unit.name)
    error = prefill_errors.get(unit.name) or prefill_errors.get(base)
    if error:
        raise FileRejected(_("Pre-annotations: %(reason)s") % {"reason": error})
    annotation = prefill.get(unit.name) or prefill.get(base)
    if annotation is not None:
        try:
            annotation = clean_annotation(annotation, project.label_schema, width=width, height=height)
        except SchemaError as exc:
            first = next(iter(exc.errors.items()))
            raise FileRejected(
                _("Pre-annotations: %(field)s: %(reason)s") % {"field": first[0], "reason": first[1][0]}
            ) from None
    thumbnail = _thumbnail(image)
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
        return "duplicates"
    existing[digest] = job.pk
    return "accepted"


def _after_finish(job: ImportJob) -> None:
    """Tell the client's webhooks that the import ended, whether it succeeded or failed."""
    webhook_event_emit(
        organisation_id=job.project.organisation_id,
        event="import.finished",
        payload={"import": job.pk, "project": job.project_id, "status": job.status, "accepted": job.accepted,
                 "duplicates": job.duplicates, "rejected": job.rejected},
    )  # fmt: skip
