from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from workforce.models import User

# The user behind a staff token in one statement written out: every annotator's `next`
# and `submit` is authenticated this way, and building the ORM query costs more Python
# than the query itself takes.
_USER_BY_TOKEN_SQL = f"""
SELECT u.* FROM {User._meta.db_table} u
JOIN authtoken_token k ON k.user_id = u.id
WHERE k.key = %s
"""  # noqa: S608 - the table name comes from the model; the key is bound


class StaffTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` for staff scripts and tools, with the same answers."""

    def authenticate_credentials(self, key):
        user = next(iter(User.objects.raw(_USER_BY_TOKEN_SQL, [key])), None)
        if user is None:
            raise AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
