"""Pure permission predicates: who may do what to whom. No queries beyond the actor's roles."""

from workforce.models import Role, User

STAFF_VIEWING_WORKERS = (Role.HR, Role.CENTRE_MANAGER, Role.SUPERVISOR, Role.NETWORK_ADMIN)


def _same_centre(actor: User, centre_id: int | None) -> bool:
    return actor.is_network_admin or (actor.centre_id is not None and actor.centre_id == centre_id)


def can_view_workers(actor: User) -> bool:
    return actor.is_superuser or actor.has_role(*STAFF_VIEWING_WORKERS)


def can_edit_worker(actor: User, worker: User | None = None) -> bool:
    if not (actor.is_superuser or actor.has_role(Role.HR, Role.CENTRE_MANAGER, Role.NETWORK_ADMIN)):
        return False
    return worker is None or _same_centre(actor, worker.centre_id)


def can_reveal_pii(actor: User, worker: User) -> bool:
    """Only HR sees full ID numbers and bank accounts, and only for their own centre."""
    return actor.has_role(Role.HR) and _same_centre(actor, worker.centre_id)


def can_import_roster(actor: User) -> bool:
    return actor.has_role(Role.HR) or actor.is_network_admin


def can_manage_teams(actor: User, centre_id: int) -> bool:
    return actor.has_role(Role.HR, Role.CENTRE_MANAGER, Role.NETWORK_ADMIN) and _same_centre(actor, centre_id)


def can_assign_role(actor: User, role: str) -> bool:
    # Network-wide power is granted only by those who hold it.
    return role != Role.NETWORK_ADMIN or actor.is_network_admin


# --- Pay (payroll runs, payslips, the bank file) ---------------------------------------------


def can_run_payroll(actor: User, centre_id: int | None) -> bool:
    """HR of the centre (or a network admin) opens periods, runs payroll, adjusts and closes."""
    return (actor.has_role(Role.HR) or actor.is_network_admin) and _same_centre(actor, centre_id)


def can_view_centre_payslips(actor: User, centre_id: int | None) -> bool:
    """HR and the manager of the centre (or a network admin) read everyone's payslips there."""
    return (actor.has_role(Role.HR, Role.CENTRE_MANAGER) or actor.is_network_admin) and _same_centre(actor, centre_id)


def can_download_bank_file(actor: User, centre_id: int | None) -> bool:
    """The bank file holds full account numbers: HR of the centre only, as for revealing them."""
    return actor.has_role(Role.HR) and _same_centre(actor, centre_id)


def can_set_legal_figure(actor: User, centre_id: int | None) -> bool:
    """A region's figures are the network's to set; a centre's own (its housing-fund rate) its HR's."""
    if centre_id is None:
        return actor.is_network_admin
    return can_run_payroll(actor, centre_id)


def can_set_piece_rates(actor: User, centre_id: int | None) -> bool:
    """Supervisors and the manager of the centre (or a network admin) set its projects' rates."""
    return (actor.has_role(Role.SUPERVISOR, Role.CENTRE_MANAGER) or actor.is_network_admin) and _same_centre(
        actor, centre_id
    )


def can_reverse_ledger(actor: User, centre_id: int | None) -> bool:
    """Taking back pay for work found wrong on audit: the centre's supervisors and manager."""
    return can_set_piece_rates(actor, centre_id)


# --- Scheduling (shift types, rosters, attendance corrections, absences) ---------------------


def can_manage_schedule(actor: User, centre_id: int | None) -> bool:
    """Supervisors, HR and the manager of the centre (or a network admin) keep its shift
    types and rosters, correct attendance, decide absences and read the attendance report."""
    return (actor.has_role(Role.SUPERVISOR, Role.HR, Role.CENTRE_MANAGER) or actor.is_network_admin) and _same_centre(
        actor, centre_id
    )
