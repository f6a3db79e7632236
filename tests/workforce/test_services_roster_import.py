import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from tests import factories
from workforce import services
from workforce.models import Role, RosterImport, User, WorkerProfile

pytestmark = pytest.mark.django_db

HEADER = "姓名,手机号,身份证号,性别,出生日期,中心,团队,角色,用工类型,学历,入职日期,开户行,银行账号"


def csv_upload(lines: list[str], name="roster.csv", encoding="utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode(encoding))


def run_import(hr, upload, **kwargs) -> RosterImport:
    job = services.roster_import_start(actor=hr, upload=upload, enqueue=False, **kwargs)
    return services.roster_import_run(job_id=job.pk)


@pytest.fixture
def team(centre):
    return factories.TeamFactory(centre=centre, name="标注一组")


def rows(centre_name):
    good_a = factories.make_id_number("19900101")
    good_b = factories.make_id_number("19850615", female=False)
    return [
        f"刘小红,13700000001,{good_a},女,1990-01-01,{centre_name},标注一组,标注员,全职,高中,2026/3/1,农行,6228480000000001111",
        f"张建国,13700000002,{good_b},男,19850615,{centre_name},,质检员、标注员,兼职,大专,2026年3月2日,,",
        f"坏手机,123,{factories.make_id_number()},女,,{centre_name},,标注员,全职,,,,",
        f"坏身份证,13700000004,110105194912310021,女,,{centre_name},,标注员,全职,,,,",
        f"没中心,13700000005,{factories.make_id_number()},女,,不存在的中心,,标注员,全职,,,,",
        f"坏角色,13700000006,{factories.make_id_number()},女,,{centre_name},,飞行员,全职,,,,",
        f"没团队,13700000007,{factories.make_id_number()},女,,{centre_name},不存在的组,标注员,全职,,,,",
    ]


def test_good_rows_go_in_and_each_bad_row_is_reported_with_its_number(hr, centre, team):
    job = run_import(hr, csv_upload(rows(centre.name)), initial_password="welcome-2026")
    assert job.status == RosterImport.Status.SUCCEEDED
    assert (job.total, job.processed, job.created, job.updated, job.rejected) == (7, 7, 2, 0, 5)
    by_row = {(error["row"], error["field"]) for error in job.errors}
    assert by_row == {(4, "mobile"), (5, "id_number"), (6, "centre"), (7, "roles"), (8, "team")}
    liu = User.objects.get(mobile="13700000001")
    assert liu.name == "刘小红"
    assert liu.roles == {Role.ANNOTATOR}
    assert list(liu.teams.all()) == [team]
    assert liu.check_password("welcome-2026")
    assert liu.profile.hire_date.isoformat() == "2026-03-01"
    assert liu.profile.bank_account_masked == "**** **** 1111"
    zhang = User.objects.get(mobile="13700000002")
    assert zhang.roles == {Role.REVIEWER, Role.ANNOTATOR}
    assert zhang.profile.employment_type == "part_time"
    assert zhang.profile.education == "college"


def test_importing_the_same_file_again_updates_instead_of_duplicating(hr, centre, team):
    lines = rows(centre.name)[:2]
    run_import(hr, csv_upload(lines))
    people = User.objects.count()
    lines[0] = lines[0].replace("刘小红", "刘晓红").replace("全职", "兼职")
    job = run_import(hr, csv_upload(lines))
    assert (job.created, job.updated, job.unchanged, job.rejected) == (0, 1, 1, 0)  # the second row is as it was
    assert User.objects.count() == people
    assert WorkerProfile.objects.filter(user__mobile="13700000001", employment_type="part_time").exists()
    assert User.objects.get(mobile="13700000001").name == "刘晓红"


def test_the_same_person_twice_in_one_file_is_refused(hr, centre, team):
    line = rows(centre.name)[0]
    job = run_import(hr, csv_upload([line, line]))
    assert job.created == 1
    assert job.errors == [{"row": 3, "field": "id_number", "reason": "Same person as row 2."}]


def test_rows_for_another_centre_are_refused_for_hr(hr, centre, other_centre):
    job = run_import(
        hr, csv_upload([f"外人,13700000009,{factories.make_id_number()},女,,{other_centre.name},,标注员,,,,,"])
    )
    assert job.created == 0
    assert job.errors[0]["field"] == "centre"


def test_gb18030_csv_from_chinese_excel(hr, centre):
    line = f"刘小红,13700000001,{factories.make_id_number()},女,,{centre.name},,标注员,全职,,,,"
    job = run_import(hr, csv_upload([line], encoding="gb18030"))
    assert job.created == 1
    assert User.objects.get(mobile="13700000001").name == "刘小红"


def xlsx_upload(rows_: list[list]) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "mobile", "id_number", "centre", "roles", "birth_date"])
    for row in rows_:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


