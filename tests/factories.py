"""factory-boy factories for every model. People with roles and personal data are built
through the real service (`worker_save`), as HR would create them."""

import itertools

import factory
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile

from aidou.models import AuditLog
from workforce import services
from workforce.models import Centre, Role, RoleGrant, RosterImport, Team, User, WorkerProfile
from workforce.validators import id_number_check_char

PASSWORD = "test-password-123"
_PASSWORD_HASH = make_password(PASSWORD)
_serial = itertools.count(1)


def make_id_number(birth: str = "19900101", *, female: bool = True, region: str = "610222") -> str:
    """A valid 18-character ID number, different on every call."""
    n = next(_serial)
    sequence = f"{n % 100:02d}{(2 * (n % 5)) + (0 if female else 1)}"
    first17 = f"{region}{birth}{sequence}"
    return first17 + id_number_check_char(first17)


def make_mobile() -> str:
    return f"138{next(_serial):08d}"


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试中心{n}")
    county = factory.Sequence(lambda n: f"测试县{n}")
    province = "陕西省"
    address = "测试路 1 号"


class UserFactory(factory.django.DjangoModelFactory):
    """A bare account (no profile). `roles=[...]` grants roles."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    mobile = factory.LazyFunction(make_mobile)
    centre = factory.SubFactory(CentreFactory)
    password = _PASSWORD_HASH

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            RoleGrant.objects.bulk_create([RoleGrant(user=self, role=role) for role in extracted])


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.ANNOTATOR


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    centre = factory.SubFactory(CentreFactory)
    name = factory.Sequence(lambda n: f"团队{n}")


class WorkerProfileFactory(factory.django.DjangoModelFactory):
    """A profile with encrypted fields filled as the service fills them."""

    class Meta:
        model = WorkerProfile

    user = factory.SubFactory(UserFactory)
    gender = "female"
    employment_type = "full_time"

    @factory.post_generation
    def id_number(self, create, extracted, **kwargs):
        from aidou.crypto import digest_text, encrypt_text
        from aidou.masking import mask_id_number

        number = extracted or make_id_number()
        self.id_number_encrypted = encrypt_text(number)
        self.id_number_digest = digest_text(number)
        self.id_number_masked = mask_id_number(number)
        if create:
            self.save()


class RosterImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RosterImport

    created_by = factory.SubFactory(UserFactory, roles=[Role.HR])
    original_name = "roster.csv"
    file = factory.LazyFunction(lambda: ContentFile("姓名,手机号,身份证号,中心,角色\n".encode(), name="roster.csv"))


class AuditLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditLog

    actor = factory.SubFactory(UserFactory, roles=[Role.HR])
    action = AuditLog.Action.REVEAL_PII
    target_type = "workforce.workerprofile"
    target_id = "1"
    fields = factory.LazyFunction(lambda: ["id_number"])


def worker(*, actor: User, centre: Centre, roles=(Role.ANNOTATOR,), team: Team | None = None, **fields) -> User:
    """A person created through the HR service, with a valid ID number and mobile."""
    if team is not None:
        fields.setdefault("teams", (team,))
    data = services.WorkerData(
        name=fields.pop("name", f"工人{next(_serial)}"),
        mobile=fields.pop("mobile", make_mobile()),
        centre=centre,
        roles=tuple(roles),
        id_number=fields.pop("id_number", make_id_number()),
        **fields,
    )
    return services.worker_save(actor=actor, worker=None, data=data, password_hash=_PASSWORD_HASH)
