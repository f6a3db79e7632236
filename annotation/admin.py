from django.contrib import admin

from annotation.models import (
    Annotation,
    ApiKey,
    Assignment,
    Batch,
    ClientMember,
    ExportJob,
    ImportJob,
    Item,
    Organisation,
    Project,
    Webhook,
    WebhookDelivery,
)


class ClientMemberInline(admin.TabularInline):
    model = ClientMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [ClientMemberInline]


@admin.register(ClientMember)
class ClientMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["organisation"]
    # Keys are made with `manage.py create_api_key` or on the client page, which show the secret once.
    readonly_fields = ["organisation", "prefix", "created_by", "created_at", "last_used_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "status", "overlap", "created_at"]
    list_filter = ["status", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["file_name", "project", "width", "height", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["project"]
    search_fields = ["file_name", "sha256"]
    readonly_fields = ["project", "image", "thumbnail", "sha256", "width", "height", "content_type", "import_job"]


class JobAdmin(admin.ModelAdmin):
    list_filter = ["status"]
    list_select_related = ["project"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(ImportJob)
class ImportJobAdmin(JobAdmin):
    list_display = ["id", "project", "status", "total", "accepted", "duplicates", "rejected", "created_at"]


@admin.register(ExportJob)
class ExportJobAdmin(JobAdmin):
    list_display = ["id", "project", "format", "status", "items", "created_at"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "organisation", "is_active", "created_at"]
    list_select_related = ["organisation"]
    exclude = ["secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "webhook", "event", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event"]
    list_select_related = ["webhook"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "centre", "status", "priority", "due", "item_count", "created_at"]
    list_filter = ["status", "centre"]
    list_select_related = ["project", "centre"]
    filter_horizontal = ["teams", "annotators"]
    readonly_fields = ["project", "item_count", "created_by", "created_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Labelling records are written by the engine; admins read them (audit), never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "annotator", "item", "batch", "status", "leased_at", "finished_at", "active_ms"]
    list_filter = ["status"]
    list_select_related = ["annotator", "item", "batch"]
    raw_id_fields = ["task", "item", "batch", "annotator"]


@admin.register(Annotation)
class AnnotationAdmin(ReadOnlyAdmin):
    list_display = ["id", "annotator", "item", "image_class", "created_at"]
    list_select_related = ["annotator", "item"]
    raw_id_fields = ["assignment", "item", "annotator"]
