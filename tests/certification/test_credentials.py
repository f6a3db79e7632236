"""The verifiable credential: checked offline by PyJWT and the published JWKS alone, and by
our verify endpoint; tampering, forgery, expiry, unknown keys, revocation, key rotation."""

import base64
import datetime as dt
import gzip
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse
from django.utils import timezone

from aidou.crypto import decrypt_text
from certification import credentials, services
from certification.models import SigningKey
from tests.openapi import assert_matches_schema

pytestmark = pytest.mark.django_db

VERIFY = "/api/v1/credentials/verify/"


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def independent_check(token: str, jwks: dict, status_list_jwt: str) -> dict:
    """What any verifier does with standard libraries and the published documents only:
    pick the key by `kid`, check the EdDSA signature, then the status list's bit."""
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}
    kid = jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(token, keys[kid].key, algorithms=["EdDSA"])
    status_kid = jwt.get_unverified_header(status_list_jwt)["kid"]
    status = jwt.decode(status_list_jwt, keys[status_kid].key, algorithms=["EdDSA"])
    entry = claims["vc"]["credentialStatus"]
    assert status["vc"]["id"] == entry["statusListCredential"]
    bits = gzip.decompress(_b64u_decode(status["vc"]["credentialSubject"]["encodedList"][1:]))
    index = int(entry["statusListIndex"])
    return {"claims": claims, "revoked": bool(bits[index // 8] & (0x80 >> (index % 8)))}


def _published(client, centre_id):
    jwks = client.get("/.well-known/jwks.json").json()
    status_list = client.get(reverse("certification-status-list", args=[centre_id])).content.decode()
    return jwks, status_list


def test_a_credential_verifies_with_pyjwt_and_the_published_jwks_alone(issued, client):
    client.force_login(issued.holder)
    token = client.get(f"/api/v1/certificates/{issued.pk}/credential/").json()["credential"]
    client.logout()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"] == issued.signing_key.kid
    jwks, status_list = _published(client, issued.centre_id)
    assert all(set(key) >= {"kty", "crv", "x", "kid"} and "d" not in key for key in jwks["keys"])
    checked = independent_check(token, jwks, status_list)
    vc = checked["claims"]["vc"]
    assert "OpenBadgeCredential" in vc["type"] and vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert vc["credentialSubject"]["achievement"]["name"] == "人工智能训练师 五级/初级工"
    assert "王秀英" not in json.dumps(vc, ensure_ascii=False)  # only a salted hash of the name
    assert checked["revoked"] is False


def test_the_verify_endpoint_says_valid_and_gives_the_number(issued, api):
    answer = api().post(VERIFY, {"credential": issued.credential}, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"valid": True, "revoked": False, "reason": "", "code": issued.number}
    assert_matches_schema(answer, "post")


def test_a_tampered_credential_fails(issued, api):
    header, payload, signature = issued.credential.split(".")
    claims = json.loads(_b64u_decode(payload))
    claims["vc"]["credentialSubject"]["achievement"]["name"] = "人工智能训练师 一级/高级技师"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    answer = api().post(VERIFY, {"credential": f"{header}.{forged_payload}.{signature}"}, format="json").json()
    assert answer["valid"] is False and "signature" in answer["reason"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwks = {"keys": [credentials.jwk_of(issued.signing_key)]}
        key = jwt.PyJWKSet.from_dict(jwks).keys[0].key
        jwt.decode(f"{header}.{forged_payload}.{signature}", key, algorithms=["EdDSA"])


def test_a_credential_forged_with_another_key_under_a_real_kid_fails(issued, api):
    claims = jwt.decode(issued.credential, options={"verify_signature": False})
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": issued.signing_key.kid})  # fmt: skip
    answer = api().post(VERIFY, {"credential": forged}, format="json").json()
    assert answer["valid"] is False and answer["code"] is None


def test_an_unknown_key_and_a_wrong_algorithm_fail(issued, api):
    claims = jwt.decode(issued.credential, options={"verify_signature": False})
    unknown = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "nobody"})
    answer = api().post(VERIFY, {"credential": unknown}, format="json").json()
    assert answer["valid"] is False and "key" in answer["reason"]
    hmac = jwt.encode(claims, "secret-secret-secret-secret-secret!", algorithm="HS256",
                      headers={"kid": issued.signing_key.kid})  # fmt: skip
    answer = api().post(VERIFY, {"credential": hmac}, format="json").json()
    assert answer["valid"] is False and "EdDSA" in answer["reason"]


def test_an_expired_credential_fails(issued, api):
    token, _key = credentials.credential_sign(issued, expires_at=timezone.now() - dt.timedelta(days=2))
    answer = api().post(VERIFY, {"credential": token}, format="json").json()
    assert answer == {"valid": False, "revoked": False, "reason": "The credential has expired.", "code": None}


@pytest.mark.parametrize("body", [{}, {"credential": ""}, {"credential": "hello"}, {"credential": "a.b"},
                                  {"credential": "!!.??.x"}, {"credential": ["a.b.c"]}, {"credential": "e30.e30.x"}])  # fmt: skip
def test_a_body_that_is_not_a_credential_is_a_400(body, api, db):
    answer = api().post(VERIFY, body, format="json")
    assert answer.status_code == 400 and "credential" in answer.json()


def test_a_revoked_credential_shows_revoked_online_and_in_the_status_list(issued, hr, api, client):
    services.certificate_revoke(actor=hr, certificate_id=issued.pk, reason="证书信息有误")
    answer = api().post(VERIFY, {"credential": issued.credential}, format="json").json()
    assert answer["valid"] is False and answer["revoked"] is True and answer["code"] == issued.number
    jwks, status_list = _published(client, issued.centre_id)
    assert independent_check(issued.credential, jwks, status_list)["revoked"] is True


def test_rotating_the_key_keeps_older_credentials_verifiable(issued, hr, api, client, ready_candidate):
    old_kid = issued.signing_key.kid
    new = services.signing_key_rotate(actor=hr, centre_id=issued.centre_id)
    assert new.kid != old_kid
    jwks, status_list = _published(client, issued.centre_id)
    assert {old_kid, new.kid} <= {key["kid"] for key in jwks["keys"]}
    assert jwt.get_unverified_header(status_list)["kid"] == new.kid  # the list is signed by the new key
    assert independent_check(issued.credential, jwks, status_list)["revoked"] is False
    assert api().post(VERIFY, {"credential": issued.credential}, format="json").json()["valid"] is True
    token, key = credentials.credential_sign(issued)
    assert key == new and jwt.get_unverified_header(token)["kid"] == new.kid


def test_private_keys_are_stored_encrypted(issued):
    key = SigningKey.objects.get(pk=issued.signing_key_id)
    assert key.private_key_encrypted and key.public_key not in key.private_key_encrypted
    raw = _b64u_decode(decrypt_text(key.private_key_encrypted))
    assert len(raw) == 32


def test_certificates_list_scoped_to_holder_and_centre(
    issued, api, hr, other_hr, annotator, django_assert_max_num_queries
):
    from tests import factories

    stranger = factories.worker(actor=hr, centre=issued.centre)
    mine = api(issued.holder).get("/api/v1/certificates/")
    assert mine.status_code == 200
    row = mine.json()["results"][0]
    assert row["code"] == issued.number and row["status"] == "valid" and row["level"]["name"] == "五级"
    assert row["verify_url"].endswith(f"/verify/{issued.verify_code}/")
    assert_matches_schema(mine, "get")
    with django_assert_max_num_queries(8):
        assert api(hr).get("/api/v1/certificates/").json()["count"] == 1
    assert api(stranger).get("/api/v1/certificates/").json()["count"] == 0
    assert api(other_hr).get("/api/v1/certificates/").json()["count"] == 0
    assert api(other_hr).get(f"/api/v1/certificates/{issued.pk}/credential/").status_code == 404
    assert api(stranger).get(f"/api/v1/certificates/{issued.pk}/credential/").status_code == 404
    assert api().get("/api/v1/certificates/").status_code == 401
