"""The roster leftovers of issue 18: an unchanged re-import says "unchanged", mobiles
written with spaces or a country code are accepted and matched, people who have left are
not counted as staff in the API, and marking someone as left asks first."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from aidou.errors import Conflict
from aidou.models import AuditLog
from tests import factories
from tests.workforce.test_services_roster_import import csv_upload, rows, run_import
from workforce import services
from workforce.models import Team, User

# A script in the page itself (the site's own page.js, loaded by src, is not one).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(centre):
    return factories.TeamFactory(centre=centre, name="标注一组")


def test_an_unchanged_file_imported_again_is_reported_unchanged_and_writes_nothing(hr, centre, team):
    lines = rows(centre.name)[:2]
    first = run_import(hr, csv_upload(lines))
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    stamps = dict(User.objects.values_list("mobile", "profile__updated_at"))
    audits = AuditLog.objects.count()
    again = run_import(hr, csv_upload(lines))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 2, 0)
    assert dict(User.objects.values_list("mobile", "profile__updated_at")) == stamps  # nothing rewritten
    assert AuditLog.objects.count() == audits  # no grant, no change of personal data
    # One real change among them: one updated, one unchanged.
    lines[1] = lines[1].replace("兼职", "全职")
    third = run_import(hr, csv_upload(lines))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)


def test_the_api_and_the_page_show_the_unchanged_count(hr, centre, team, api, client):
    lines = rows(centre.name)[:1]
    run_import(hr, csv_upload(lines))
    job = run_import(hr, csv_upload(lines))
    body = api(hr).get(f"/api/v1/roster-imports/{job.pk}/").json()
    assert (body["updated"], body["unchanged"]) == (0, 1)
    client.force_login(hr)
    page = client.get(f"/workers/import/{job.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "未变" in page


@pytest.mark.parametrize("written", ["+86 137 0000 0001", "0086-137-0000-0001", "137 0000 0001", "(+86)13700000001"])
def test_mobiles_with_spaces_or_a_country_code_are_accepted_and_match_the_person(hr, centre, team, written):
    lines = rows(centre.name)[:1]
    run_import(hr, csv_upload(lines))
    person = User.objects.get(mobile="13700000001")
    job = run_import(hr, csv_upload([lines[0].replace("13700000001", written, 1)]))
    assert (job.created, job.rejected, job.unchanged) == (0, 0, 1), job.errors
    assert User.objects.filter(name="刘小红").count() == 1
    # And as the login: the number as the person writes it.
    person.set_password("secret-pass-1")
    person.save()
    assert User.objects.get(pk=person.pk).mobile == "13700000001"
    assert Client().login(username=written, password="secret-pass-1")


def test_a_new_person_with_a_country_code_is_stored_as_eleven_digits(hr, centre, team):
    job = run_import(hr, csv_upload([rows(centre.name)[0].replace("13700000001", "+86 13700000001", 1)]))
    assert job.created == 1 and User.objects.filter(mobile="13700000001").exists()


def test_the_workers_api_lists_current_staff_unless_asked(api, hr, centre):
    stays = factories.worker(actor=hr, centre=centre, name="在职")
    left = factories.worker(actor=hr, centre=centre, name="离职")
    services.worker_set_active(actor=hr, worker=left, active=False)
    client = api(hr)

    def names(query=""):
        return {row["name"] for row in client.get(f"/api/v1/workers/{query}").json()["results"]}

    assert stays.name in names() and left.name not in names()
    assert client.get("/api/v1/workers/").json()["count"] == User.objects.filter(centre=centre, is_active=True).count()
    assert names("?status=left") == {left.name}
    assert {stays.name, left.name} <= names("?status=all")
    assert names("?is_active=false") == {left.name}
    assert client.get("/api/v1/workers/?status=gone").status_code == 400
    assert client.get(f"/api/v1/workers/{left.pk}/").json()["is_active"] is False  # found by id


def test_team_member_counts_leave_out_people_who_have_left(api, hr, centre):
    team = factories.TeamFactory(centre=centre)
    people = [factories.worker(actor=hr, centre=centre, team=team) for _ in range(3)]
    services.worker_set_active(actor=hr, worker=people[0], active=False)
    [row] = [row for row in api(hr).get("/api/v1/teams/").json()["results"] if row["id"] == team.pk]
    assert row["member_count"] == 2


def test_marking_as_left_asks_first(client, hr, centre):
    person = factories.worker(actor=hr, centre=centre, name="要离职")
    client.force_login(hr)
    detail = client.get(f"/workers/{person.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/workers/{person.pk}/active/?active=0"' in detail  # a link to the question, not a POST
    question = client.get(f"/workers/{person.pk}/active/?active=0", HTTP_ACCEPT_LANGUAGE="en")
    html = question.content.decode()
    assert question.status_code == 200 and "Mark 要离职 as left?" in html
    assert 'name="confirmed" value="1"' in html and f'href="/workers/{person.pk}/"' in html  # confirm or cancel
    assert not INLINE_SCRIPT.search(html.split("</header>")[-1]) and "style=" not in html and " onclick" not in html
    assert User.objects.get(pk=person.pk).is_active
    # A POST without the confirmation (an old form, a double click) asks again.
    again = client.post(f"/workers/{person.pk}/active/", {"active": "0"})
    assert again.status_code == 200 and User.objects.get(pk=person.pk).is_active
    done = client.post(f"/workers/{person.pk}/active/", {"active": "0", "confirmed": "1"})
    assert done.status_code == 302 and not User.objects.get(pk=person.pk).is_active
    assert AuditLog.objects.filter(actor=hr, action="set_active", target_id=str(person.pk)).exists()
    assert (
        "要离职已标记为离职。" in client.get(f"/workers/{person.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    # Back again needs no question.
    client.post(f"/workers/{person.pk}/active/", {"active": "1"})
    assert User.objects.get(pk=person.pk).is_active


def test_a_team_is_renamed_and_given_a_new_lead(client, hr, centre):
    team = factories.TeamFactory(centre=centre, name="旧名")
    factories.TeamFactory(centre=centre, name="二组")
    lead = factories.worker(actor=hr, centre=centre, name="新组长")
    client.force_login(hr)
    done = client.post(f"/teams/{team.pk}/", {"team-name": "新名", "team-lead": lead.pk})
    assert done.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.lead_id) == ("新名", lead.pk)
    assert team.members.filter(pk=lead.pk).exists()  # the lead is one of the team
    taken = client.post(f"/teams/{team.pk}/", {"team-name": "二组", "team-lead": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert taken.status_code == 200 and "already has a team of that name" in taken.content.decode()
    team.refresh_from_db()
    assert team.name == "新名"
    # No lead at all is a choice too.
    client.post(f"/teams/{team.pk}/", {"team-name": "新名", "team-lead": ""})
    team.refresh_from_db()
    assert team.lead_id is None


def test_a_lead_from_another_centre_or_who_left_is_refused(hr, centre, other_centre, outsider):
    team = factories.TeamFactory(centre=centre)
    gone = factories.worker(actor=hr, centre=centre)
    services.worker_set_active(actor=hr, worker=gone, active=False)
    for lead in (outsider, User.objects.get(pk=gone.pk)):
        with pytest.raises(ValidationError) as exc:
            services.team_update(actor=hr, team=team, name=team.name, lead=lead)
        assert "lead" in exc.value.message_dict


def test_teams_of_another_centre_cannot_be_changed_or_deleted(client, hr, other_centre):
    foreign = factories.TeamFactory(centre=other_centre, name="外组")
    client.force_login(hr)
    assert client.post(f"/teams/{foreign.pk}/", {"team-name": "改"}).status_code == 404
    assert client.post(f"/teams/{foreign.pk}/delete/", {"confirmed": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "外组"


def test_a_supervisor_sees_a_team_but_does_not_manage_it(client, supervisor, centre):
    team = factories.TeamFactory(centre=centre, name="看看")
    client.force_login(supervisor)
    assert client.get(f"/teams/{team.pk}/").context["form"] is None
    assert client.post(f"/teams/{team.pk}/", {"team-name": "改"}).status_code == 403
    assert client.post(f"/teams/{team.pk}/delete/", {"confirmed": "1"}).status_code == 403


def test_deleting_a_team_asks_first_and_refuses_one_still_in_use(client, hr, centre):
    team = factories.TeamFactory(centre=centre, name="要删")
    member = factories.worker(actor=hr, centre=centre, team=team)
    client.force_login(hr)
    refused = client.get(f"/teams/{team.pk}/delete/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "要删 still has 1 member: move them to another team first." in refused.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()
    services.worker_set_active(actor=hr, worker=member, active=False)  # only people who left remain
    question = client.get(f"/teams/{team.pk}/delete/", HTTP_ACCEPT_LANGUAGE="en")
    assert question.status_code == 200 and "Delete the team 要删?" in question.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()
    done = client.post(f"/teams/{team.pk}/delete/", {"confirmed": "1"})
    assert done.status_code == 302 and not Team.objects.filter(pk=team.pk).exists()
    assert User.objects.filter(pk=member.pk).exists()


def test_a_team_named_by_a_batch_stays(hr, centre):
    from annotation.models import Batch
    from tests.annotation.factories import ProjectFactory

    team = factories.TeamFactory(centre=centre, name="有批次")
    batch = Batch.objects.create(project=ProjectFactory(), centre=centre, name="第一批")
    batch.teams.add(team)
    with pytest.raises(Conflict) as exc:
        services.team_delete(actor=hr, team=team)
    assert "有批次 is named by batches" in exc.value.message
    assert Team.objects.filter(pk=team.pk).exists()


def test_people_and_teams_are_listed_in_pinyin_order(api, client, hr, centre):
    from aidou.sorting import pinyin_sort_key

    assert pinyin_sort_key("张丽") == "zhang1 li4"
    assert pinyin_sort_key(" Alice ") == "alice"
    assert pinyin_sort_key("曾华", person=True) == "zeng1 hua2"  # a surname read as one, not céng
    names = ["张丽", "王秀英", "艾米", "李红", "曾华", "刘晓红", "Bob"]  # ai, bob, li, liu, wang, zeng, zhang
    for name in names:
        factories.worker(actor=hr, centre=centre, name=name)
    expected = ["艾米", "Bob", "李红", "刘晓红", "王秀英", "曾华", "张丽"]
    listed = [row["name"] for row in api(hr).get("/api/v1/workers/?page_size=50").json()["results"]]
    assert [name for name in listed if name in names] == expected
    client.force_login(hr)
    page = client.get("/workers/").content.decode()
    assert [name for name in sorted(names, key=page.index)] == expected
    for name in ("中文组", "标注一组", "安检组"):  # zhong, biao, an
        factories.TeamFactory(centre=centre, name=name)
    teams = [row["name"] for row in api(hr).get("/api/v1/teams/").json()["results"]]
    assert teams == ["安检组", "标注一组", "中文组"]
    # A rename re-sorts: the key follows the name.
    person = User.objects.get(name="张丽")
    data = services.WorkerData(name="阿丽", mobile=person.mobile, centre=centre, roles=("annotator",))
    services.worker_save(actor=hr, worker=person, data=data)
    assert User.objects.get(pk=person.pk).name_sort == "a1 li4"
    team = Team.objects.get(name="中文组")
    services.team_update(actor=hr, team=team, name="阿组", lead=None)
    assert [row["name"] for row in api(hr).get("/api/v1/teams/").json()["results"]][0] == "阿组"
