import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aidou.models import AuditLog
from tests import factories
from workforce.models import Role, RosterImport, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_login_with_username_or_mobile(client, annotator):
    page = client.post("/accounts/login/", {"username": annotator.mobile, "password": factories.PASSWORD})
    assert page.status_code == 302
    client.logout()
    page = client.post("/accounts/login/", {"username": annotator.username, "password": factories.PASSWORD})
    assert page.status_code == 302
    client.logout()
    page = client.post("/accounts/login/", {"username": annotator.mobile, "password": "wrong"})
    assert page.status_code == 200
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client):
    assert client.get("/").status_code == 302
    assert client.get("/workers/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("role", "links", "hidden"),
    [
        (Role.HR, ["/workers/", "/workers/import/", "/workers/new/"], []),
        (Role.SUPERVISOR, ["/workers/?role=annotator", "/centres/"], ["/workers/import/"]),
        (Role.ANNOTATOR, ["/accounts/password/", "/work/label/", "/work/"], ["/workers/", "/workers/import/"]),
        (Role.CENTRE_MANAGER, ["/centres/", "/workers/"], ["/workers/import/"]),
    ],
)
def test_home_page_per_role_links_to_what_exists(login, centre, role, links, hidden):
    user = factories.UserFactory(centre=centre, roles=[role])
    html = login(user).get("/").content.decode()
    for link in links:
        assert f'href="{link}"' in html
        path = link.split("?")[0]
        assert login(user).get(path).status_code == 200, path
    for link in hidden:
        assert f'href="{link}"' not in html


def test_home_is_chinese_by_default_and_english_on_request(login, annotator):
    client = login(annotator)
    assert "退出" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()


def test_worker_list_filters_and_is_scoped(login, hr, centre, annotator, outsider):
    reviewer = factories.worker(actor=hr, centre=centre, roles=(Role.REVIEWER,), name="钱敏")
    client = login(hr)
    html = client.get("/workers/").content.decode()
    assert annotator.name in html and reviewer.name in html
    assert outsider.name not in html
    html = client.get("/workers/?role=reviewer").content.decode()
    assert reviewer.name in html and annotator.name not in html
    html = client.get("/workers/?q=王秀").content.decode()
    assert annotator.name in html and reviewer.name not in html
    assert annotator.profile.id_number_masked in html


def test_worker_list_queries_do_not_grow_with_rows(login, hr, centre, django_assert_max_num_queries):
    team = factories.TeamFactory(centre=centre)
    for _ in range(40):
        factories.worker(actor=hr, centre=centre, team=team)
    client = login(hr)
    # session, user, roles, client membership (navigation), count, centres, teams, page,
    # roles of page, teams of page
    with django_assert_max_num_queries(10):
        assert client.get("/workers/").status_code == 200


def test_foreign_worker_pages_are_404(login, hr, outsider):
    client = login(hr)
    for path in ["", "edit/"]:
        assert client.get(f"/workers/{outsider.pk}/{path}").status_code == 404
    for path in ["reveal/", "password/", "active/"]:
        assert client.post(f"/workers/{outsider.pk}/{path}", {"password": "x" * 10}).status_code == 404
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL_PII).exists()


def test_reveal_shows_full_numbers_once_and_is_audited(login, hr, annotator):
    client = login(hr)
    detail = client.get(f"/workers/{annotator.pk}/").content.decode()
    assert annotator.profile.id_number_masked in detail
    page = client.post(f"/workers/{annotator.pk}/reveal/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    from aidou.crypto import decrypt_text

    assert decrypt_text(annotator.profile.id_number_encrypted) in page.content.decode()
    assert AuditLog.objects.filter(actor=hr, action=AuditLog.Action.REVEAL_PII).count() == 1


def test_supervisor_sees_no_reveal_button_and_is_refused(login, supervisor, annotator):
    client = login(supervisor)
    assert "/reveal/" not in client.get(f"/workers/{annotator.pk}/").content.decode()
    assert client.post(f"/workers/{annotator.pk}/reveal/").status_code == 403
    assert not AuditLog.objects.exists() or not AuditLog.objects.filter(action="reveal_pii").exists()


def test_hr_adds_and_edits_a_person_through_the_form(login, hr, centre):
    team = factories.TeamFactory(centre=centre)
    client = login(hr)
    form = {
        "name": "孙丽娟",
        "mobile": "13711112222",
        "id_number": factories.make_id_number("19920304"),
        "employment_type": "part_time",
        "centre": centre.pk,
        "teams": [team.pk],
        "roles": ["annotator", "childcare_staff"],
    }
    response = client.post("/workers/new/", form)
    assert response.status_code == 302
    person = User.objects.get(mobile="13711112222")
    assert person.roles == {Role.ANNOTATOR, Role.CHILDCARE_STAFF}
    form.update(name="孙丽", id_number="", roles=["annotator"])
    assert client.post(f"/workers/{person.pk}/edit/", form).status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.name == "孙丽" and person.roles == {Role.ANNOTATOR}


def test_form_errors_are_shown_next_to_the_field(login, hr, centre):
    response = login(hr).post(
        "/workers/new/",
        {
            "name": "错号",
            "mobile": "13711113333",
            "id_number": "110105194912310021",
            "employment_type": "full_time",
            "centre": centre.pk,
            "roles": ["annotator"],
        },  # fmt: skip
    )
    assert response.status_code == 200
    assert "check digit" in response.content.decode() or "校验" in response.content.decode()
    assert not User.objects.filter(mobile="13711113333").exists()


def test_supervisor_cannot_edit(login, supervisor, annotator):
    assert login(supervisor).get(f"/workers/{annotator.pk}/edit/").status_code == 403


def test_roster_upload_page_redirects_to_the_job_with_a_progress_bar(
    login, hr, centre, django_capture_on_commit_callbacks
):
    client = login(hr)
    body = f"姓名,手机号,身份证号,中心,角色\n王五,13722223333,{factories.make_id_number()},{centre.name},标注员\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/workers/import/", {"file": SimpleUploadedFile("r.csv", body.encode())})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'role="progressbar"' in page
    assert RosterImport.objects.get().status == "succeeded"
    assert User.objects.filter(mobile="13722223333").exists()


