"""Untrusted files cost bounded memory and give clear answers: zips that lie about their
sizes, XLSX rosters that claim a million rows or hide a bzip2 part, COCO files with the
wrong container types, names with bidi controls, and the API's error pages with DEBUG off.
(The measured memory ceiling is in docs/decisions/0011-bounded-untrusted-input.md.)"""

import bz2
import io
import re
import resource
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from aidou import archives
from aidou.text import clean_file_name
from annotation.models import Assignment, ImportJob, Item
from tests.annotation.factories import OrganisationFactory, ProjectFactory, api_key_for, jpeg_bytes
from workforce import roster

STREET_SCHEMA = {"tools": ["bbox"], "labels": [{"name": "car", "color": "#e6194b"}]}


def lying_zip(name: str, payload: bytes, *, method: int, claimed_size: int = 1000) -> bytes:
    """A one-entry zip whose headers say the entry unpacks to `claimed_size` bytes."""
    if method == zipfile.ZIP_BZIP2:
        blob = bz2.compress(payload, 9)
    else:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        blob = compressor.compress(payload) + compressor.flush()
    encoded = name.encode()
    crc = zlib.crc32(payload[:claimed_size])
    version = 46 if method == zipfile.ZIP_BZIP2 else 20
    local = struct.pack(
        "<4s2B4HL2L2H", b"PK\x03\x04", version, 0, 0, method, 0, 0, crc, len(blob), claimed_size, len(encoded), 0
    )
    central = struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", version, 3, version, 0, 0, method, 0, 0, crc, len(blob), claimed_size,
        len(encoded), 0, 0, 0, 0, 0o100644 << 16, 0,
    )  # fmt: skip
    head = local + encoded + blob
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), len(head), 0)
    return head + central + encoded + end


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
def client_api(db):
    org = OrganisationFactory(name="Bounded Ltd")
    project = ProjectFactory(organisation=org, label_schema=dict(STREET_SCHEMA))
    client = Client(HTTP_AUTHORIZATION=f"Token {api_key_for(org)}", HTTP_ACCEPT_LANGUAGE="en")
    return client, project


def run(client_api, files, annotations=None, capture=None):
    client, project = client_api
    data = {"files": [SimpleUploadedFile(name, content) for name, content in files]}
    if annotations is not None:
        data["annotations"] = SimpleUploadedFile("coco.json", annotations)
    with capture(execute=True):
        response = client.post(f"/api/v1/projects/{project.pk}/imports/", data)
    assert response.status_code == 202, response.content
    return client.get(f"/api/v1/imports/{response.json()['id']}/").json()


def test_a_bzip2_entry_that_lies_about_its_size_is_refused_without_unpacking(
    client_api, django_capture_on_commit_callbacks
):
    # 400 MB of zeros in about 300 bytes of bzip2; the header says 1,000 bytes. zipfile
    # would unpack all of it in one call (it bounds only deflate's output).
    bomb = lying_zip("a.jpg", b"\0" * (400 * 1024 * 1024), method=zipfile.ZIP_BZIP2)
    assert len(bomb) < 2000
    before = peak_rss_mb()
    job = run(client_api, [("bomb.zip", bomb)], capture=django_capture_on_commit_callbacks)
    assert [(e["file"], e["code"]) for e in job["errors"]] == [("a.jpg", "unsupported_compression")]
    assert "bzip2" in job["errors"][0]["reason"]
    assert peak_rss_mb() - before < 100


def test_a_deflate_entry_is_read_only_up_to_the_limit_whatever_it_holds(settings):
    settings.IMPORT_MAX_FILE_BYTES = 1024 * 1024
    # The header says 1,000 bytes (the CRC is of those), the stream holds 300 MB.
    archive = zipfile.ZipFile(io.BytesIO(lying_zip("a.jpg", b"\0" * (300 * 1024 * 1024), method=zipfile.ZIP_DEFLATED)))
    info = archive.infolist()[0]
    before = peak_rss_mb()
    assert archives.entry_read(archive, info, limit=settings.IMPORT_MAX_FILE_BYTES) == b"\0" * 1000
    # An honest header over the limit: refused as soon as the bytes pass it.
    info.file_size = 200 * 1024 * 1024
    with pytest.raises(archives.EntryTooLarge):
        archives.entry_read(archive, info, limit=settings.IMPORT_MAX_FILE_BYTES)
    assert peak_rss_mb() - before < 50


