import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from aidou.masking import mask_bank_account, mask_id_number, mask_mobile
from workforce.validators import (
    id_number_birth_date,
    id_number_check_char,
    id_number_gender,
    validate_bank_account,
    validate_id_number,
    validate_mobile,
)

# A published GB 11643 example: its check character is X.
VALID_ID = "11010519491231002X"


def test_check_character_follows_gb_11643():
    assert id_number_check_char("11010519491231002") == "X"
    assert id_number_check_char("44052418800101001") == "4"


@pytest.mark.parametrize("value", [VALID_ID, "11010519491231002x", " 110105 19491231002X "])
def test_valid_id_numbers_are_normalised(value):
    assert validate_id_number(value) == VALID_ID


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1101051949123100", "id_length"),
        ("11010519491231002XX", "id_length"),
        ("01010519491231002X", "id_shape"),
        ("1101051949123100AX", "id_shape"),
        ("110105194913310021", "id_birth"),
        ("110105194912310021", "id_check"),
    ],
)
def test_invalid_id_numbers_say_why(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_birth_date_and_gender_come_from_the_number():
    assert id_number_birth_date(VALID_ID) == dt.date(1949, 12, 31)
    assert id_number_gender(VALID_ID) == "female"  # 17th digit 2 is even


@pytest.mark.parametrize(
    "value",
    ["13812345678", "+86 138 1234 5678", "138-1234-5678", "0086 13812345678", "+86-138-1234-5678",
     "8613812345678", "(+86) 138 1234 5678", "１３８１２３４５６７８", "138\u00a01234\u30005678", " 138.1234.5678 "],
)  # fmt: skip
def test_mobile_numbers(value):
    assert validate_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    "value", ["12812345678", "1381234567", "abc", "+1 13812345678", "008613812345", "861381234567"]
)
def test_bad_mobile_numbers(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


def test_bank_accounts():
    assert validate_bank_account("6228 4800 0000 0000 000") == "6228480000000000000"
    with pytest.raises(ValidationError):
        validate_bank_account("12345")


def test_masks():
    assert mask_id_number("610102199001011234") == "6101**********1234"
    assert mask_bank_account("6228480000000001234") == "**** **** 1234"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("") == ""
