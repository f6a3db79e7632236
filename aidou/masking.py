"""How personal data looks wherever it is not explicitly revealed."""


def mask_id_number(value: str) -> str:
    """`610102199001011234` -> `6101**********1234`."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_bank_account(value: str) -> str:
    """Only the last four digits stay: `**** **** 1234`."""
    if not value:
        return ""
    return "**** **** " + value[-4:]


def mask_mobile(value: str) -> str:
    """`13812345678` -> `138****5678`."""
    if not value or len(value) < 7:
        return value
    return value[:3] + "****" + value[-4:]


def mask_name(value: str) -> str:
    """A name as a public page shows it: first and last character, the rest starred
    (`张建华` -> `张*华`, `欧阳娜娜` -> `欧**娜`, `张三` -> `张*`)."""
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
