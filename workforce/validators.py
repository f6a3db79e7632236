"""Validators for Chinese identity documents and contact details."""

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 11643-1999: weights of the first 17 digits, and the check character for sum % 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def validate_id_number(value: str) -> str:
    """Return the normalised 18-character resident ID number or raise ValidationError."""
    number = normalise_id_number(value)
    if len(number) != 18:
        raise ValidationError(_("An ID number has 18 characters."), code="id_length")
    if not _ID_SHAPE.match(number):
        raise ValidationError(_("An ID number is 17 digits followed by a digit or X."), code="id_shape")
    try:
        id_number_birth_date(number)
    except ValueError as exc:
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="id_birth") from exc
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("The ID number's check digit is wrong; please check it for typos."), code="id_check")
    return number


def id_number_birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_number_gender(number: str) -> str:
    """'male' or 'female' from the 17th digit (odd is male)."""
    return "male" if int(number[16]) % 2 else "female"


# What people write around a mobile number: spaces of any width, dashes, dots, brackets.
_MOBILE_SEPARATORS = re.compile(r"[\s\-.()（）]+")


def normalise_mobile(value: str) -> str:
    """A mobile number as it is stored and matched: full-width digits made ASCII, spaces,
    dashes and brackets dropped, and the country code (+86, 0086, or 86 before 11 digits)
    taken off. Does not check it is a number (validate_mobile does)."""
    number = _MOBILE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix) :]
    if len(number) == 13 and number.startswith("86"):
        return number[2:]
    return number


def validate_mobile(value: str) -> str:
    number = normalise_mobile(value)
    if not _MOBILE_SHAPE.match(number):
        raise ValidationError(_("A mobile number is 11 digits starting with 1."), code="mobile")
    return number


def validate_bank_account(value: str) -> str:
    number = (value or "").strip().replace(" ", "").replace("-", "")
    if not number.isdigit() or not 10 <= len(number) <= 30:
        raise ValidationError(_("A bank account number is 10 to 30 digits."), code="bank_account")
    return number
