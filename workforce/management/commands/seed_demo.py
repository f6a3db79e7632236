"""Demo data that looks like a real network: three Shaanxi county centres, about eighty
people with Chinese names in every role, teams, and one known login per role.

Idempotent: people and teams are matched by username and name, so running it twice
changes nothing. Every person goes through the same service HR's pages use.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from workforce import services
from workforce.models import Centre, Education, EmploymentType, LegalFigure, PayTerms, Role, Team, User
from workforce.validators import id_number_check_char

DEMO_PASSWORD = "aidou-demo-2026"  # noqa: S105 - printed to the newcomer on purpose

CENTRES = [
    # slug, name, county, province, address, region code of the ID number
    ("yijun", "宜君数字就业中心", "宜君县", "陕西省", "铜川市宜君县宜阳街道", "610222"),
    ("qingjian", "清涧数字就业中心", "清涧县", "陕西省", "榆林市清涧县宽州镇", "610830"),
    ("zizhou", "子洲数字就业中心", "子洲县", "陕西省", "榆林市子洲县双湖峪街道", "610831"),
]
# Pay: slug -> (centre code, Shaanxi minimum-wage class, housing-fund rate, housing-rent
# deduction limit of its city: Tongchuan has under a million registered people, 800 a
# month; Yulin over a million, 1,100). The classes are the best reading of Shaanxi's 2023
# notice at hand, unverified: HR corrects them as data.
CENTRE_PAY = {
    "yijun": ("YJ", "II", "0.08", "800"),
    "qingjian": ("QJ", "III", "0.07", "1100"),
    "zizhou": ("ZZ", "III", "0.06", "1100"),
}
# Monthly salaries of the demo's salaried staff (annotators are paid by the piece).
SALARIED = {Role.CENTRE_MANAGER: "6500", Role.HR: "4800", Role.SUPERVISOR: "4500", Role.REVIEWER: "4200",
            Role.CHILDCARE_STAFF: "3900"}  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾田"
GIVEN_FEMALE = ["秀英", "桂英", "玉兰", "丽娟", "晓燕", "红梅", "海燕", "艳", "娜", "静", "敏", "婷",
                "雪梅", "春花", "金凤", "小芳", "慧", "佳怡", "欣悦", "梦洁", "彩霞", "亚楠"]  # fmt: skip
GIVEN_MALE = ["建国", "志强", "伟", "磊", "军", "勇", "浩然", "俊杰", "鹏", "斌", "涛", "晓东"]
# Per centre: (role set, how many, demo login suffix for the first one)
STAFFING = [
    ((Role.CENTRE_MANAGER,), 1, "manager"),
    ((Role.HR,), 1, "hr"),
    ((Role.SUPERVISOR,), 2, "supervisor"),
    ((Role.REVIEWER,), 2, "reviewer"),
    ((Role.REVIEWER, Role.ANNOTATOR), 1, None),
    ((Role.CHILDCARE_STAFF,), 2, "childcare"),
    ((Role.ANNOTATOR,), 18, "annotator"),
]
TEAM_NAMES = ["标注一组", "标注二组"]


class Command(BaseCommand):
    help = "Load the demo network (idempotent) and print one login per role."

    def handle(self, *args, **options):
        rng = random.Random(20261121)
        with transaction.atomic():
            admin = self._admin()
            created = 0
            for index, centre_row in enumerate(CENTRES):
                created += self._centre(admin, index, centre_row, rng)
        self.stdout.write(f"Demo data ready ({created} people added this time).")
        self._print_logins()

    def _admin(self) -> User:
        admin = User.objects.filter(username="admin").first()
        if admin is None:
            admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD, name="网络管理员")
            admin.role_grants.create(role=Role.NETWORK_ADMIN)
        return admin

    def _centre(self, admin: User, index: int, row: tuple, rng: random.Random) -> int:
        slug, name, county, province, address, region = row
        centre, _ = Centre.objects.get_or_create(
            name=name, defaults={"county": county, "province": province, "address": address}
        )
        teams = [Team.objects.get_or_create(centre=centre, name=team_name)[0] for team_name in TEAM_NAMES]
        self._centre_pay(centre, slug)
        password_hash = make_password(DEMO_PASSWORD)
        created = 0
        serial = 0
        for roles, count, login in STAFFING:
            for n in range(count):
                serial += 1
                # Draw every random value even for people who exist, so a re-run draws
                # the same values for the same people.
                female = rng.random() < 0.85 or Role.ANNOTATOR not in roles
                given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
                person_name = rng.choice(SURNAMES) + given
                birth = dt.date(1972, 1, 1) + dt.timedelta(days=rng.randrange(0, 30 * 365))
                hired = dt.date(2023, 3, 1) + dt.timedelta(days=rng.randrange(0, 900))
                education = rng.choice([Education.JUNIOR, Education.SENIOR, Education.VOCATIONAL, Education.COLLEGE])
                part_time = rng.random() < 0.2
                sequence = 2 * rng.randrange(5) + (0 if female else 1)  # odd digit: male
                username = f"{slug}_{login}" if login and n == 0 else f"139{index + 1}{serial:07d}"
                if User.objects.filter(username=username).exists():
                    continue
                first17 = f"{region}{birth:%Y%m%d}{serial:02d}{sequence}"
                team = None
                if Role.ANNOTATOR in roles or Role.SUPERVISOR in roles:
                    team = teams[serial % 2]
                worker = services.worker_save(
                    actor=admin,
                    worker=None,
                    password_hash=password_hash,
                    data=services.WorkerData(
                        username=username,
                        name=person_name,
                        mobile=f"139{index + 1}{serial:07d}",
                        centre=centre,
                        roles=roles,
                        id_number=first17 + id_number_check_char(first17),
                        education=education,
                        hire_date=hired,
                        employment_type=EmploymentType.PART_TIME if part_time else EmploymentType.FULL_TIME,
                        teams=(team,) if team else None,
                        bank_name="中国农业银行",
                        bank_account=f"622848{index + 1}{serial:012d}",
                    ),
                )
                salary = next((SALARIED[role] for role in roles if role in SALARIED), None)
                if salary is not None and Role.ANNOTATOR not in roles:
                    PayTerms.objects.get_or_create(
                        worker=worker,
                        effective_from=dt.date(2026, 1, 1),
                        defaults={"kind": PayTerms.Kind.MONTHLY, "base_amount": Decimal(salary)},
                    )
                if Role.SUPERVISOR in roles and team is not None and team.lead_id is None:
                    team.lead = worker
                    team.save(update_fields=["lead"])
                created += 1
        return created

    def _centre_pay(self, centre: Centre, slug: str) -> None:
        """The centre's code, minimum-wage class and own pay figures (idempotent)."""
        code, wage_class, housing_rate, rent_limit = CENTRE_PAY[slug]
        Centre.objects.filter(pk=centre.pk).update(pay_region="CN-SN", min_wage_class=wage_class, code=code)
        own = [
            ("housing_fund_rate", "", housing_rate, "演示数据: 本中心住房公积金缴存比例"),
            (
                "deduction_limit",
                "housing_rent",
                rent_limit,
                "国发〔2018〕41号 第十七条: 本中心所在城市的住房租金扣除限额",
            ),
        ]
        for figure, qualifier, value, source in own:
            LegalFigure.objects.get_or_create(
                code=figure,
                qualifier=qualifier,
                region="",
                centre=centre,
                effective_from=dt.date(2023, 1, 1),
                defaults={"value": Decimal(value), "source": source},
            )

    def _print_logins(self) -> None:
        logins = ["admin"] + [f"yijun_{suffix}" for suffix in
                              ("manager", "hr", "supervisor", "reviewer", "annotator", "childcare")]  # fmt: skip
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        people = {
            user.username: user for user in User.objects.filter(username__in=logins).prefetch_related("role_grants")
        }
        for login in logins:
            user = people.get(login)
            if user is not None:
                roles = ", ".join(sorted(user.roles))
                self.stdout.write(f"  {login:<22} {user.name:<6} {roles}")
        self.stdout.write("  (also qingjian_* and zizhou_* for the other two centres)")
        self.stdout.write("")
