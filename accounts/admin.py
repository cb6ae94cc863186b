"""Users, and the plans that limit what they generate (with per-user overrides on the user's page).

Each user's current usage is under AI Studio → Usage, where the jobs are counted.
"""
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import Count

from .models import LIMIT_NAMES, Plan, User, UserPlan


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class UserPlanInline(admin.StackedInline):
    model = UserPlan
    can_delete = False
    min_num = max_num = 1
    fieldsets = (
        (None, {"fields": ("plan",)}),
        ("Overrides for this user", {
            "fields": LIMIT_NAMES,
            "description": "Leave a limit empty to keep the plan's. To lift a limit altogether, choose a plan "
                           "without it (e.g. Unlimited).",
        }),
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "name", "plan", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("user_plan__plan", "is_staff", "is_superuser", "is_active")
    list_select_related = ("user_plan__plan",)
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)

    def get_inlines(self, request, obj):
        # A new user gets the default plan when saved (accounts.signals); staff change it afterwards.
        return [UserPlanInline] if obj is not None else []

    @admin.display(description="plan", ordering="user_plan__plan__name")
    def plan(self, user: User) -> str:
        user_plan = getattr(user, "user_plan", None)
        return user_plan.plan.name if user_plan else "—"


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", *LIMIT_NAMES, "max_in_flight", "users", "is_default")
    search_fields = ("name", "slug")
    empty_value_display = "unlimited"
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "description")}),
        ("Limits", {"fields": LIMIT_NAMES, "description": "Leave a limit empty for no limit."}),
        ("Share of the workers", {"fields": ("max_in_flight",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("user_plans"))

    @admin.display(description="users", ordering="user_count")
    def users(self, plan: Plan) -> int:
        return plan.user_count

    @admin.display(description="default for new users", boolean=True)
    def is_default(self, plan: Plan) -> bool:
        return plan.slug == settings.DEFAULT_PLAN

    def has_delete_permission(self, request, obj=None):
        # The default plan must exist (new users get it); a plan with users is protected by the database.
        if obj is not None and self.is_default(obj):
            return False
        return super().has_delete_permission(request, obj)
