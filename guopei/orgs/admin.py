"""Django admin for organisations and accounts: a read-only inspection tool.

Every change goes through the platform's own pages and services.py, which check who may do it and write the
audit trail; the admin would bypass both, so it may look but not touch.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import DevelopmentCentre, Expert, Institution, Membership, School, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(School)
class SchoolAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "county", "kind", "location", "is_public", "is_demo"]
    list_filter = ["kind", "location", "is_public", "is_demo"]
    search_fields = ["name", "code"]


@admin.register(Institution)
class InstitutionAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "in_province", "region", "on_remote_list", "remote_list_since", "is_demo"]
    list_filter = ["kind", "in_province", "on_remote_list"]
    search_fields = ["name"]


@admin.register(DevelopmentCentre)
class DevelopmentCentreAdmin(ReadOnlyAdmin):
    list_display = ["name", "county", "director", "is_demo"]
    search_fields = ["name", "county__name"]


@admin.register(Expert)
class ExpertAdmin(ReadOnlyAdmin):
    list_display = ["name", "employer", "field", "title", "is_active", "is_demo"]
    search_fields = ["name", "employer"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ["role", "region", "school", "institution", "is_active"]
    extra = 0

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "full_name", "is_active", "is_demo", "last_login"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["username", "full_name"]
    exclude = ["password"]
    inlines = [MembershipInline]
