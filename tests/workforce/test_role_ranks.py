"""Role ranks (issue 18, item 2): docs/permissions.csv's rows with a `target_role` say,
for every role against every other, who may grant a role, change a holder's roles, set
their password or mark them as left. Each row is checked on every path that does it: the
person pages, the roster import (pages and job), and the admin (superusers only); the
API has no way to write roles or passwords at all."""

import csv
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aidou.models import AuditLog
from tests import factories
from workforce import policies, services
from workforce.models import Role, User

MATRIX = Path(__file__).resolve().parents[2] / "docs" / "permissions.csv"
ALL_ROWS = list(csv.DictReader(MATRIX.open(encoding="utf-8")))
ROWS = [row for row in ALL_ROWS if row.get("target_role")]
# Who may upload a roster at all (the matrix's import_roster rows): the roster path of a
# grant exists only for them.
IMPORTS_ROSTER = {(row["role"], where): row[where] == "yes" for row in ALL_ROWS if row["action"] == "import_roster"
                  for where in ("own_centre", "other_centre")}  # fmt: skip
PASSWORD = "a-new-Passw0rd!"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Hundreds of passwords are set here; what is tested is who may, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


def test_the_matrix_covers_every_role_against_every_other_for_each_action():
    roles = set(Role.values)
    for action in ("grant_role", "change_roles", "set_password", "set_active"):
        pairs = {(row["role"], row["target_role"]) for row in ROWS if row["action"] == action}
        assert pairs == {(a, b) for a in roles for b in roles}, action


@pytest.fixture
def root(db):
    """Sets the scene: only a superuser may make people of every rank."""
    return factories.UserFactory(username="root", centre=None, is_superuser=True, is_staff=True)


def _person(root, centre, roles):
    id_number = factories.make_id_number()
    person = factories.worker(actor=root, centre=centre, roles=roles, id_number=id_number)
    person.clear_id_number = id_number
    return person


def _low_role_besides(role: str) -> str:
    """A rank-1 role the person does not hold yet."""
    return Role.CHILDCARE_STAFF if role == Role.ANNOTATOR else Role.ANNOTATOR


def _form(person: User, roles) -> dict:
    return {"name": person.name, "mobile": person.mobile, "employment_type": "full_time",
            "centre": person.centre_id, "roles": list(roles)}  # fmt: skip


def _roster(person: User, roles) -> SimpleUploadedFile:
    body = f"姓名,手机号,身份证号,中心,角色\n{person.name},{person.mobile},{person.clear_id_number},{person.centre.name},{'、'.join(roles)}\n"
    return SimpleUploadedFile("roster.csv", body.encode())


def _roles_of(person: User) -> set[str]:
    return set(User.objects.get(pk=person.pk).role_grants.values_list("role", flat=True))


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['role']}-{r['action']}-{r['target_role']}" for r in ROWS])
@pytest.mark.parametrize("where", ["own_centre", "other_centre"])
def test_role_ranks(client, row, where, centre, other_centre, root, django_capture_on_commit_callbacks):
    actor = factories.UserFactory(centre=None if row["role"] == Role.NETWORK_ADMIN else centre, roles=[row["role"]])
    target_centre = centre if where == "own_centre" else other_centre
    action, role = row["action"], row["target_role"]
    allowed = row[where] == "yes"
    client.force_login(actor)

    if action == "grant_role":
        # Given to a rank-1 person; on the edit page and in a roster import.
        for path in ("page", "roster"):
            low = _low_role_besides(role)
            person = _person(root, target_centre, [low])
            wanted = [low, role]
            with django_capture_on_commit_callbacks(execute=True):
                if path == "page":
                    response = client.post(f"/workers/{person.pk}/edit/", _form(person, wanted))
                else:
                    response = client.post("/workers/import/", {"file": _roster(person, wanted)})
            took = role in _roles_of(person)
            assert took == (allowed and (path == "page" or IMPORTS_ROSTER[(row["role"], where)])), path
            if path == "page" and not allowed:
                assert response.status_code in (200, 403, 404)  # a form error, not allowed, not found
        # And to someone new.
        mobile = factories.make_mobile()
        client.post("/workers/new/", {**_form(person, [role]), "mobile": mobile, "name": "新人",
                                      "id_number": factories.make_id_number(), "centre": target_centre.pk})  # fmt: skip
        assert User.objects.filter(mobile=mobile, role_grants__role=role).exists() == allowed
    elif action == "change_roles":
        for path in ("page", "roster"):
            person = _person(root, target_centre, [role])
            added = _low_role_besides(role)
            with django_capture_on_commit_callbacks(execute=True):
                if path == "page":
                    response = client.post(f"/workers/{person.pk}/edit/", _form(person, [role, added]))
                else:
                    response = client.post("/workers/import/", {"file": _roster(person, [role, added])})
            expected = allowed and (path == "page" or IMPORTS_ROSTER[(row["role"], where)])
            assert (added in _roles_of(person)) == expected, (path, response.status_code)
            assert role in _roles_of(person)  # what they held stays
    elif action == "set_password":
        person = _person(root, target_centre, [role])
        response = client.post(f"/workers/{person.pk}/password/", {"password": PASSWORD})
        assert User.objects.get(pk=person.pk).check_password(PASSWORD) == allowed
        if not allowed:
            assert response.status_code in (403, 404)
    else:
        person = _person(root, target_centre, [role])
        response = client.post(f"/workers/{person.pk}/active/", {"active": "0", "confirmed": "1"})
        assert User.objects.get(pk=person.pk).is_active != allowed
        if not allowed:
            assert response.status_code in (302, 403, 404)

    audited = {"grant_role": "grant_role", "change_roles": "grant_role", "set_password": "set_password",
               "set_active": "set_active"}[action]  # fmt: skip
    assert AuditLog.objects.filter(actor=actor, action=audited).exists() == allowed