def test_xlsx_with_english_headers_dates_and_a_numeric_id(hr, centre):
    import datetime as dt

    good = factories.make_id_number("19900101")
    job = run_import(
        hr,
        xlsx_upload(
            [
                ["王芳", 13700000011, good, centre.name, "annotator", dt.date(1990, 1, 1)],
                ["数字身份证", 13700000012, 110105194912310000, centre.name, "annotator", None],
            ]
        ),
    )
    assert job.created == 1
    assert job.errors[0]["row"] == 3
    assert "format the column as text" in job.errors[0]["reason"]


@pytest.mark.parametrize(
    ("name", "content", "failure"),
    [
        ("roster.csv", "名字,电话\n张三,1\n".encode(), "Missing columns"),
        ("roster.csv", b"", "empty"),
        ("roster.xlsx", b"PK\x03\x04 not really a workbook", "not a readable .xlsx"),
        ("roster.csv", b"\x00\x01binary", "not a CSV"),
    ],
)
def test_unreadable_files_fail_the_job_with_a_reason_and_create_nobody(hr, name, content, failure):
    job = run_import(hr, SimpleUploadedFile(name, content))
    assert job.status == RosterImport.Status.FAILED
    assert failure in job.failure
    assert User.objects.count() == 1  # only HR


def test_too_many_rows(hr, centre, settings):
    settings.ROSTER_MAX_ROWS = 2
    job = run_import(hr, csv_upload(rows(centre.name)[:3]))
    assert job.status == RosterImport.Status.FAILED
    assert "At most 2 rows" in job.failure


@pytest.mark.parametrize("name", ["roster.txt", "roster.xls", "roster"])
def test_start_refuses_other_file_types(hr, name):
    with pytest.raises(ValidationError) as exc:
        services.roster_import_start(actor=hr, upload=SimpleUploadedFile(name, b"a,b"))
    assert "file" in exc.value.message_dict
    assert not RosterImport.objects.exists()


def test_start_refuses_oversize_files(hr, settings):
    settings.ROSTER_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        services.roster_import_start(actor=hr, upload=SimpleUploadedFile("r.csv", b"x" * 11))
    assert not RosterImport.objects.exists()


def test_the_roster_file_is_deleted_once_imported(hr, centre):
    job = services.roster_import_start(actor=hr, upload=csv_upload(rows(centre.name)[:1]), enqueue=False)
    path = job.file.path
    services.roster_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert not job.file
    import os

    assert not os.path.exists(path)


def test_a_finished_job_is_not_run_twice(hr, centre, team):
    job = run_import(hr, csv_upload(rows(centre.name)[:1]))
    assert services.roster_import_run(job_id=job.pk) is None
    assert User.objects.filter(mobile="13700000001").count() == 1


def test_queries_per_row_are_bounded(hr, centre, team, django_assert_max_num_queries):
    """People and teams are looked up once per file, not once per row."""
    lines = [
        f"人{i},1370000{i:04d},{factories.make_id_number()},女,,{centre.name},标注一组,标注员,全职,,,,"
        for i in range(40)
    ]
    job = services.roster_import_start(actor=hr, upload=csv_upload(lines), enqueue=False)
    with django_assert_max_num_queries(40 * 16 + 20):
        job = services.roster_import_run(job_id=job.pk)
    assert job.created == 40


def test_import_workers_command(hr, centre, team, tmp_path, capsys):
    path = tmp_path / "roster.csv"
    path.write_text("\n".join([HEADER, *rows(centre.name)[:3]]) + "\n", encoding="utf-8")
    call_command("import_workers", str(path), "--as-user", "hr", "--initial-password", "welcome-2026")
    out = capsys.readouterr().out
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "row 4: mobile" in out
    call_command("import_workers", str(path), "--as-user", "hr")
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_retry_only_for_failed_or_stuck_jobs(hr, centre):
    from aidou.errors import Conflict

    job = run_import(hr, csv_upload(rows(centre.name)[:1]))
    with pytest.raises(Conflict):
        services.roster_import_retry(actor=hr, job=job)


def test_a_bank_account_damaged_by_excel_says_how_to_fix_it(hr, centre):
    job = run_import(hr, xlsx_upload_with_bank(centre))
    assert job.created == 0
    assert "format the column as text" in job.errors[0]["reason"] and job.errors[0]["field"] == "bank_account"


def xlsx_upload_with_bank(centre) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "mobile", "id_number", "centre", "roles", "bank_account"])
    sheet.append(["王芳", "13700000011", factories.make_id_number(), centre.name, "annotator", 6228480000001234567])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())
