from django.contrib import admin

from .models import Inquiry, InquiryEvent


class InquiryEventInline(admin.TabularInline):
    model = InquiryEvent
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "at", "payload"]
    can_delete = False


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["title_fr", "version", "status", "opens_at", "closes_at"]
    list_filter = ["status"]
    readonly_fields = ["status"]
    inlines = [InquiryEventInline]
