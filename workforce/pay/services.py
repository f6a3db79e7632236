"""Writes of pay that other apps call. Every function is one use case, transactional,
keyword-only."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aidou.money import money
from workforce.models import Allowance, User


@transaction.atomic
def allowance_grant(
    *,
    worker: User,
    code: str,
    label: str,
    amount: Decimal,
    starts_on: dt.date,
    source: str,
    ends_on: dt.date | None = None,
    taxable: bool = True,
    counts_toward_minimum: bool = False,
) -> Allowance:
    """Give one person a monthly allowance from `starts_on`, on behalf of another module
    (`source` names what grants it, e.g. "certification.certificate:12"). Granting the same
    source again updates that allowance instead of adding one. Raises ValidationError for a
    negative amount or a person without a centre."""
    if not source:
        raise ValidationError({"source": [_("Say what grants the allowance.")]})
    amount = money(amount)
    if amount < 0:
        raise ValidationError({"amount": [_("An allowance cannot be negative.")]})
    if worker.centre_id is None:
        raise ValidationError({"worker": [_("This person belongs to no centre.")]})
    allowance, _created = Allowance.objects.select_for_update().update_or_create(
        source=source,
        defaults={
            "centre_id": worker.centre_id,
            "worker": worker,
            "applies_to": Allowance.AppliesTo.PERSON,
            "code": code,
            "label": label,
            "amount": amount,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "taxable": taxable,
            "counts_toward_minimum": counts_toward_minimum,
        },
    )
    return allowance


@transaction.atomic
def allowance_end(*, source: str, ends_on: dt.date) -> Allowance | None:
    """Stop the allowance `source` granted after `ends_on` (the last day it is paid for; a
    date before its start removes it from every month). None if there is none."""
    allowance = Allowance.objects.select_for_update().filter(source=source).first()
    if allowance is None:
        return None
    if ends_on < allowance.starts_on:
        allowance.delete()  # never paid: nothing of it is history
        return None
    allowance.ends_on = ends_on
    allowance.save(update_fields=["ends_on"])
    return allowance
