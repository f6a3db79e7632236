from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from workforce.validators import normalise_mobile


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the mobile number (written as people write it)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        user = User.objects.filter(username=login).first()
        mobile = normalise_mobile(login)  # as it is stored: +86 138 1234 5678 is 13812345678
        if user is None and mobile.isdigit():
            user = User.objects.filter(mobile=mobile).first()
        if user is None:
            # Same cost as a wrong password, so timing does not tell which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
