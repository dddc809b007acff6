from django.contrib import admin

from common.admin import MapAdmin

from .models import (
    Agency,
    BaseFeature,
    BuildingPermit,
    Commune,
    District,
    Equipment,
    Province,
    Region,
)


@admin.register(Region, Province)
class UnitAdmin(MapAdmin):
    list_display = ["code", "name_fr", "name_ar"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Commune)
class CommuneAdmin(MapAdmin):
    list_display = ["code", "name_fr", "name_ar", "kind", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(District)
class DistrictAdmin(MapAdmin):
    list_display = ["code", "name_fr", "name_ar", "commune", "population"]
    list_filter = ["commune"]
    search_fields = ["code", "name_fr", "name_ar"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr"]
    filter_horizontal = ["provinces"]


@admin.register(Equipment)
class EquipmentAdmin(MapAdmin):
    list_display = ["name_fr", "kind", "commune"]
    list_filter = ["kind", "commune"]
    search_fields = ["name_fr", "name_ar"]


@admin.register(BuildingPermit)
class BuildingPermitAdmin(MapAdmin):
    list_display = ["reference", "kind", "issued_on", "commune", "floor_area_m2", "levels"]
    list_filter = ["kind", "commune"]
    date_hierarchy = "issued_on"
    search_fields = ["reference"]


@admin.register(BaseFeature)
class BaseFeatureAdmin(MapAdmin):
    list_display = ["kind", "name_fr"]
    list_filter = ["kind"]