def test_hr_can_neither_take_over_the_manager_nor_promote_themselves(client, hr, centre, root):
    manager = _person(root, centre, [Role.CENTRE_MANAGER])
    client.force_login(hr)
    refused = client.post(f"/workers/{manager.pk}/password/", {"password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "ask the network admin" in refused.content.decode()
    assert not User.objects.get(pk=manager.pk).check_password(PASSWORD)
    # The manager's page offers no password form, and says who to ask.
    page = client.get(f"/workers/{manager.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="password"' not in page and "ask the network admin" in page
    # Themselves: no role of their own to change, not even one below.
    hr_worker = _person(root, centre, [Role.HR])
    client.force_login(hr_worker)
    client.post(f"/workers/{hr_worker.pk}/edit/", _form(hr_worker, [Role.HR, Role.CENTRE_MANAGER]))
    client.post(f"/workers/{hr_worker.pk}/edit/", _form(hr_worker, [Role.HR, Role.ANNOTATOR]))
    assert _roles_of(hr_worker) == {Role.HR}
    assert not client.post(f"/workers/{hr_worker.pk}/password/", {"password": PASSWORD}).status_code == 302


def test_editing_a_superior_keeps_the_roles_the_editor_may_not_touch(client, hr, centre, root):
    """HR keeps the manager's record (a new mobile) without losing the manager their role."""
    manager = _person(root, centre, [Role.CENTRE_MANAGER])
    client.force_login(hr)
    form = client.get(f"/workers/{manager.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Kept as they are" in form.content.decode()
    mobile = factories.make_mobile()
    response = client.post(f"/workers/{manager.pk}/edit/", {**_form(manager, []), "mobile": mobile})
    assert response.status_code == 302, response.context["form"].errors
    assert User.objects.get(pk=manager.pk).mobile == mobile
    assert _roles_of(manager) == {Role.CENTRE_MANAGER}


def test_a_grant_and_a_revocation_are_each_audited(hr, centre, root):
    person = _person(root, centre, [Role.ANNOTATOR])
    data = services.WorkerData(name=person.name, mobile=person.mobile, centre=centre, roles=(Role.REVIEWER,))
    services.worker_save(actor=hr, worker=User.objects.get(pk=person.pk), data=data)
    rows = AuditLog.objects.filter(actor=hr, target_type="workforce.user", target_id=str(person.pk))
    assert sorted((row.action, row.fields[0]) for row in rows) == [
        ("grant_role", Role.REVIEWER),
        ("revoke_role", Role.ANNOTATOR),
    ]


def test_only_a_superuser_grants_network_admin(network_admin, root, centre):
    assert not policies.can_assign_role(network_admin, Role.NETWORK_ADMIN)
    assert policies.can_assign_role(network_admin, Role.CENTRE_MANAGER)
    assert policies.can_assign_role(root, Role.NETWORK_ADMIN)


def test_the_api_has_no_way_to_write_roles_or_passwords(api, network_admin, root, centre):
    person = _person(root, centre, [Role.ANNOTATOR])
    client = api(network_admin)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/workers/{person.pk}/", {"roles": ["hr"]}, format="json")
        assert response.status_code == 405, (method, response.status_code)
    assert client.post("/api/v1/workers/", {"roles": ["hr"]}, format="json").status_code == 405
    assert _roles_of(person) == {Role.ANNOTATOR}


def test_in_the_admin_only_a_superuser_changes_accounts_and_grants(client, centre, root):
    from django.contrib.auth.models import Permission

    manager = _person(root, centre, [Role.CENTRE_MANAGER])
    staff_hr = factories.UserFactory(centre=centre, roles=[Role.HR], is_staff=True)
    staff_hr.user_permissions.set(Permission.objects.filter(content_type__app_label="workforce"))
    client.force_login(staff_hr)
    password_url = f"/admin/workforce/user/{manager.pk}/password/"
    assert client.post(password_url, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 403
    assert not User.objects.get(pk=manager.pk).check_password(PASSWORD)
    assert (
        client.post("/admin/workforce/rolegrant/add/", {"user": staff_hr.pk, "role": "network_admin"}).status_code
        == 403
    )
    assert _roles_of(staff_hr) == {Role.HR}
    client.force_login(root)
    assert client.get(password_url).status_code == 200
