from django.db import models

from aidou.models import AuditLog


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    fields: list[str],
    ip_address: str | None = None,
    reason: str = "",
) -> AuditLog:
    """Write one audit row. Call it in the same transaction as the read or change it records."""
    return AuditLog.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        fields=fields,
        ip_address=ip_address,
        reason=reason[:200],
    )
