"""Encryption at rest for personal data (ID numbers, bank accounts, health notes).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys in
FIELD_ENCRYPTION_KEYS: the first key encrypts, every key decrypts, so keys can rotate.
Digests (HMAC-SHA256 under PII_DIGEST_KEY) let us find a row by its value without
decrypting every row. In development both keys derive from SECRET_KEY.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _derived(label: str) -> bytes:
    return hashlib.sha256(f"{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        keys = (base64.urlsafe_b64encode(_derived("aidou-field-encryption")).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_text(plain: str) -> str:
    if not plain:
        return ""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()


def digest_text(plain: str) -> str:
    key = settings.PII_DIGEST_KEY.encode() or _derived("aidou-pii-digest")
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()
