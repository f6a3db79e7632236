"""Who may do what with batches and labelling work. Pure predicates on the actor's roles."""

from workforce.models import Role

BATCH_MANAGERS = (Role.SUPERVISOR, Role.CENTRE_MANAGER, Role.NETWORK_ADMIN)
BATCH_VIEWERS = (*BATCH_MANAGERS, Role.REVIEWER)


def can_manage_batches(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_role(*BATCH_MANAGERS)


def can_view_batches(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_role(*BATCH_VIEWERS)


def can_label(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_role(Role.ANNOTATOR)


# Reviewers, and the supervisors and managers who run batches, review work.
REVIEWERS = BATCH_VIEWERS


def can_review(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_role(*REVIEWERS)


# Nobody judges their own work: not in review (accept, send back, fix), not as the answer a
# gold item scores people against. One predicate, used by the review queue's filter
# (selectors.review_queue), the review service's guard, and the gold services and selectors.
def is_own_work(actor, annotator_id: int | None) -> bool:
    return annotator_id is not None and annotator_id == getattr(actor, "pk", None)