def _xlsx(rows: list[list], *, dimension: str | None = None, last_row: int | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None and last_row is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if dimension:
                    text = re.sub(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>', text)
                if last_row:
                    text = text.replace(
                        "</sheetData>", f'<row r="{last_row}"><c r="A{last_row}" t="n"><v>1</v></c></row></sheetData>'
                    )
                data = text.encode()
            target.writestr(info.filename, data)
    return out.getvalue()


HEADER = ["姓名", "手机号", "身份证号", "中心", "角色"]


def test_a_roster_claiming_a_million_rows_and_every_column_is_refused_in_bounded_memory():
    content = _xlsx(
        [HEADER, ["王芳", "13700000011", "x", "宜君", "标注员"]], dimension="A1:XFD1048576", last_row=1048576
    )
    before = peak_rss_mb()
    with pytest.raises(roster.RosterFileError, match="At most 10 rows"):
        roster.read_roster(content, "r.xlsx", max_rows=10)
    assert peak_rss_mb() - before < 100


def test_a_roster_with_a_bzip2_part_is_refused():
    content = _xlsx([HEADER])
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename == "xl/worksheets/sheet1.xml" else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, source.read(info), compress_type=method)
    with pytest.raises(roster.RosterFileError, match="not a readable .xlsx"):
        roster.read_roster(out.getvalue(), "r.xlsx", max_rows=10)
    # The honest workbook still reads.
    assert roster.read_roster(_xlsx([HEADER, ["王芳", "13700000011", "x", "宜君", "标注员"]]), "r.xlsx", max_rows=10)


def test_a_csv_of_blank_lines_or_one_huge_field_is_a_clear_error():
    header = ",".join(HEADER).encode() + b"\n"
    with pytest.raises(roster.RosterFileError, match="At most 10 rows"):
        roster.read_roster(header + b"\n" * 5_000_000, "r.csv", max_rows=10)
    with pytest.raises(roster.RosterFileError, match="cannot be read"):
        roster.read_roster(header + b'"' + b"x" * 200_000 + b'"\n', "r.csv", max_rows=10)


@pytest.mark.parametrize(
    ("coco", "field"),
    [
        ({"images": [{"id": [1], "file_name": "a.jpg"}]}, "images[0].id"),
        ({"images": [{"id": {"a": 1}, "file_name": "a.jpg"}]}, "images[0].id"),
        ({"images": [{"id": 1, "file_name": ["a.jpg"]}]}, "images[0].file_name"),
        ({"images": [{"id": 1, "file_name": "a.jpg", "attributes": {"class": ["day"]}}]}, "images[0].attributes.class"),
        ({"images": [1]}, "images[0]"),
        ({"images": [], "categories": [{"id": [1], "name": "car"}]}, "categories[0].id"),
        ({"images": [], "categories": [{"id": 1, "name": {"x": 1}}]}, "categories[0].name"),
        ({"images": [], "categories": [{"id": 1, "name": "car", "keypoints": [[1]]}]}, "categories[0].keypoints[0]"),
        ({"images": [], "categories": 7}, "categories"),
        ({"images": [], "annotations": [{"image_id": [1]}]}, "annotations[0].image_id"),
        ({"images": [], "annotations": [{"image_id": 1, "category_id": {"a": 1}}]}, "annotations[0].category_id"),
        ({"images": [], "annotations": [{"image_id": 1, "bbox": 5}]}, "annotations[0].bbox"),
        ({"images": [], "annotations": [{"image_id": 1, "segmentation": [5]}]}, "annotations[0].segmentation[0]"),
        ({"images": [], "annotations": [{"image_id": 1, "keypoints": "x"}]}, "annotations[0].keypoints"),
        ({"images": [], "annotations": [{"image_id": 1, "id": [1]}]}, "annotations[0].id"),
    ],
)
def test_a_coco_field_of_the_wrong_type_is_a_400_naming_it(client_api, coco, field):
    import json

    client, project = client_api
    response = client.post(
        f"/api/v1/projects/{project.pk}/imports/",
        {
            "files": [SimpleUploadedFile("a.jpg", jpeg_bytes())],
            "annotations": SimpleUploadedFile("c.json", json.dumps(coco).encode()),
        },
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["annotations"][0]
    assert not ImportJob.objects.exists()


def test_a_coco_file_over_its_value_budget_or_with_a_lone_surrogate_is_a_400(client_api, settings):
    client, project = client_api
    settings.IMPORT_COCO_MAX_VALUES = 1000
    for content, reason in [
        (b'{"images": [' + b"{}," * 2000 + b"{}]}", "more than 1000 values"),
        (b'{"images": [{"id": 1, "file_name": "a\\ud800.jpg"}]}', "unpaired surrogates"),
    ]:
        response = client.post(
            f"/api/v1/projects/{project.pk}/imports/",
            {
                "files": [SimpleUploadedFile("a.jpg", jpeg_bytes())],
                "annotations": SimpleUploadedFile("c.json", content),
            },
        )
        assert response.status_code == 400 and reason in response.json()["annotations"][0], response.content


def test_names_lose_bidi_and_control_characters_everywhere_they_are_stored(
    client_api, django_capture_on_commit_callbacks
):
    assert clean_file_name("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert clean_file_name("C:\\photos\\a\x00b\u200b.jpg") == "ab.jpg"
    assert clean_file_name("../x/\u2066y\u2069/./z.png", keep_folders=True) == "x/y/z.png"
    assert clean_file_name("\u202e") == "unnamed"
    assert clean_file_name("街景 01.jpg") == "街景 01.jpg"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("frames/b\u202egpj.exe.png", jpeg_bytes(30, 30, (1, 1, 1)))
    job = run(
        client_api,
        [("a\u202egnp.exe.jpg", jpeg_bytes()), ("z.zip", archive.getvalue())],
        capture=django_capture_on_commit_callbacks,
    )
    assert job["accepted"] == 2
    assert sorted(Item.objects.values_list("file_name", flat=True)) == ["agnp.exe.jpg", "frames/bgpj.exe.png"]


def test_unstorable_drafts_already_saved_are_cleared_by_the_migration(db):
    from importlib import import_module

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refused such drafts when they were saved: there are none to clear")

    from django.apps import apps

    from tests import factories
    from tests.annotation.factories import labelling_project

    centre = factories.CentreFactory(name="草稿中心")
    person = factories.UserFactory(username="drafter", centre=centre)
    project = labelling_project(items=2)
    from annotation.models import Batch

    batch = Batch.objects.create(project=project, centre=centre, name="b")
    items = list(project.items.order_by("id"))
    from django.utils import timezone

    now = timezone.now()
    bad, good = (
        Assignment.objects.create(
            batch=batch, item=item, annotator=person, status="leased", leased_at=now, lease_expires_at=now, draft=draft
        )  # fmt: skip
        for item, draft in zip(items, [{"shapes": [], "class": "\ud800"}, {"shapes": [], "class": "day"}], strict=True)
    )
    migration = import_module("annotation.migrations.0013_clear_unstorable_drafts")
    migration.clear_unstorable_drafts(apps, None)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.draft is None and good.draft == {"shapes": [], "class": "day"}


@pytest.mark.django_db
def test_with_debug_off_the_api_answers_json_for_404_and_500(settings, monkeypatch):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    missing = client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    assert set(missing.json()) == {"detail"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

    from workforce.api import views

    monkeypatch.setattr(views.MeView, "get", lambda self, request: 1 / 0)
    from tests import factories

    person = factories.UserFactory(username="crash", centre=factories.CentreFactory(name="崩溃中心"))
    client.force_login(person)
    crashed = client.get("/api/v1/me/")
    assert crashed.status_code == 500 and crashed["Content-Type"] == "application/json"
    assert "detail" in crashed.json()
