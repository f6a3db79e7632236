from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrMobileBackend(ModelBackend):
    """Log in with the username or the 11-digit mobile number."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        user = User.objects.filter(username=login).first()
        if user is None and login.isdigit():
            user = User.objects.filter(mobile=login).first()
        if user is None:
            # Same cost as a wrong password, so timing does not tell which logins exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
