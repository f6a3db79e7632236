"""Money: Decimal end to end, rounded half-up to the fen (0.01 yuan) where a line is
written; rates carry 4 decimals. Never float. In JSON, money is a string with two decimals."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


def money(value) -> Decimal:
    """`value` rounded half-up to 0.01 yuan. Accepts Decimal, int or a numeric string; a
    float is refused (binary floats cannot hold most amounts of yuan exactly)."""
    if isinstance(value, float):
        raise TypeError("money from a float: pass a Decimal or a string")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def rate(value) -> Decimal:
    """`value` rounded half-up to 4 decimals (piece rates, multipliers, contribution rates)."""
    if isinstance(value, float):
        raise TypeError("rate from a float: pass a Decimal or a string")
    return Decimal(value).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def money_text(value: Decimal) -> str:
    """Two decimals with thousands separators, as people read it: 12,345.60."""
    return f"{money(value):,.2f}"
