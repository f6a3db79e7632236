"""The role x action matrix in docs/permissions.csv, checked end to end through the
pages (a refusal is 403 for actions without an id, 404 for someone else's centre)."""

import csv
import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aidou.models import AuditLog
from tests import factories
from workforce.models import User

MATRIX = Path(__file__).resolve().parents[2] / "docs" / "permissions.csv"
# Rows with a target role are role ranks (tests/workforce/test_role_ranks.py).
ROWS = [row for row in csv.DictReader(MATRIX.open(encoding="utf-8")) if not row.get("target_role")]


def _request(client, action: str, target, centre):
    if action == "view_workers":
        return client.get(f"/workers/{target.pk}/")
    if action == "edit_worker":
        return client.get(f"/workers/{target.pk}/edit/")
    if action == "reveal_pii":
        return client.post(f"/workers/{target.pk}/reveal/")
    if action == "import_roster":
        body = f"姓名,手机号,身份证号,中心,角色\n新人,13766667777,{factories.make_id_number()},{centre.name},标注员\n"
        return client.post("/workers/import/", {"file": SimpleUploadedFile("r.csv", body.encode())})
    if action == "manage_teams":
        return client.post(f"/centres/{centre.pk}/", {"name": "矩阵测试组"})
    if action in ("view_batch", "manage_batch"):
        batch = _batch_of(centre)
        if action == "view_batch":
            return client.get(f"/batches/{batch.pk}/")
        return client.post(f"/batches/{batch.pk}/status/", {"action": "pause"})
    if action == "review_batch":
        return client.get(f"/review/batches/{_batch_of(centre).pk}/")
    if action == "reverse_ledger":
        return client.post(f"/pay/ledger/{_line_of(target).pk}/reverse/", {"reason": "矩阵：抽检发现错误"})
    if action == "publish_roster":
        team, shift_type = _team_of(centre, target)
        monday = "2026-11-16"
        return client.post(f"/schedule/teams/{team.pk}/week/?week={monday}",
                           {"week": monday, "action": "publish", f"cell-{target.pk}-{monday}": str(shift_type.pk)})  # fmt: skip
    if action == "decide_absence":
        from workforce.scheduling.services import absence_request

        absence = absence_request(
            worker=target, kind="sick", starts_on=dt.date(2026, 12, 7), ends_on=dt.date(2026, 12, 7)
        )
        return client.post(f"/schedule/absences/{absence.pk}/decide/", {"decision": "approve"})
    raise AssertionError(action)


def _line_of(worker):
    """An earning line of `worker` (made directly: the matrix tests the pages, not accepting)."""
    from django.utils import timezone

    from workforce.models import LedgerLine

    now = timezone.now()
    return LedgerLine.objects.get_or_create(
        worker=worker, centre_id=worker.centre_id, source="annotation", source_id=worker.pk, unit="box",
        defaults={"quantity": 3, "rate": "0.0800", "amount": "0.2400", "work_done_at": now, "accepted_at": now},
    )[0]  # fmt: skip


def _team_of(centre, person):
    """A team of `centre` with `person` in it and one shift type (for the roster rows)."""
    from workforce.models import ShiftType, Team

    team = Team.objects.get_or_create(centre=centre, name="矩阵排班组")[0]
    team.members.add(person)
    shift_type = ShiftType.objects.get_or_create(
        centre=centre, name="上午", defaults={"starts": dt.time(8, 30), "ends": dt.time(12)}
    )[0]
    return team, shift_type


def _batch_of(centre):
    """A batch run by `centre` (made directly: the matrix tests the pages, not cutting)."""
    from annotation.models import Batch
    from tests.annotation.factories import ProjectFactory

    return Batch.objects.get_or_create(centre=centre, name="矩阵批次", defaults={"project": ProjectFactory()})[0]


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[f"{r['role']}-{r['action']}" for r in ROWS])
@pytest.mark.parametrize("where", ["own_centre", "other_centre"])
def test_permission_matrix(client, row, where, centre, other_centre, hr, other_hr, django_capture_on_commit_callbacks):
    actor = factories.UserFactory(centre=None if row["role"] == "network_admin" else centre, roles=[row["role"]])
    target_centre = centre if where == "own_centre" else other_centre
    target = factories.worker(actor=hr if where == "own_centre" else other_hr, centre=target_centre)
    client.force_login(actor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(client, row["action"], target, target_centre)
    allowed = row[where] == "yes"
    assert _took_effect(row["action"], response, actor, target_centre) == allowed
    if not allowed and row["action"] != "import_roster":
        assert response.status_code in (403, 404), response.status_code
    if not allowed and where == "other_centre" and row["own_centre"] == "yes" and "worker" in row["action"]:
        assert response.status_code == 404  # someone else's person: "not found", never "forbidden"
    if not allowed and row["action"] == "review_batch":
        assert response.status_code == 404  # the review pages do not exist for them


def _took_effect(action: str, response, actor, centre) -> bool:
    if action in ("view_workers", "edit_worker"):
        return response.status_code == 200
    if action == "reveal_pii":
        return AuditLog.objects.filter(actor=actor, action="reveal_pii").exists()
    if action == "import_roster":
        # HR may upload; a row for another centre is refused inside the job.
        return User.objects.filter(mobile="13766667777").exists()
    if action in ("view_batch", "review_batch"):
        return response.status_code == 200
    if action == "manage_batch":
        return _batch_of(centre).status == "paused"
    if action == "reverse_ledger":
        from workforce.models import LedgerLine

        return LedgerLine.objects.filter(kind="reversal", centre=centre).exists()
    if action == "publish_roster":
        from workforce.models import ShiftEvent

        return ShiftEvent.objects.filter(centre=centre).exists()
    if action == "decide_absence":
        from workforce.models import Absence

        return Absence.objects.filter(centre=centre, status="approved").exists()
    return centre.teams.filter(name="矩阵测试组").exists()
