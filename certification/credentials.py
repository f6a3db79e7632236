"""Signed credentials: each certificate as an Open Badges 3.0 credential in the VC-JWT
form, the centres' Ed25519 keys, their JWKS, the revocation status lists, and verification.

- A centre's key is made the first time it signs; its private half is kept encrypted
  (aidou.crypto, under FIELD_ENCRYPTION_KEYS). Rotating retires it (never deletes it):
  the JWKS keeps every key with its `kid`, so what an old key signed stays verifiable.
- A credential is a compact JWS (`alg` EdDSA, `kid`, `typ` JWT) whose claims are the
  JWT encoding of the credential (`iss`, `sub`, `jti`, `nbf`, `vc`), as Open Badges 3.0's
  JSON Web Token proof format describes.
- Revocation is published as a W3C Bitstring Status List credential per centre (also a
  VC-JWT, signed by the same centre): each certificate owns one bit, referenced from its
  `credentialStatus`. An offline verifier that fetched the list once can check it.

Everything here is checked by standard libraries alone (tests verify with PyJWT and the
published JWKS, nothing of ours).
"""

import base64
import datetime as dt
import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.crypto import decrypt_text, encrypt_text
from certification.models import OCCUPATION_CODE, Certificate, SigningKey

# W3C Bitstring Status List: at least 16 KB of bits, so one list hides who was revoked.
STATUS_LIST_BITS = 131_072
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_url(path: str) -> str:
    return settings.AIDOU_PUBLIC_URL + path


def issuer_id(centre_id: int) -> str:
    return public_url(reverse("certification-issuer", args=[centre_id]))


def status_list_url(centre_id: int) -> str:
    return public_url(reverse("certification-status-list", args=[centre_id]))


def verify_url(certificate: Certificate) -> str:
    return public_url(reverse("certificate-verify", args=[certificate.verify_code]))


# --- Keys -----------------------------------------------------------------------------------


def _new_key(centre_id: int) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    kid = f"centre-{centre_id}-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"
    return SigningKey.objects.create(
        centre_id=centre_id,
        kid=kid,
        public_key=_b64u(raw_public),
        private_key_encrypted=encrypt_text(_b64u(raw_private)),
    )


def signing_key_for(centre_id: int) -> SigningKey:
    """The centre's key in use, made on first need. Two processes making it at once: the
    partial unique constraint lets one win, and the other takes the winner's."""
    key = SigningKey.objects.filter(centre_id=centre_id, retired_at__isnull=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _new_key(centre_id)
    except IntegrityError:
        return SigningKey.objects.get(centre_id=centre_id, retired_at__isnull=True)


@transaction.atomic
def signing_key_rotate(*, centre_id: int) -> SigningKey:
    """Retire the centre's key in use (it stays published) and make a new one."""
    SigningKey.objects.select_for_update().filter(centre_id=centre_id, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    return _new_key(centre_id)


def _private_key(key: SigningKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_b64u_decode(decrypt_text(key.private_key_encrypted)))


def _public_key(key: SigningKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_b64u_decode(key.public_key))


def jwk_of(key: SigningKey) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "use": "sig", "alg": "EdDSA"}


def jwks() -> dict:
    """Every centre's public keys, retired ones too (one query)."""
    return {"keys": [jwk_of(key) for key in SigningKey.objects.order_by("centre_id", "created_at", "id")]}


def _sign(claims: dict, key: SigningKey) -> str:
    return jwt.encode(claims, _private_key(key), algorithm="EdDSA", headers={"kid": key.kid, "typ": "JWT"})


# --- Certificates' credentials --------------------------------------------------------------


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of `day` where the centres are (a certificate is valid from its date)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=timezone.get_default_timezone())


def credential_claims(certificate: Certificate, *, expires_at: dt.datetime | None = None) -> dict:
    """The JWT claims of a certificate's Open Badges 3.0 credential. The holder is named
    only as a salted hash (an IdentityObject): the credential proves the name its holder
    shows, without carrying it to anyone who merely sees the token."""
    level = certificate.level
    url = verify_url(certificate)
    salt = secrets.token_hex(8)
    name_hash = hashlib.sha256((certificate.holder_name + salt).encode()).hexdigest()
    issued = _start_of(certificate.issued_on).astimezone(dt.UTC)
    achievement_name = f"人工智能训练师 {level.name}/{level.title}"
    vc: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(certificate.centre_id), "type": ["Profile"], "name": certificate.issuing_body},
        "validFrom": issued.isoformat().replace("+00:00", "Z"),
        "name": achievement_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityHash": f"sha256${name_hash}", "identityType": "name",
                 "hashed": True, "salt": salt},
            ],
            "achievement": {
                "id": public_url(f"/verify/levels/{OCCUPATION_CODE}/{level.grade}"),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": achievement_name,
                "description": f"国家职业技能等级 人工智能训练师（{OCCUPATION_CODE}）{level.name}/{level.title}",
                "criteria": {"narrative": "按本中心职业技能等级认定的申报条件、理论知识考试和技能考核认定。"},
            },
        },
        "evidence": [{"id": url, "type": ["Evidence"], "name": certificate.number}],
        "credentialStatus": {
            "id": f"{status_list_url(certificate.centre_id)}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": status_list_url(certificate.centre_id),
        },
    }  # fmt: skip
    claims: dict[str, Any] = {"iss": vc["issuer"]["id"], "sub": f"sha256${name_hash}", "jti": url,
              "nbf": int(issued.timestamp()), "iat": int(timezone.now().timestamp()), "vc": vc}  # fmt: skip
    if expires_at is not None:
        vc["validUntil"] = expires_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        claims["exp"] = int(expires_at.timestamp())
    return claims


