import pytest
from rest_framework.authtoken.models import Token

from tests import factories
from tests.openapi import assert_matches_schema
from workforce.models import Role

pytestmark = pytest.mark.django_db


def test_hr_lists_only_their_centre_with_masked_personal_data(api, hr, annotator, outsider):
    response = api(hr).get("/api/v1/workers/")
    assert response.status_code == 200
    assert_matches_schema(response)
    ids = {row["id"] for row in response.json()["results"]}
    assert annotator.pk in ids
    assert outsider.pk not in ids
    row = next(row for row in response.json()["results"] if row["id"] == annotator.pk)
    assert row["id_number"] == annotator.profile.id_number_masked
    assert "*" in row["id_number"]
    assert row["roles"] == [Role.ANNOTATOR]


def test_network_admin_sees_every_centre(api, network_admin, annotator, outsider):
    ids = {row["id"] for row in api(network_admin).get("/api/v1/workers/?page_size=1000").json()["results"]}
    assert {annotator.pk, outsider.pk} <= ids


@pytest.mark.parametrize("who", ["hr", "supervisor", "manager"])
def test_another_centres_worker_is_not_found(request, api, outsider, who):
    response = api(request.getfixturevalue(who)).get(f"/api/v1/workers/{outsider.pk}/")
    assert response.status_code == 404


def test_supervisor_reads_own_centre_worker(api, supervisor, annotator):
    response = api(supervisor).get(f"/api/v1/workers/{annotator.pk}/")
    assert response.status_code == 200
    assert_matches_schema(response)
    assert response.json()["name"] == "王秀英"


def test_annotators_may_not_list_people(api, annotator):
    assert api(annotator).get("/api/v1/workers/").status_code == 403


def test_anonymous_gets_401_with_token_auth_offered(api):
    response = api().get("/api/v1/workers/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_filters(api, hr, centre):
    team = factories.TeamFactory(centre=centre)
    in_team = factories.worker(actor=hr, centre=centre, team=team, name="赵娜")
    reviewer = factories.worker(actor=hr, centre=centre, roles=(Role.REVIEWER,), name="钱敏")
    client = api(hr)

    def names(query):
        response = client.get(f"/api/v1/workers/?{query}")
        assert response.status_code == 200
        return {row["name"] for row in response.json()["results"]}

    assert names(f"team={team.pk}") == {in_team.name}
    assert names("role=reviewer") == {reviewer.name}
    assert names("search=钱") == {reviewer.name}
    assert names(f"search={in_team.mobile[:7]}") >= {in_team.name}
    assert client.get("/api/v1/workers/?role=pilot").status_code == 400


def test_list_uses_the_same_number_of_queries_whatever_the_page_size(client, hr, centre, django_assert_num_queries):
    team = factories.TeamFactory(centre=centre)
    for _ in range(30):
        factories.worker(actor=hr, centre=centre, team=team, roles=(Role.ANNOTATOR, Role.REVIEWER))
    token = Token.objects.create(user=hr)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    # token+user, actor's roles, count, page, roles of the page, teams of the page
    with django_assert_num_queries(6):
        small = client.get("/api/v1/workers/?page_size=2", **headers)
    with django_assert_num_queries(6):
        large = client.get("/api/v1/workers/?page_size=1000", **headers)
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 31  # 30 + HR


def test_page_size_is_capped_at_1000(api, hr):
    response = api(hr).get("/api/v1/workers/?page_size=5000")
    assert response.status_code == 200


def test_me(api, annotator):
    response = api(annotator).get("/api/v1/me/")
    assert response.status_code == 200
    assert_matches_schema(response)
    body = response.json()
    assert body["roles"] == ["annotator"]
    assert body["centre"]["id"] == annotator.centre_id


def test_centres_and_teams_are_scoped(api, hr, centre, other_centre, network_admin):
    mine = factories.TeamFactory(centre=centre)
    theirs = factories.TeamFactory(centre=other_centre)
    client = api(hr)
    centres = client.get("/api/v1/centres/")
    assert_matches_schema(centres)
    assert [row["id"] for row in centres.json()["results"]] == [centre.pk]
    assert client.get(f"/api/v1/centres/{other_centre.pk}/").status_code == 404
    teams = client.get("/api/v1/teams/")
    assert_matches_schema(teams)
    assert [row["id"] for row in teams.json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/teams/{theirs.pk}/").status_code == 404
    assert len(api(network_admin).get("/api/v1/centres/").json()["results"]) == 2


def test_team_and_centre_lists_use_constant_queries(api, hr, centre, django_assert_num_queries):
    for _ in range(5):
        factories.worker(actor=hr, centre=centre, team=factories.TeamFactory(centre=centre))
    client = api(hr)
    client.get("/api/v1/teams/")  # caches the actor's roles on the forced user
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/teams/").json()["results"]) == 5
    with django_assert_num_queries(2):
        client.get("/api/v1/centres/")


def test_staff_token_from_drf_create_token_works(client, hr):
    from django.core.management import call_command

    call_command("drf_create_token", hr.username)
    token = Token.objects.get(user=hr)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    # A person who left (deactivated) cannot go on with the token they had.
    hr.is_active = False
    hr.save(update_fields=["is_active"])
    refused = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 401
    assert refused.json()["detail"]


def test_schema_and_docs_are_served_without_outside_hosts(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_throttled_callers_get_429_with_retry_after(api, hr, monkeypatch):
    from django.core.cache import cache

    from aidou.throttling import PrincipalRateThrottle as UserRateThrottle

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    client = api(hr)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_staff_without_a_centre_see_nobody(api, db, annotator):
    """Not "everyone without a centre": a missing centre must not turn into IS NULL."""
    homeless_hr = factories.UserFactory(centre=None, roles=[Role.HR])
    factories.UserFactory(centre=None, roles=[Role.ANNOTATOR])
    client = api(homeless_hr)
    assert client.get("/api/v1/workers/").json()["count"] == 0
    assert client.get("/api/v1/centres/").json()["count"] == 0
