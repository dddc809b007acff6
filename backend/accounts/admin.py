from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "role", "agency", "is_staff"]
    list_filter = ["role", "agency", "is_staff"]
    fieldsets = [*BaseUserAdmin.fieldsets, ("e-urbanisme", {"fields": ["role", "agency"]})]
