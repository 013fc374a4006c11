from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from fangtiao.core.admin import AuditedAdmin
from fangtiao.org.models import ApiToken, DisputeCategory, Expert, Mediator, Region, Role, Unit, User


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "active")
    list_filter = ("level", "kind", "active")
    search_fields = ("code", "name", "search_key")
    readonly_fields = ("path", "depth")
    raw_id_fields = ("parent",)


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ("name", "short_name", "kind", "level", "region", "active")
    list_filter = ("kind", "level", "active", "stationed", "joint_response")
    search_fields = ("name", "short_name", "search_key")
    raw_id_fields = ("region", "parent")


@admin.register(DisputeCategory)
class DisputeCategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "sort", "active")
    list_editable = ("sort", "active")


@admin.register(Role)
class RoleAdmin(AuditedAdmin):
    list_display = ("code", "name")


@admin.register(Mediator)
class MediatorAdmin(AuditedAdmin):
    list_display = ("name", "unit", "employment", "status")
    list_filter = ("employment", "status", "rank")
    search_fields = ("name", "search_key")
    raw_id_fields = ("unit", "user")
    filter_horizontal = ("specialties",)
    exclude = ("phone_index",)


@admin.register(Expert)
class ExpertAdmin(AuditedAdmin):
    list_display = ("name", "kind", "organisation", "status")
    list_filter = ("kind", "status")
    search_fields = ("name", "search_key", "organisation")
    raw_id_fields = ("unit", "user")
    filter_horizontal = ("specialties",)


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ("username", "name", "unit", "is_active", "last_login")
    list_filter = ("is_active", "is_staff", "roles")
    search_fields = ("username", "name", "search_key")
    raw_id_fields = ("unit",)
    filter_horizontal = ("roles", "groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("基本信息", {"fields": ("name", "unit", "title", "phone", "roles")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "name", "unit", "password1", "password2")}),)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "key_hash", "prefix", "created_at", "expires_at", "last_used_at")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
