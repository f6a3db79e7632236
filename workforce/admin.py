from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from aidou.models import AuditLog
from workforce.models import Centre, RoleGrant, RosterImport, Team, User, WorkerProfile


class SuperuserWritesOnly:
    """Accounts, passwords and role grants change in the admin only for a superuser: staff
    use the pages, where role ranks apply (workforce.policies, docs/permissions.csv)."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class RoleGrantInline(SuperuserWritesOnly, admin.TabularInline):
    model = RoleGrant
    extra = 0


class WorkerProfileInline(admin.StackedInline):
    model = WorkerProfile
    can_delete = False
    # Encrypted columns never appear here; HR reveals them through the audited page.
    fields = ["gender", "birth_date", "education", "hire_date", "employment_type",
              "id_number_masked", "bank_name", "bank_account_masked"]  # fmt: skip
    readonly_fields = ["id_number_masked", "bank_account_masked"]


@admin.register(User)
class UserAdmin(SuperuserWritesOnly, DjangoUserAdmin):
    list_display = ["username", "name", "mobile", "centre", "is_active", "is_staff"]
    list_filter = ["centre", "is_active", "is_staff", "role_grants__role"]
    search_fields = ["username", "name", "mobile"]
    list_select_related = ["centre"]
    inlines = [RoleGrantInline, WorkerProfileInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("name", "mobile", "centre")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "name", "mobile", "centre", "password1", "password2"),
            },
        ),
    )


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "county", "province"]
    search_fields = ["name", "county"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "centre", "lead"]
    list_filter = ["centre"]
    list_select_related = ["centre", "lead"]
    autocomplete_fields = ["lead", "members"]


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "gender", "employment_type", "id_number_masked", "bank_account_masked"]
    list_select_related = ["user"]
    search_fields = ["user__name", "user__mobile"]
    readonly_fields = ["user", "id_number_masked", "bank_account_masked"]
    exclude = ["id_number_encrypted", "id_number_digest", "bank_account_encrypted"]


@admin.register(RoleGrant)
class RoleGrantAdmin(SuperuserWritesOnly, admin.ModelAdmin):
    list_display = ["user", "role", "granted_at"]
    list_filter = ["role"]
    list_select_related = ["user"]


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "status",
        "total",
        "created",
        "updated",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    readonly_fields = [f.name for f in RosterImport._meta.fields]
    exclude = ["initial_password_hash"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action_label", "target_type", "target_id", "ip_address"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Pay: legal figures and tax table are data HR keeps; payslips are read here, never edited.
# (Imported here so this section merges apart from the others' admin classes.)
from workforce.models import LegalFigure, PayPeriod, PayTerms, TaxBracket, TaxDeduction  # noqa: E402


@admin.register(LegalFigure)
class LegalFigureAdmin(admin.ModelAdmin):
    """Figures are never edited in place: a change is a new row from its date (the history
    of what each payslip was computed from stays)."""

    list_display = ["code", "qualifier", "region", "centre", "value", "effective_from", "source"]
    list_filter = ["code", "region", "centre"]
    search_fields = ["code", "qualifier", "source"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["created_by"]
        return ["code", "qualifier", "region", "centre", "value", "effective_from", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TaxBracket)
class TaxBracketAdmin(admin.ModelAdmin):
    list_display = ["effective_from", "lower", "rate", "quick_deduction", "source"]


@admin.register(PayTerms)
class PayTermsAdmin(admin.ModelAdmin):
    list_display = ["worker", "kind", "base_amount", "contribution_base", "effective_from"]
    raw_id_fields = ["worker", "created_by"]


@admin.register(TaxDeduction)
class TaxDeductionAdmin(admin.ModelAdmin):
    list_display = ["worker", "kind", "monthly_amount", "starts_on", "ends_on"]
    raw_id_fields = ["worker", "created_by"]


@admin.register(PayPeriod)
class PayPeriodAdmin(admin.ModelAdmin):
    list_display = ["centre", "month", "status", "closed_at"]
    list_filter = ["status", "centre"]
    readonly_fields = ["centre", "month", "status", "closed_at", "closed_by"]

    def has_add_permission(self, request):
        return False  # periods are opened by the payroll service
