"""A period's summary and its fairness view: figures worked out by hand on a small centre
paid by the real payroll run, small groups kept from being shown apart, who may read them,
and a number of queries that does not grow with the number of people."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.workforce import pay_fixtures
from tests.workforce.pay_fixtures import at, ledger, run_payroll
from workforce.models import AttendanceRecord, Payslip, Role, Team
from workforce.pay import charts, reports, services
from workforce.work_figures import work_figures, work_figures_register

# A script in the page itself (the site's own page.js, loaded by src, is not one).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")

pytestmark = pytest.mark.django_db
pay_centre = pay_fixtures.pay_centre
D = Decimal
NOVEMBER = dt.date(2026, 11, 1)
# November 2026 has no statutory holiday: its 21 workdays are every Monday to Friday.
WORKDAYS = [NOVEMBER + dt.timedelta(days=n) for n in range(30) if (NOVEMBER + dt.timedelta(days=n)).weekday() < 5]


class GivenWork:
    """The work-figures port as the annotation app answers it, with counts set by the test."""

    def __init__(self) -> None:
        self.given: dict[int, int] = {}

    def active_seconds_by_day(self, **kwargs):
        return {}

    def quality_by_worker(self, **kwargs):
        return {}

    def work_counts_by_worker(self, *, centre_id, worker_ids, start, end):
        return {
            worker_id: {"given": n, "accepted": 0}
            for worker_id, n in self.given.items()
            if worker_ids is None or worker_id in worker_ids
        }


@pytest.fixture
def given_work():
    previous = work_figures()
    port = GivenWork()
    work_figures_register(port)
    yield port
    work_figures_register(previous)


def person(hr, centre, team, *, born: str, female: bool, base: str | None = None, name: str = ""):
    worker = factories.worker(
        actor=hr,
        centre=centre,
        team=team,
        id_number=factories.make_id_number(born, female=female),
        **({"name": name} if name else {}),
    )
    if base is not None:
        services.pay_terms_set(
            actor=hr, worker=worker, kind="monthly", base_amount=D(base), effective_from=dt.date(2026, 1, 1)
        )
    return worker


def attend(worker, days: list[dt.date], hours: int) -> None:
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(worker=worker, centre_id=worker.centre_id, clock_in_at=at(d, 9), clock_out_at=at(d, 9 + hours))
        for d in days
    )


def pieces(worker, *amounts: str) -> None:
    for n, amount in enumerate(amounts):
        ledger(worker, amount, at(WORKDAYS[n % len(WORKDAYS)], 10, n % 60))


# --- The period summary ------------------------------------------------------------------


@pytest.fixture
def small_centre(pay_centre, hr):
    """Team 一组: two salaried people (3,000 a month) with a little piece work; team 二组: one
    piece worker, full time, 8 h on each of the 21 workdays, whose pay is topped up."""
    one = Team.objects.create(centre=pay_centre, name="一组")
    two = Team.objects.create(centre=pay_centre, name="二组")
    a = person(hr, pay_centre, one, born="19900101", female=True, base="3000", name="甲")
    b = person(hr, pay_centre, one, born="19850101", female=True, base="3000", name="乙")
    c = person(hr, pay_centre, two, born="19750101", female=False, name="丙")
    pieces(a, "40", "60")  # 2 items, 100.00
    reversed_line = ledger(a, "25", at(WORKDAYS[3], 11))
    ledger(a, "-25", at(WORKDAYS[4], 11), reverses=reversed_line)  # found wrong: not an accepted item
    pieces(b, "50")  # 1 item
    pieces(c, "100", "100", "100", "100", "100")  # 5 items, 500.00
    attend(c, WORKDAYS, 8)
    run_payroll(hr, pay_centre, NOVEMBER)
    return {"one": one, "two": two, "a": a, "b": b, "c": c}


def test_summary_figures_by_hand(small_centre):
    period = Payslip.objects.get(worker=small_centre["a"]).period
    rows = {row.kind if row.kind != "team" else row.name: row for row in reports.period_summary(period)}
    assert list(rows) == ["centre", "一组", "二组"]
    one, two, centre = rows["一组"], rows["二组"], rows["centre"]
    # 一组: 3,000 + 100.00 piece (the reversed 25 cancels out) and 3,000 + 50.00; no top-up.
    assert (one.people, one.gross, one.piece, one.base) == (2, D("6150.00"), D("150.00"), D("6000.00"))
    assert (one.topup_count, one.topup_sum, one.other) == (0, D("0"), D("0.00"))
    # 3 items accepted (40, 60, 50; the reversed one not counted): 6,150 / 3 = 2,050.00 an item.
    assert (one.accepted, one.cost_per_item) == (3, D("2050.00"))
    # 二组: 500.00 piece for 168 normal hours, under the 2,050.00 monthly minimum: topped up
    # by 1,550.00 to 2,050.00; 5 items, 2,050 / 5 = 410.00 an item.
    assert (two.people, two.gross, two.piece, two.base) == (1, D("2050.00"), D("500.00"), D("0"))
    assert (two.topup_count, two.topup_sum, two.accepted, two.cost_per_item) == (1, D("1550.00"), 5, D("410.00"))
    # The centre: 8,200.00 gross for 8 items, 1,025.00 an item.
    assert (centre.people, centre.gross, centre.accepted, centre.cost_per_item) == (3, D("8200.00"), 8, D("1025.00"))
    assert (centre.topup_count, centre.topup_sum) == (1, D("1550.00"))
    nets = sorted(Payslip.objects.filter(period=period).values_list("net", flat=True))
    assert centre.net_values == nets
    assert centre.net == sum(nets) and centre.deductions == centre.gross - centre.net


def test_histogram_bins_by_hand():
    # From 1,800 to 4,100: widths of 100 and 200 need 24 and 12 bins, 500 needs 6 from 1,500.
    bins = reports.histogram_bins([D("1800"), D("2600"), D("2650"), D("4100")])
    assert [(b.low, b.high, b.count) for b in bins] == [
        (D("1500"), D("2000"), 1),
        (D("2000"), D("2500"), 0),
        (D("2500"), D("3000"), 2),
        (D("3000"), D("3500"), 0),
        (D("3500"), D("4000"), 0),
        (D("4000"), D("4500"), 1),
    ]
    assert reports.histogram_bins([]) == []
    one = reports.histogram_bins([D("2050.00")])
    assert [(b.low, b.high, b.count) for b in one] == [(D("2000"), D("2100"), 1)]


def test_chart_geometry_scales_to_the_largest():
    chart = charts.stacked_bars(
        [("一组", {"piece": D("100"), "base": D("100")}), ("二组", {"piece": D("100")})], ("piece", "base")
    )
    first, second = chart["rows"]
    length = charts.WIDTH - charts.LABEL_WIDTH - charts.VALUE_WIDTH  # 360 − 96 − 76 = 188
    assert [(s.key, s.x, s.width) for s in first.segments] == [("piece", 96, 94), ("base", 190, 94)]
    assert [(s.key, s.width) for s in second.segments] == [("piece", length // 2)]
    assert first.value_text == "200.00"
    bars = charts.bars([("a", D("50")), ("b", None)])
    assert bars["rows"][0].segments[0].width == length and bars["rows"][1].value_text == "—"


def test_summary_page_and_csv(client, small_centre, hr):
    period = Payslip.objects.get(worker=small_centre["a"]).period
    client.force_login(hr)
    page = client.get(f"/pay/periods/{period.pk}/summary/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and not INLINE_SCRIPT.search(html) and "style=" not in html
    assert 'aria-describedby="hist-0-table"' in html and 'id="hist-0-table"' in html
    assert "2050.00" in html.replace(",", "") and "1550.00" in html.replace(",", ""), html
    assert "工资汇总" in html  # the page speaks Chinese
    response = client.get(f"/pay/periods/{period.pk}/summary.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == [
        "全中心", "3", "8200.00", "650.00", "6000.00", "1", "1550.00", "0.00",
        rows[1][8], rows[1][9], "8", "1025.00",
    ]  # fmt: skip
    assert rows[2][0] == "一组" and rows[2][-2:] == ["3", "2050.00"]
    assert rows[3][0] == "二组" and rows[3][5:7] == ["1", "1550.00"]
    histogram = [row for row in rows[5:] if row]
    assert sum(int(row[3]) for row in histogram if row[0] == "全中心") == 3


# --- Who may read them -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["summary/", "summary.csv", "fairness/"])
def test_who_may_read(client, small_centre, hr, manager, network_admin, supervisor, other_hr, path):
    period = Payslip.objects.get(worker=small_centre["a"]).period
    url = f"/pay/periods/{period.pk}/{path}"
    other_manager = factories.UserFactory(username="other_manager", centre=other_hr.centre, roles=[Role.CENTRE_MANAGER])
    for user, status in [
        (hr, 200),
        (manager, 200),
        (network_admin, 200),
        (supervisor, 403),
        (small_centre["a"], 403),
        (other_hr, 404),
        (other_manager, 404),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user.username
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(hr)
    assert client.get("/pay/periods/999999/" + path).status_code == 404


# --- Small groups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "shown", "merged"),
    [
        ({"female": 6, "male": 5}, ["female", "male"], []),
        ({"female": 20, "male": 3}, [], ["male", "female"]),  # 20 shown beside the total gives the 3 away
        ({"a": 6, "b": 4, "c": 3}, ["a"], ["b", "c"]),  # "other" of 7 hides both
        ({"a": 6, "b": 7, "c": 2}, ["b"], ["c", "a"]),  # "other" of 2 takes the smallest, a
        ({"a": 4}, [], ["a"]),
    ],
)
def test_small_groups_are_merged(sizes, shown, merged):
    assert reports.groups_shown(sizes) == (shown, merged)


# --- The fairness view -------------------------------------------------------------------


@pytest.fixture
def fair_centre(pay_centre, hr, given_work):
    """Team 一组: five women and five men, all salaried. Women: 3,000 a month, 7 h on 20
    workdays (140 h), 2 items of 10.00 each, 10 tasks given. Men: 3,200, 8 h on 21 workdays
    (168 h), 3 items, 12 tasks. Women born 1990 (three, 36 on 30 November) and 1980 (two,
    46); men 1998 (28). Team 二组: three people, too few to show any group apart."""
    one = Team.objects.create(centre=pay_centre, name="一组")
    two = Team.objects.create(centre=pay_centre, name="二组")
    women, men = [], []
    for n in range(5):
        w = person(hr, pay_centre, one, born="19900101" if n < 3 else "19800101", female=True, base="3000")
        attend(w, WORKDAYS[:20], 7)
        pieces(w, "10", "10")
        given_work.given[w.pk] = 10
        women.append(w)
        m = person(hr, pay_centre, one, born="19980101", female=False, base="3200")
        attend(m, WORKDAYS, 8)
        pieces(m, "10", "10", "10")
        given_work.given[m.pk] = 12
        men.append(m)
    small = [
        person(hr, pay_centre, two, born="19900101", female=True, base="3000"),
        person(hr, pay_centre, two, born="19900101", female=True, base="3000"),
        person(hr, pay_centre, two, born="19700101", female=False, base="3000"),
    ]
    run_payroll(hr, pay_centre, NOVEMBER)
    return {"women": women, "men": men, "small": small, "period": Payslip.objects.get(worker=women[0]).period}


def _scope(scopes, kind, name=None):
    return next(s for s in scopes if s.kind == kind and (name is None or s.name == name))


def test_fairness_figures_and_words_by_hand(fair_centre):
    scopes = reports.period_fairness(fair_centre["period"])
    one = _scope(scopes, "team", "team 一组")
    gender = one.breakdowns[0]
    women, men = gender.groups
    assert (women.key, women.people, women.given, women.accepted, women.hours, women.pay) == (
        "female",
        5,
        50,
        10,
        D("700.00"),
        D("15100.00"),
    )
    assert (men.key, men.people, men.given, men.accepted, men.hours, men.pay) == (
        "male",
        5,
        60,
        15,
        D("840.00"),
        D("16150.00"),
    )
    # Per hour: women 15,100 / 700 = 21.57; men 16,150 / 840 = 19.23 (19.226…);
    # 21.57 / 19.23 − 1 = +12 %. Hours each 140 against 168: −17 %. Given 10 against 12:
    # −17 %. Accepted 2 against 3: −33 %.
    assert (women.pay_per_hour, men.pay_per_hour) == (D("21.57"), D("19.23"))
    assert gender.sentences == [
        "In team 一组, women earned 12 % more per hour than men (21.57 against 19.23 yuan an hour); "
        "they worked 17 % fewer hours each, were given 17 % less work each, had 33 % fewer items accepted each."
    ]
    # By age: the five men under 30 are shown; 30–39 (3) and 40–49 (2) are merged into "other".
    age = one.breakdowns[1]
    assert [(g.key, g.people) for g in age.groups] == [("under_30", 5), ("other", 5)]
    assert age.groups[1].merged == "aged 30–39, aged 40–49"
    assert age.merged_any and not age.suppressed and age.sentences == []
    assert (one.everyone.people, one.everyone.pay) == (10, D("31250.00"))


def test_fairness_hides_small_groups(fair_centre, client, hr):
    scopes = reports.period_fairness(fair_centre["period"])
    two = _scope(scopes, "team", "team 二组")
    for breakdown in two.breakdowns:
        assert breakdown.suppressed and breakdown.groups == [] and breakdown.sentences == []
    assert two.everyone.people == 3
    # The whole centre has 7 women and 6 men, but 一组 shows its 5 women and 5 men apart:
    # the centre's women less 一组's would be 二组's two, its men less 一组's 二组's one. So
    # the centre shows no gender apart either.
    centre = _scope(scopes, "centre")
    assert centre.breakdowns[0].suppressed and centre.breakdowns[0].groups == []
    assert centre.breakdowns[0].held_for_teams and not centre.breakdowns[1].held_for_teams
    # By age, 30–39 has 5 (three of 一组, kept in its "other", and two of 二组), under 30
    # five; 40–49 (2) and 50 and over (1) go to "other", which has fewer than 5, so the
    # smallest shown group (30–39; under 30 ties and sorts after) joins it: 8 in "other".
    assert [(g.key, g.people) for g in centre.breakdowns[1].groups] == [("under_30", 5), ("other", 8)]
    client.force_login(hr)
    html = client.get(f"/pay/periods/{fair_centre['period'].pk}/fairness/", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    text = html.decode()
    assert "少于 5 人" in text  # the page says groups are held back, in Chinese
    assert "减去各团队显示的数据" in text  # and why the centre shows no gender apart
    assert not INLINE_SCRIPT.search(text) and "style=" not in text


def test_pay_per_hour_counts_only_those_who_clocked():
    clocked = reports.Person(
        worker_id=1, gender="female", age_band="30_39", team_ids=[], gross=D("3020"), hours=D("140")
    )
    salaried = reports.Person(worker_id=2, gender="female", age_band="30_39", team_ids=[], gross=D("3000"))
    group = reports._group_of("female", "women", [clocked, salaried])
    # Pay each (3,020 + 3,000) / 2 = 3,010.00; per hour 3,020 / 140 = 21.571… = 21.57.
    assert (group.pay_each, group.pay_per_hour, group.given) == (D("3010.00"), D("21.57"), None)


def test_centre_hides_what_teams_would_give_away():
    def people(key, n, start):
        return [reports.Person(worker_id=start + i, gender=key, age_band="30_39", team_ids=[]) for i in range(n)]

    team_a, team_b = people("female", 6, 0), people("female", 3, 100)
    keyed = {"female": team_a + team_b, "male": people("male", 7, 200)}
    # Team A shows its 6 women; team B's 3 are hidden: the centre's 9 less A's 6 would be them.
    # The 7 men, shown in no team, are enough to show at the centre.
    assert reports.hidden_by_teams(keyed, [("female", team_a)]) == {"female"}
    # With team B's women shown too, nothing is left over.
    assert reports.hidden_by_teams(keyed, [("female", team_a), ("female", team_b)]) == set()


def test_fairness_in_chinese(fair_centre, client, hr):
    client.force_login(hr)
    text = client.get(
        f"/pay/periods/{fair_centre['period'].pk}/fairness/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "女性每小时收入比男性高 12%" in text


# --- Queries -----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_queries_do_not_grow_with_people(pay_centre, hr, client, given_work):
    team = Team.objects.create(centre=pay_centre, name="一组")

    def add(n: int) -> None:
        for _ in range(n):
            w = person(hr, pay_centre, team, born="19900101", female=True, base="3000")
            attend(w, WORKDAYS[:2], 8)
            pieces(w, "10")
            given_work.given[w.pk] = 3

    add(3)
    period = run_payroll(hr, pay_centre, NOVEMBER).period
    client.force_login(hr)
    urls = [f"/pay/periods/{period.pk}/{path}" for path in ("summary/", "summary.csv", "fairness/")]
    before = [_queries(client, url) for url in urls]
    add(9)
    other_team = Team.objects.create(centre=pay_centre, name="二组")
    other_team.members.add(*team.members.all()[:4])
    run_payroll(hr, pay_centre, NOVEMBER)
    assert Payslip.objects.filter(period=period).count() == 12
    assert [_queries(client, url) for url in urls] == before


def test_a_period_without_payslips_says_so(client, pay_centre, hr):
    period = services.pay_period_open(actor=hr, centre=pay_centre, month=NOVEMBER)
    client.force_login(hr)
    for path in ("summary/", "fairness/"):
        page = client.get(f"/pay/periods/{period.pk}/{path}", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200
        assert "还没有工资单" in page.content.decode()
    rows = list(
        csv.reader(io.StringIO(client.get(f"/pay/periods/{period.pk}/summary.csv").content.decode("utf-8-sig")))
    )
    assert rows[1][:3] == ["全中心", "0", "0.00"] and rows[1][-1] == ""
