import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from aidou.crypto import decrypt_text
from aidou.errors import PermissionDenied
from aidou.models import AuditLog
from tests import factories
from workforce import services
from workforce.models import Role, User, WorkerProfile

pytestmark = pytest.mark.django_db


def data(centre, **overrides):
    fields = {
        "name": "李桂英",
        "mobile": "13900000001",
        "centre": centre,
        "roles": (Role.ANNOTATOR,),
        "id_number": "11010519491231002X",
    }
    fields.update(overrides)
    return services.WorkerData(**fields)


def test_creating_a_worker_encrypts_and_masks_personal_data(hr, centre):
    worker = services.worker_save(
        actor=hr, worker=None, data=data(centre, bank_account="6228480000000001234", bank_name="农行")
    )
    profile = WorkerProfile.objects.get(user=worker)
    assert "11010519491231002X" not in profile.id_number_encrypted
    assert decrypt_text(profile.id_number_encrypted) == "11010519491231002X"
    assert profile.id_number_masked == "1101**********002X"
    assert profile.bank_account_masked == "**** **** 1234"
    assert decrypt_text(profile.bank_account_encrypted) == "6228480000000001234"
    # What the ID number says about the person is filled in.
    assert profile.birth_date == dt.date(1949, 12, 31)
    assert profile.gender == "female"
    assert worker.username == "13900000001"
    assert worker.roles == {Role.ANNOTATOR}


def test_the_raw_database_row_holds_no_clear_personal_data(hr, centre):
    from django.db import connection

    worker = services.worker_save(actor=hr, worker=None, data=data(centre, bank_account="6228480000000001234"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM workforce_workerprofile WHERE user_id = %s", [worker.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert "11010519491231002X" not in row
    assert "6228480000000001234" not in row


def test_changing_personal_data_is_audited(hr, centre):
    worker = services.worker_save(actor=hr, worker=None, data=data(centre))
    assert AuditLog.objects.filter(actor=hr, action=AuditLog.Action.CHANGE_PII).count() == 1
    services.worker_save(actor=hr, worker=worker, data=data(centre, name="李桂兰"))  # no PII change
    assert AuditLog.objects.filter(action=AuditLog.Action.CHANGE_PII).count() == 1
    services.worker_save(actor=hr, worker=worker, data=data(centre, bank_account="6228480000000009999"))
    last = AuditLog.objects.first()
    assert last.fields == ["bank_account"]


def test_blank_id_number_on_update_keeps_the_one_on_file(hr, centre):
    worker = services.worker_save(actor=hr, worker=None, data=data(centre))
    services.worker_save(actor=hr, worker=worker, data=data(centre, id_number="", name="新名字"))
    profile = WorkerProfile.objects.get(user=worker)
    assert decrypt_text(profile.id_number_encrypted) == "11010519491231002X"
    assert User.objects.get(pk=worker.pk).name == "新名字"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mobile": "123"}, "mobile"),
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"id_number": ""}, "id_number"),
        ({"name": "  "}, "name"),
        ({"roles": ()}, "roles"),
        ({"birth_date": dt.date(1950, 1, 1)}, "birth_date"),
        ({"gender": "male"}, "gender"),
        ({"bank_account": "12"}, "bank_account"),
        ({"hire_date": dt.date(1940, 1, 1)}, "hire_date"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(hr, centre, overrides, field):
    with pytest.raises(ValidationError) as exc:
        services.worker_save(actor=hr, worker=None, data=data(centre, **overrides))
    assert field in exc.value.message_dict
    assert not User.objects.filter(mobile="13900000001").exists()
    assert not WorkerProfile.objects.exists()


def test_the_same_person_cannot_be_added_twice(hr, centre):
    services.worker_save(actor=hr, worker=None, data=data(centre))
    with pytest.raises(ValidationError) as exc:
        services.worker_save(actor=hr, worker=None, data=data(centre, mobile="13900000002"))
    assert "id_number" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.worker_save(actor=hr, worker=None, data=data(centre, id_number=factories.make_id_number()))
    assert "mobile" in exc.value.message_dict


def test_hr_cannot_add_people_to_another_centre(hr, other_centre):
    with pytest.raises(ValidationError) as exc:
        services.worker_save(actor=hr, worker=None, data=data(other_centre))
    assert "centre" in exc.value.message_dict


def test_hr_cannot_edit_people_of_another_centre(hr, outsider, other_centre):
    with pytest.raises(PermissionDenied):
        services.worker_save(actor=hr, worker=outsider, data=data(other_centre))


def test_only_a_superuser_grants_network_admin(hr, network_admin, centre):
    for actor in (hr, network_admin):  # a role grants only roles strictly below its own
        with pytest.raises(ValidationError) as exc:
            services.worker_save(actor=actor, worker=None, data=data(centre, roles=(Role.NETWORK_ADMIN,)))
        assert "roles" in exc.value.message_dict
    root = factories.UserFactory(centre=None, is_superuser=True)
    worker = services.worker_save(actor=root, worker=None, data=data(centre, roles=(Role.NETWORK_ADMIN,)))
    assert worker.is_network_admin


def test_roles_and_team_are_replaced_on_update(hr, centre):
    team_a = factories.TeamFactory(centre=centre)
    team_b = factories.TeamFactory(centre=centre)
    worker = services.worker_save(actor=hr, worker=None, data=data(centre, teams=(team_a,)))
    worker = services.worker_save(
        actor=hr, worker=worker, data=data(centre, teams=(team_b,), roles=(Role.REVIEWER, Role.CHILDCARE_STAFF))
    )
    assert list(worker.teams.all()) == [team_b]
    assert User.objects.get(pk=worker.pk).roles == {Role.REVIEWER, Role.CHILDCARE_STAFF}


def test_team_must_belong_to_the_centre(hr, centre, other_centre):
    with pytest.raises(ValidationError) as exc:
        services.worker_save(
            actor=hr, worker=None, data=data(centre, teams=(factories.TeamFactory(centre=other_centre),))
        )
    assert "teams" in exc.value.message_dict


def test_hr_reveal_returns_clear_values_and_writes_an_audit_row(hr, annotator):
    revealed = services.worker_pii_reveal(actor=hr, worker=annotator, ip_address="127.0.0.1")
    assert len(revealed["id_number"]) == 18
    entry = AuditLog.objects.get(action=AuditLog.Action.REVEAL_PII)
    assert entry.actor == hr
    assert entry.target_id == str(annotator.profile.pk)
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.parametrize("who", ["supervisor", "manager", "other_hr"])
def test_no_one_else_may_reveal_and_nothing_is_logged(request, annotator, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.worker_pii_reveal(actor=actor, worker=annotator)
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL_PII).exists()


def test_team_create(hr, centre, other_centre):
    team = services.team_create(actor=hr, centre=centre, name="夜班组")
    assert team.centre == centre
    with pytest.raises(ValidationError):
        services.team_create(actor=hr, centre=centre, name="夜班组")
    with pytest.raises(PermissionDenied):
        services.team_create(actor=hr, centre=other_centre, name="别人的组")


def test_deactivate(hr, annotator):
    services.worker_set_active(actor=hr, worker=annotator, active=False)
    annotator.refresh_from_db()
    assert not annotator.is_active
    with pytest.raises(PermissionDenied):
        services.worker_set_active(actor=hr, worker=hr, active=False)
