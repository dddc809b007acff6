"""Admin for planning data. Writes that have rules (status, freezing) go through the services."""

from django.contrib import admin

from common.admin import MapAdmin

from .models import (
    AttachedFile,
    PlanningDocument,
    PlanningEvent,
    PlanVersion,
    Prescription,
    RegulationArticle,
    Zone,
)


class AttachedFileInline(admin.TabularInline):
    model = AttachedFile
    extra = 0
    readonly_fields = ["sha256", "size", "uploaded_at"]


@admin.register(PlanningDocument)
class PlanningDocumentAdmin(MapAdmin):
    list_display = ["code", "doc_type", "name_fr", "agency", "status"]
    list_filter = ["doc_type", "status", "agency"]
    search_fields = ["code", "name_fr", "name_ar"]
    filter_horizontal = ["communes"]
    # The status moves only through planning.services.document_set_status.
    readonly_fields = ["status"]
    inlines = [AttachedFileInline]


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    list_display = ["document", "number", "label", "stage", "frozen_at"]
    list_filter = ["stage", "document"]
    readonly_fields = ["stage", "frozen_at", "parent"]


class FrozenVersionReadOnly:
    """Rows of a frozen version are read-only here too (the database refuses such writes)."""

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.version.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.version.is_frozen:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Zone)
class ZoneAdmin(FrozenVersionReadOnly, MapAdmin):
    list_display = ["code", "label_fr", "family", "version", "max_levels", "max_height_m"]
    list_filter = ["family", "version__stage", "version"]
    search_fields = ["code", "label_fr", "key"]
    list_select_related = ["version__document"]


@admin.register(Prescription)
class PrescriptionAdmin(FrozenVersionReadOnly, MapAdmin):
    list_display = ["kind", "label_fr", "version", "expires_on"]
    list_filter = ["kind", "version"]
    search_fields = ["label_fr", "key"]
    list_select_related = ["version__document"]


@admin.register(RegulationArticle)
class RegulationArticleAdmin(FrozenVersionReadOnly, admin.ModelAdmin):
    list_display = ["number", "zone_code", "title_fr", "version"]
    list_filter = ["version", "zone_code"]
    search_fields = ["title_fr", "body_fr"]


@admin.register(PlanningEvent)
class PlanningEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "document", "version", "actor"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in PlanningEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