def credential_sign(certificate: Certificate, *, expires_at: dt.datetime | None = None) -> tuple[str, SigningKey]:
    """The certificate's credential, signed with its centre's key in use."""
    key = signing_key_for(certificate.centre_id)
    return _sign(credential_claims(certificate, expires_at=expires_at), key), key


# --- Status lists ---------------------------------------------------------------------------


def status_bits(revoked_indexes) -> bytes:
    """The bitstring (first bit = index 0, most significant first), gzipped."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return gzip.compress(bytes(bits), mtime=0)


def status_bit(encoded_list: str, index: int) -> bool:
    """Whether bit `index` of a status list's `encodedList` (multibase base64url) is set."""
    raw = gzip.decompress(_b64u_decode(encoded_list.removeprefix("u")))
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(centre_id: int) -> str:
    """The centre's revocation list as a signed BitstringStatusListCredential (VC-JWT)."""
    revoked = Certificate.objects.filter(centre_id=centre_id, status=Certificate.Status.REVOKED).values_list(
        "status_index", flat=True
    )
    url = status_list_url(centre_id)
    now = timezone.now()
    vc = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(centre_id),
        "validFrom": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "u" + _b64u(status_bits(revoked)),
        },
    }
    claims = {
        "iss": issuer_id(centre_id),
        "jti": url,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "vc": vc,
    }
    return _sign(claims, signing_key_for(centre_id))


# --- Verification ---------------------------------------------------------------------------


class NotACredential(ValueError):
    """The text is not a compact JWS at all (a 400, not an invalid credential)."""


@dataclass
class Verdict:
    valid: bool
    revoked: bool
    reason: str
    code: str | None

    def as_data(self) -> dict:
        return {"valid": self.valid, "revoked": self.revoked, "reason": self.reason, "code": self.code}


def _header(token: str) -> dict:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(parts[:2]):
        raise NotACredential(_("This is not a credential (a compact JWS has three parts)."))
    try:
        header = json.loads(_b64u_decode(parts[0]))
        json.loads(_b64u_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotACredential(_("This is not a credential (its parts are not base64url JSON).")) from exc
    if not isinstance(header, dict) or "alg" not in header:
        raise NotACredential(_("This is not a credential (its header names no algorithm)."))
    return header


def credential_verify(token: str) -> Verdict:
    """Check a credential as an offline verifier would (signature by a published key of
    its issuer, times, shape), then its revocation against the centre's status list. Raises
    NotACredential for text that is not a compact JWS."""
    header = _header(token)
    if header.get("alg") != "EdDSA":
        return Verdict(False, False, _("Not signed with EdDSA (Ed25519)."), None)
    key = SigningKey.objects.filter(kid=str(header.get("kid", ""))).first()
    if key is None:
        return Verdict(False, False, _("Signed with a key no centre published."), None)
    try:
        claims = jwt.decode(
            token, _public_key(key), algorithms=["EdDSA"], options={"require": ["iss", "jti", "nbf"]}, leeway=60
        )
    except jwt.ExpiredSignatureError:
        return Verdict(False, False, _("The credential has expired."), None)
    except jwt.ImmatureSignatureError:
        return Verdict(False, False, _("The credential is not valid yet."), None)
    except jwt.InvalidSignatureError:
        return Verdict(False, False, _("The signature does not match: the credential was changed or forged."), None)
    except jwt.InvalidTokenError:
        return Verdict(False, False, _("The credential is malformed."), None)
    vc = claims.get("vc")
    if claims["iss"] != issuer_id(key.centre_id) or not isinstance(vc, dict):
        return Verdict(False, False, _("The credential does not come from the key's issuer."), None)
    if "OpenBadgeCredential" not in (vc.get("type") or []):
        return Verdict(False, False, _("This is not a certificate's credential."), None)
    certificate = (
        Certificate.objects.filter(
            verify_code=str(claims["jti"]).rstrip("/").rsplit("/", 1)[-1], centre_id=key.centre_id
        )
        .only("number", "status", "status_index")
        .first()
    )
    if certificate is None:
        return Verdict(False, False, _("No such certificate."), None)
    revoked = certificate.status == Certificate.Status.REVOKED
    if revoked:
        return Verdict(False, True, _("The certificate was revoked."), certificate.number)
    return Verdict(True, False, "", certificate.number)
