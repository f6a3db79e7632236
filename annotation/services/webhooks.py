"""Client webhooks: subscriptions, events, and signed deliveries retried with back-off.

`webhook_event_emit` writes one delivery row per subscribed webhook and queues it on
commit. `webhook_deliver` (the body of `webhook_deliver_task`) makes one attempt; the
task retries while the delivery is still pending. Delivery is at least once: if a
worker dies mid-request the receiver may see the same delivery again, and should
de-duplicate by the `X-Aidou-Delivery` header.
"""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aidou.crypto import decrypt_text, encrypt_text
from aidou.errors import PermissionDenied
from annotation import outbound
from annotation.models import Organisation, Webhook, WebhookDelivery

log = logging.getLogger(__name__)

EVENTS: tuple[str, ...] = tuple(Webhook.Event.values)
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
MAX_ATTEMPTS = 8
RETRY_FIRST_SECONDS = 10
RETRY_MAX_SECONDS = 600  # under Redis' default visibility timeout (1 h), so an ETA task is not re-sent
USER_AGENT = "Aidou-Webhooks/1"


# --- Subscriptions ---------------------------------------------------------------------


def _url_error(url) -> str | None:
    if not isinstance(url, str) or not url or len(url) > URL_MAX_LENGTH:
        return _("Enter an http or https URL of at most %(n)d characters.") % {"n": URL_MAX_LENGTH}
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return _("Enter a valid http or https URL.")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return _("A user name or password in the URL is not accepted; the signature tells you the call is ours.")
    try:
        outbound.target_check(url)
    except outbound.UnsafeTarget:
        return _("This URL leads to a private, loopback, link-local or reserved address; use a public address.")
    except outbound.OutboundError:
        return _("The host of this URL cannot be resolved.")
    return None


def webhook_create(*, organisation: Organisation | None, url: str, events: list[str], secret: str) -> Webhook:
    """Subscribe an organisation's URL to events. The URL must be http(s) and its host must
    not be, or resolve to, a non-public address (unless WEBHOOK_ALLOW_PRIVATE_TARGETS);
    the host is checked again at every delivery. The secret is stored encrypted.
    Raises PermissionDenied without an organisation, ValidationError({field: [...]}) for
    bad input (nothing is written then). Resolves DNS, so it runs outside a transaction."""
    if organisation is None:
        raise PermissionDenied(_("Only a client organisation can create webhooks."))
    errors: dict[str, list[str]] = {}
    url_error = _url_error(url)
    if url_error:
        errors["url"] = [url_error]
    if not isinstance(events, list | tuple) or not events or any(event not in EVENTS for event in events):
        errors["events"] = [_("Choose one or more of: %(events)s.") % {"events": ", ".join(EVENTS)}]
    if not isinstance(secret, str) or not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
        errors["secret"] = [
            _("The secret must be %(min)d to %(max)d characters long.")
            % {"min": SECRET_MIN_LENGTH, "max": SECRET_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    return Webhook.objects.create(
        organisation=organisation,
        url=url,
        events=[event for event in EVENTS if event in events],
        secret_encrypted=encrypt_text(secret),
    )


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> None:
    """Remove a webhook and its delivery log. Queued deliveries then find nothing to send."""
    Webhook.objects.filter(pk=webhook.pk).delete()


# --- Events and deliveries -------------------------------------------------------------


def webhook_event_emit(*, organisation_id: int, event: str, payload: dict) -> list[WebhookDelivery]:
    """Record one pending delivery of `event` for each active webhook of the organisation
    that subscribed to it, and queue each for sending once the caller's transaction
    commits (a queueing failure is logged, never raised into the caller's use case).
    Raises ValueError for an event name that is not one of EVENTS."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    webhooks = Webhook.objects.filter(organisation_id=organisation_id, is_active=True).only("id", "events")
    # Filtered here: few rows per organisation, and JSON "contains" is not portable to SQLite.
    subscribed = [webhook for webhook in webhooks if event in webhook.events]
    if not subscribed:
        return []
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(webhook=webhook, event=event, payload=payload) for webhook in subscribed]
        )
        for delivery in deliveries:
            _enqueue_on_commit(delivery.pk)
    return deliveries


def _enqueue_on_commit(delivery_id: int) -> None:
    from annotation.tasks import webhook_deliver_task

    def enqueue() -> None:  # not functools.partial: Django logs a robust callback's __qualname__
        webhook_deliver_task.delay(delivery_id)

    transaction.on_commit(enqueue, robust=True)


def webhook_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed): the same for every attempt of a delivery."""
    body = {
        "event": delivery.event,
        "created_at": timezone.localtime(delivery.created_at).isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def webhook_signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body under the secret>`, the X-Aidou-Signature value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_retry_delay(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 10, 20, 40 ... up to 600."""
    return min(RETRY_FIRST_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


def _attempt(webhook: Webhook, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST once; (response status or None, error or "" on a 2xx)."""
    if not webhook.is_active:
        return None, "The webhook is disabled."
    body = webhook_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Aidou-Event": delivery.event,
        "X-Aidou-Delivery": str(delivery.pk),
        "X-Aidou-Signature": webhook_signature(decrypt_text(webhook.secret_encrypted), body),
    }
    try:
        response = outbound.post(webhook.url, body, headers)
    except outbound.OutboundError as exc:
        return None, str(exc)
    if 200 <= response.status < 300:
        return response.status, ""
    error = f"HTTP {response.status} {response.reason}".strip()
    if 300 <= response.status < 400:
        error += " (redirects are not followed)"
    return response.status, error


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt at a pending delivery and record it: a 2xx answer marks it
    succeeded; anything else keeps it pending with the status and error, or marks it
    failed after MAX_ATTEMPTS attempts. A delivery that is gone or no longer pending is
    left alone (so a re-delivered task sends nothing). Returns the delivery as it now
    stands, or None. Receivers' failures never raise. No transaction is held during the
    HTTP call; the outcome is recorded with a conditional UPDATE on (status, attempts),
    so two workers racing on one delivery record one outcome."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery
    response_status, error = _attempt(delivery.webhook, delivery)
    attempts = delivery.attempts + 1
    if not error:
        status = WebhookDelivery.Status.SUCCEEDED
    elif attempts >= MAX_ATTEMPTS or not delivery.webhook.is_active:
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.PENDING
    if error:
        log.info("webhook delivery %s attempt %s: %s", delivery.pk, attempts, error)
    WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(
        status=status,
        attempts=attempts,
        response_status=response_status,
        last_error=error[:500],
        delivered_at=timezone.now() if status == WebhookDelivery.Status.SUCCEEDED else None,
    )
    delivery.refresh_from_db()
    return delivery
