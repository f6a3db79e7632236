from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from aidou.models import AuditLog
from workforce.models import Centre, RoleGrant, RosterImport, Team, User, WorkerProfile


class RoleGrantInline(admin.TabularInline):
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
class UserAdmin(DjangoUserAdmin):
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
class RoleGrantAdmin(admin.ModelAdmin):
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
