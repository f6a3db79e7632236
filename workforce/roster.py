"""Reading roster files (CSV or XLSX) into plain rows. No database here: the services
decide what a row means for the people already on file.

Headers may be Chinese or English; Chinese Excel saves CSV as GB18030, so that is read
too. Every value comes out as a stripped string, dates as ISO strings.

A roster comes from outside, so reading one is bounded whatever it says about itself: an
XLSX file is a zip, repacked by aidou.archives (entries read in bounded chunks) before
openpyxl sees it; rows are read one at a time, at most MAX_COLUMNS cells each (a sheet
may claim to span A1:XFD1048576), blank rows are counted but not kept, and reading
stops at the first row past the limits.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from aidou import archives
from workforce.models import Education, EmploymentType, Gender, Role

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "mobile": ("手机号", "手机号码", "手机", "mobile", "phone"),
    "id_number": ("身份证号", "身份证号码", "身份证", "id_number", "id number", "id card"),
    "gender": ("性别", "gender", "sex"),
    "birth_date": ("出生日期", "birth_date", "birth date", "date of birth"),
    "centre": ("中心", "所属中心", "centre", "center"),
    "team": ("团队", "班组", "team"),
    "roles": ("角色", "岗位", "roles", "role"),
    "employment_type": ("用工类型", "用工形式", "employment_type", "employment type"),
    "education": ("学历", "education"),
    "hire_date": ("入职日期", "hire_date", "hire date"),
    "bank_name": ("开户行", "开户银行", "bank", "bank_name"),
    "bank_account": ("银行账号", "银行卡号", "bank_account", "bank account"),
}
REQUIRED_COLUMNS = ("name", "mobile", "id_number", "centre", "roles")
# Cells read per row (a roster has about 13 columns) and rows read in all, blank ones
# included, per row allowed; what an XLSX file may unpack to.
MAX_COLUMNS = 100
ROWS_READ_PER_ROW_ALLOWED = 10
XLSX_MAX_ENTRIES = 1000
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024


def column_label(field: str) -> str:
    """How a person recognises a column: the template's Chinese header and the English one."""
    aliases = HEADER_ALIASES.get(field)
    return f"{aliases[0]} ({field.replace('_', ' ')})" if aliases else field


ROLE_WORDS = {
    "标注员": Role.ANNOTATOR,
    "质检员": Role.REVIEWER,
    "审核员": Role.REVIEWER,
    "主管": Role.SUPERVISOR,
    "人事": Role.HR,
    "托育老师": Role.CHILDCARE_STAFF,
    "保育员": Role.CHILDCARE_STAFF,
    "中心主任": Role.CENTRE_MANAGER,
    "中心经理": Role.CENTRE_MANAGER,
    "网络管理员": Role.NETWORK_ADMIN,
    **{role.value: role for role in Role},
}
GENDER_WORDS = {"男": Gender.MALE, "male": Gender.MALE, "m": Gender.MALE,
                "女": Gender.FEMALE, "female": Gender.FEMALE, "f": Gender.FEMALE}  # fmt: skip
EMPLOYMENT_WORDS = {
    "全职": EmploymentType.FULL_TIME,
    "兼职": EmploymentType.PART_TIME,
    "full-time": EmploymentType.FULL_TIME,
    "full time": EmploymentType.FULL_TIME,
    "part-time": EmploymentType.PART_TIME,
    "part time": EmploymentType.PART_TIME,
    **{choice.value: choice for choice in EmploymentType},
}
EDUCATION_WORDS = {
    "小学": Education.PRIMARY,
    "初中": Education.JUNIOR,
    "高中": Education.SENIOR,
    "中专": Education.VOCATIONAL,
    "职高": Education.VOCATIONAL,
    "大专": Education.COLLEGE,
    "本科": Education.BACHELOR,
    "研究生": Education.POSTGRADUATE,
    "硕士": Education.POSTGRADUATE,
    "博士": Education.POSTGRADUATE,
    **{choice.value: choice for choice in Education},
}
_ROLE_SPLIT = re.compile(r"[,，、;；/\s]+")
_DATE_CN = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?$")


class RosterFileError(Exception):
    """The file as a whole cannot be read (wrong type, missing columns, too many rows)."""


@dataclass(frozen=True)
class RosterRow:
    number: int  # the row number a person sees in Excel: the header is row 1
    values: dict[str, str]


