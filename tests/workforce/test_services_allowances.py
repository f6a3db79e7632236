"""Allowances other modules grant (a certificate's skill allowance): idempotent by source."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from workforce.models import Allowance
from workforce.pay.services import allowance_end, allowance_grant

pytestmark = pytest.mark.django_db


def _grant(annotator, **changes):
    fields = {
        "worker": annotator,
        "code": "skill_level_5",
        "label": "技能津贴（五级）",
        "amount": Decimal("100"),
        "starts_on": dt.date(2026, 12, 1),
        "source": "certification.certificate:1",
        **changes,
    }
    return allowance_grant(**fields)


def test_granting_the_same_source_again_updates_the_one_allowance(annotator):
    first = _grant(annotator)
    again = _grant(annotator, amount=Decimal("150.005"))
    assert first.pk == again.pk
    assert Allowance.objects.count() == 1
    again.refresh_from_db()
    assert again.amount == Decimal("150.01")  # rounded half-up to the fen
    assert again.centre_id == annotator.centre_id and again.applies_to == "person"


def test_an_allowance_ends_or_disappears_if_it_never_started(annotator):
    _grant(annotator)
    ended = allowance_end(source="certification.certificate:1", ends_on=dt.date(2027, 3, 31))
    assert ended.ends_on == dt.date(2027, 3, 31)
    assert allowance_end(source="certification.certificate:1", ends_on=dt.date(2026, 11, 30)) is None
    assert not Allowance.objects.exists()
    assert allowance_end(source="certification.certificate:404", ends_on=dt.date(2027, 1, 1)) is None


@pytest.mark.parametrize(("changes", "field"), [({"amount": Decimal("-1")}, "amount"), ({"source": ""}, "source")])
def test_bad_grants_are_refused_and_write_nothing(annotator, changes, field):
    with pytest.raises(ValidationError) as caught:
        _grant(annotator, **changes)
    assert field in caught.value.message_dict
    assert not Allowance.objects.exists()
