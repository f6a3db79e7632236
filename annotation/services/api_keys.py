import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from annotation.models import ApiKey, Organisation

KEY_PREFIX = "aidou_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def organisation_get_or_create(*, name: str) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(name=name.strip())
    return organisation


@transaction.atomic
def api_key_create(*, organisation: Organisation, name: str, created_by=None) -> tuple[ApiKey, str]:
    """Make a key and return it with its secret, which is never stored and never shown again.
    Keys are random (240 bits), so a plain SHA-256 is enough to store them."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(30)}"
    api_key = ApiKey.objects.create(
        organisation=organisation,
        name=name.strip() or "API key",
        prefix=prefix,
        key_hash=_hash(key),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


def api_key_authenticate(key: str) -> ApiKey | None:
    """The active key for this secret, or None. Records the last use at most once a minute,
    so a busy client does not turn every read into a write."""
    parts = key.split("_")
    if not key.startswith(KEY_PREFIX) or len(parts) < 3:
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(key)) or not api_key.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key