def read_roster(content: bytes, file_name: str, *, max_rows: int) -> list[RosterRow]:
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        table = _read_xlsx(content)
    elif lower.endswith(".csv"):
        table = _read_csv(content)
    else:
        raise RosterFileError(_("Upload a .csv or .xlsx file."))
    try:
        header = next(table)
    except StopIteration:
        raise RosterFileError(_("The file is empty.")) from None
    columns = _map_header(header)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns.values()]
    if missing:
        raise RosterFileError(
            _("Missing columns: %(columns)s.") % {"columns": _(", ").join(column_label(name) for name in missing)}
        )
    rows = []
    counted = 0  # rows with something in them; past max_rows only counted, not kept
    for offset, cells in enumerate(table, start=2):
        if offset > max_rows * ROWS_READ_PER_ROW_ALLOWED:
            raise RosterFileError(_("At most %(max)d rows per file; this one has more.") % {"max": max_rows})
        if not any(str(cell).strip() for cell in cells if cell is not None):
            continue
        counted += 1
        if counted <= max_rows:
            values = {field: _cell_text(cells[index]) if index < len(cells) else "" for index, field in columns.items()}
            rows.append(RosterRow(number=offset, values=values))
    if counted > max_rows:
        raise RosterFileError(_("At most %(max)d rows per file; this one has %(n)d.") % {"max": max_rows, "n": counted})
    return rows


def _map_header(header: Sequence) -> dict[int, str]:
    lookup = {alias.lower(): field for field, aliases in HEADER_ALIASES.items() for alias in aliases}
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        field = lookup.get(str(cell or "").strip().lower())
        if field and field not in columns.values():
            columns[index] = field
    return columns


def _read_csv(content: bytes) -> Iterator[Sequence]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise RosterFileError(_("This is not a CSV text file."))
    return _csv_rows(text)


def _csv_rows(text: str) -> Iterator[Sequence]:
    try:
        for row in csv.reader(io.StringIO(text)):
            yield row[:MAX_COLUMNS]
    except csv.Error as exc:  # a field over csv's size limit, a stray quote in strict mode
        raise RosterFileError(_("This CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def _read_xlsx(content: bytes) -> Iterator[Sequence]:
    try:
        repacked = archives.zip_repack(content, max_entries=XLSX_MAX_ENTRIES, max_total_bytes=XLSX_MAX_UNPACKED_BYTES)
    except archives.ArchiveTooLarge as exc:
        raise RosterFileError(exc.message) from exc
    except archives.ArchiveError as exc:
        raise RosterFileError(_("This is not a readable .xlsx file.")) from exc
    try:
        from openpyxl import load_workbook  # 30 MB, loaded for a workbook only

        workbook = load_workbook(io.BytesIO(repacked), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise RosterFileError(_("This is not a readable .xlsx file.")) from exc
    return _xlsx_rows(workbook)


def _xlsx_rows(workbook) -> Iterator[Sequence]:
    try:
        if not workbook.worksheets:
            return
        # max_col: a claimed dimension pads every row to it (XFD is 16,384 columns).
        yield from workbook.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except (KeyError, ValueError, OSError, TypeError, IndexError, SyntaxError) as exc:  # a damaged sheet
        raise RosterFileError(_("This is not a readable .xlsx file.")) from exc
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel keeps only 15 significant digits of numbers: an 18-digit ID typed as a
        # number is already damaged. Mark it so the row is refused with a clear reason.
        return f"#NUMBER:{value!r}" if value >= 1e15 else (str(int(value)) if value.is_integer() else str(value))
    if isinstance(value, int):
        return f"#NUMBER:{value}" if value >= 10**15 else str(value)
    return str(value).strip()


def parse_date(text: str) -> dt.date | None:
    """ISO dates, 2024/3/1, 2024.3.1, 20240301 and 2024年3月1日."""
    if not text:
        return None
    text = text.strip()
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    match = _DATE_CN.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def parse_roles(text: str) -> list[str]:
    """Role codes in order; raises ValueError naming the first unknown word."""
    roles: list[str] = []
    for word in _ROLE_SPLIT.split(text.strip()):
        if not word:
            continue
        role = ROLE_WORDS.get(word) or ROLE_WORDS.get(word.lower())
        if role is None:
            raise ValueError(word)
        if role not in roles:
            roles.append(role)
    return roles


def parse_choice(text: str, words: dict) -> str:
    if not text:
        return ""
    choice = words.get(text.strip()) or words.get(text.strip().lower())
    if choice is None:
        raise ValueError(text)
    return choice
