from decimal import Decimal

import pytest

from aidou.money import money, money_text, rate


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("0.0049", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), (3, "3.00"), ("1234.5", "1234.50")],
)
def test_money_rounds_half_up_to_the_fen(value, expected):
    assert money(value) == Decimal(expected)
    assert str(money(value)) == expected


def test_rates_keep_four_decimals_and_floats_are_refused():
    assert rate("0.08005") == Decimal("0.0801")
    with pytest.raises(TypeError):
        money(0.1)
    with pytest.raises(TypeError):
        rate(0.1)


def test_money_text_groups_thousands():
    assert money_text(Decimal("12345.6")) == "12,345.60"