def test_roster_errors_page_names_the_column_people_know(login, hr, centre):
    job = factories.RosterImportFactory(
        created_by=hr, status="succeeded", errors=[{"row": 3, "field": "id_number", "reason": "bad"}]
    )
    html = login(hr).get(f"/workers/import/{job.pk}/").content.decode()
    assert "身份证号" in html


def test_roster_template_download(login, hr):
    response = login(hr).get("/workers/import/template.csv")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("姓名,手机号,身份证号")
    assert len(lines) == 1  # no example row that would be imported as a real person


def test_centre_and_team_pages(login, hr, centre, other_centre, annotator):
    team = factories.TeamFactory(centre=centre, name="夜班")
    team.members.add(annotator)
    client = login(hr)
    assert centre.name in client.get("/centres/").content.decode()
    assert other_centre.name not in client.get("/centres/").content.decode()
    assert client.get(f"/centres/{other_centre.pk}/").status_code == 404
    assert annotator.name in client.get(f"/teams/{team.pk}/").content.decode()
    assert client.get(f"/teams/{factories.TeamFactory(centre=other_centre).pk}/").status_code == 404
    response = client.post(f"/centres/{centre.pk}/", {"name": "新团队"})
    assert response.status_code == 302
    assert centre.teams.filter(name="新团队").exists()


def test_admin_lists_every_model(admin_client):
    for path in ["workforce/user", "workforce/centre", "workforce/team", "workforce/workerprofile",
                 "workforce/rolegrant", "workforce/rosterimport", "aidou/auditlog", "annotation/batch",
                 "annotation/assignment", "annotation/annotation"]:  # fmt: skip
        assert admin_client.get(f"/admin/{path}/").status_code == 200, path


def test_the_add_form_offers_only_grantable_roles_and_needs_an_id_number(login, hr, network_admin, centre):
    html = login(hr).get("/workers/new/").content.decode()
    assert 'value="network_admin"' not in html and 'value="annotator"' in html
    response = login(hr).post(
        "/workers/new/",
        {
            "name": "无证",
            "mobile": "13711114444",
            "employment_type": "full_time",
            "centre": centre.pk,
            "roles": ["annotator"],
        },
    )
    assert response.status_code == 200 and not User.objects.filter(mobile="13711114444").exists()
    assert 'value="network_admin"' in login(network_admin).get("/workers/new/").content.decode()


def test_saving_the_edit_form_in_chinese_keeps_dates_and_every_team(login, hr, centre):
    """Two data-loss bugs found in a walk-through: localised dates an <input type=date>
    rejects (so they were saved empty), and a single team select that dropped the others."""
    import datetime as dt
    import re

    night, day = factories.TeamFactory(centre=centre), factories.TeamFactory(centre=centre)
    person = factories.worker(
        actor=hr,
        centre=centre,
        teams=(night, day),
        hire_date=dt.date(2024, 12, 20),
        id_number=factories.make_id_number("19760923"),
    )
    client = login(hr)
    html = client.get(f"/workers/{person.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value="2024-12-20"' in html and 'value="1976-09-23"' in html
    # Submit the form exactly as the browser would, changing only the education.
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', html))
    form = {key: fields[key] for key in ("name", "mobile", "birth_date", "hire_date") if key in fields}
    form.update(centre=centre.pk, employment_type="full_time", education="senior", roles=["annotator"],
                teams=re.findall(r'name="teams" value="(\d+)"[^>]*checked', html))  # fmt: skip
    assert client.post(f"/workers/{person.pk}/edit/", form, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.profile.hire_date == dt.date(2024, 12, 20)
    assert person.profile.birth_date == dt.date(1976, 9, 23)
    assert person.profile.education == "senior"
    assert set(person.teams.all()) == {night, day}


def test_forbidden_and_missing_pages_are_styled_and_translated(login, centre, outsider):
    reviewer = factories.UserFactory(centre=centre, roles=[Role.REVIEWER])
    client = login(reviewer)
    home = client.get("/").content.decode()
    assert 'href="/workers/' not in home  # no link to a page the role cannot open
    forbidden = client.get("/workers/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.content.decode()
    assert 'class="brand"' in forbidden.content.decode()
