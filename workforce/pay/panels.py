"""Pay's panels on pages of other apps (aidou.panels), registered in WorkforceConfig.ready."""

from workforce.pay import selectors


def earnings_panel(request) -> dict | None:
    """Today's and this month's earnings on the annotator's home, each line explained (one
    query, two when the month has reversals). Nothing for someone without a centre to pay them."""
    user = request.user
    if not getattr(user, "is_authenticated", False) or user.centre_id is None:
        return None
    earnings = selectors.earnings_of(user)
    return {"earnings": earnings, "reversals": earnings.reversals}
