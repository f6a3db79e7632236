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


# --- Role ranks (docs/permissions.csv, the rows with a target role; decision 0013) --------
# A role grants, changes or resets only what is strictly below it, and never touches a
# person at or above its own rank: HR cannot make themselves centre manager, nor set the
# manager's password and log in as them. Above the network admin is only the superuser
# (made on the command line), who alone grants network admin.
ROLE_RANK: dict[str, int] = {
    Role.ANNOTATOR: 1,
    Role.CHILDCARE_STAFF: 1,
    Role.REVIEWER: 2,
    Role.SUPERVISOR: 3,
    Role.HR: 4,
    Role.CENTRE_MANAGER: 5,
    Role.NETWORK_ADMIN: 6,
}
SUPERUSER_RANK = 7


def person_rank(person: User) -> int:
    """The rank of a person's highest role (0 without any)."""
    if person.is_superuser:
        return SUPERUSER_RANK
    return max((ROLE_RANK.get(role, 0) for role in person.roles), default=0)


def outranks(actor: User, person: User) -> bool:
    """Whether the actor stands strictly above the person (never true of oneself)."""
    return actor.pk != person.pk and person_rank(actor) > person_rank(person)


def can_assign_role(actor: User, role: str) -> bool:
    """Whether the actor may grant or take away `role` at all: roles strictly below their own."""
    return ROLE_RANK.get(role, SUPERUSER_RANK) < person_rank(actor)


def can_change_roles_of(actor: User, worker: User) -> bool:
    """Whether the actor may change the roles of this (existing) person: one they manage
    and outrank. Which roles they may grant or take away is can_assign_role's."""
    return can_edit_worker(actor, worker) and outranks(actor, worker)


def can_set_password(actor: User, worker: User) -> bool:
    """Resetting a password is logging in as that person: only for those the actor manages
    and outranks. Anyone at or above one's own rank goes to the network admin (and network
    admins to the superuser); one's own password is changed on the password page."""
    return can_edit_worker(actor, worker) and outranks(actor, worker)


def can_set_active(actor: User, worker: User) -> bool:
    """Marking someone as left (or back) locks them out: the same rule as a password."""
    return can_edit_worker(actor, worker) and outranks(actor, worker)


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
