from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from aidou.auth_guard import PASSWORD, auth_guard_failure, auth_guard_success, auth_guard_wait, client_address
from workforce.validators import normalise_mobile


def login_account(login: str):
    """The person a login (username, or mobile number written as people write it) names, or None."""
    User = get_user_model()
    login = login.strip()
    user = User.objects.filter(username=login).first()
    mobile = normalise_mobile(login)  # as it is stored: +86 138 1234 5678 is 13812345678
    if user is None and mobile.isdigit():
        user = User.objects.filter(mobile=mobile).first()
    return user


def login_guard_account(user, login: str) -> str:
    """What aidou.auth_guard counts a password attempt against: the person when the login
    names one (so username and mobile number share one budget), else the login as typed."""
    return f"user:{user.pk}" if user is not None else f"login:{login.strip().casefold()}"


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the mobile number (written as people write it), within aidou.auth_guard's
    limits: every password check (the login page, the admin's) is counted, and a locked
    account and address is refused before the password is checked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = login_account(username)
        account = login_guard_account(user, username)
        address = client_address(request) if request is not None else ""
        if request is not None and auth_guard_wait(path=PASSWORD, account=account, address=address):
            raise PermissionDenied  # Django's authenticate() then answers None at once
        if user is None:
            # Same cost as a wrong password, so timing does not tell which logins exist.
            get_user_model()().set_password(password)
        elif user.check_password(password) and self.user_can_authenticate(user):
            if request is not None:
                auth_guard_success(path=PASSWORD, account=account, address=address)
            return user
        if request is not None:
            auth_guard_failure(
                path=PASSWORD,
                account=account,
                address=address,
                target_type="workforce.user",
                target_id=str(user.pk) if user is not None else username.strip()[:64],
            )
        return None
