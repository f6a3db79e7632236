from django.db import connection
from django.db.models.expressions import Col
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled

from aidou.auth_guard import STAFF_TOKEN, auth_guard_failure, auth_guard_wait, client_address
from workforce.models import User

# The user behind a staff token in one statement written out, its columns named in the
# model's field order so the row becomes a User without the ORM's per-query work: every
# annotator's `next` and `submit` is authenticated this way, and a raw queryset (reading
# the cursor's description, matching columns to fields, finding converters) costs about
# twice the Python the query itself takes.
_USER_FIELDS = User._meta.concrete_fields
_USER_ATTNAMES = [field.attname for field in _USER_FIELDS]
_USER_BY_TOKEN_SQL = f"""
SELECT {", ".join(f"u.{connection.ops.quote_name(field.column)}" for field in _USER_FIELDS)}
FROM {User._meta.db_table} u
JOIN authtoken_token k ON k.user_id = u.id
WHERE k.key = %s
"""  # noqa: S608 - table and column names come from the model; the key is bound

# Each database's converters for the user's columns (SQLite turns text into datetimes and
# 0/1 into booleans; PostgreSQL needs none), found once per database vendor.
_converters: dict[str, list[tuple[int, Col, list]]] = {}


def _row_converters() -> list[tuple[int, Col, list]]:
    vendor = connection.vendor
    found = _converters.get(vendor)
    if found is None:
        found = []
        for index, field in enumerate(_USER_FIELDS):
            column = field.get_col(User._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                found.append((index, column, functions))
        _converters[vendor] = found
    return found


def user_by_token(key: str) -> User | None:
    """The user a staff token belongs to (active or not), or None for an unknown key."""
    with connection.cursor() as cursor:
        cursor.execute(_USER_BY_TOKEN_SQL, [key])
        row = cursor.fetchone()
    if row is None:
        return None
    converters = _row_converters()
    if converters:
        values = list(row)
        for index, column, functions in converters:
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        row = values
    return User.from_db(connection.alias, _USER_ATTNAMES, row)


class StaffTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` for staff scripts and tools, with the same answers,
    within aidou.auth_guard's limits: a refused token counts against the caller's address,
    and an address that has sent too many is answered 429 before its token is looked at."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        address = client_address(request)
        wait = auth_guard_wait(path=STAFF_TOKEN, account=None, address=address)
        if wait:
            raise Throttled(wait=wait)
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            auth_guard_failure(path=STAFF_TOKEN, account=None, address=address, target_type="authtoken.token")
            raise

    def authenticate_credentials(self, key):
        user = user_by_token(key)
        if user is None:
            raise AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
