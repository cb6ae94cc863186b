"""Plans: the seeded free / pro / unlimited, the default plan of new users, per-user overrides, and
how staff manage them in the admin."""
from dataclasses import fields

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from accounts.models import LIMIT_NAMES, Plan, User, UserPlan
from accounts.selectors import Limits, effective_limits
from accounts.services import lock_user_plan, user_plan_of
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def limits_of(user) -> Limits:
    return effective_limits(UserPlan.objects.select_related("plan").get(user=user))


def test_the_migration_seeds_free_pro_and_an_unlimited_plan():
    plans = {plan.slug: plan for plan in Plan.objects.all()}
    assert set(plans) >= {"free", "pro", "unlimited"}
    free, pro = plans["free"], plans["pro"]
    assert (free.concurrent_jobs, free.jobs_per_day, free.video_minutes_per_month, free.script_characters,
            free.retries_per_job) == (1, 10, 10, 1500, 2)
    assert (pro.concurrent_jobs, pro.jobs_per_day, pro.video_minutes_per_month, pro.script_characters,
            pro.retries_per_job) == (3, 100, 300, 4096, 5)
    assert all(getattr(plans["unlimited"], name) is None for name in LIMIT_NAMES)


def test_limits_name_every_limit_field():
    assert tuple(field.name for field in fields(Limits)) == LIMIT_NAMES


@pytest.mark.parametrize("slug", ["free", "pro"])
def test_a_new_user_gets_the_default_plan_from_settings(settings, slug):
    settings.DEFAULT_PLAN = slug
    user = UserFactory()
    assert UserPlan.objects.get(user=user).plan.slug == slug


def test_a_user_who_registers_gets_the_default_plan(api_client, settings):
    settings.DEFAULT_PLAN = "pro"
    response = api_client.post("/api/auth/register", {"email": "new@example.com",
                                                      "password": "a-Strong-passphrase-42"}, format="json")
    assert response.status_code == 202  # registering answers 202 alike for new and taken addresses
    assert User.objects.get(email="new@example.com").user_plan.plan.slug == "pro"


def test_a_default_plan_that_does_not_exist_is_a_configuration_error(settings):
    settings.DEFAULT_PLAN = "platinum"
    with pytest.raises(ImproperlyConfigured, match="platinum"):
        UserFactory()


def test_the_plans_limits_apply_unless_overridden_for_the_user(settings):
    settings.DEFAULT_PLAN = "free"
    user = UserFactory()
    assert limits_of(user) == Limits(concurrent_jobs=1, jobs_per_day=10, video_minutes_per_month=10,
                                      script_characters=1500, retries_per_job=2)
    UserPlan.objects.filter(user=user).update(jobs_per_day=50, video_minutes_per_month=0)
    assert limits_of(user) == Limits(concurrent_jobs=1, jobs_per_day=50, video_minutes_per_month=0,
                                      script_characters=1500, retries_per_job=2)


def test_an_override_applies_on_an_unlimited_plan_too(settings):
    settings.DEFAULT_PLAN = "unlimited"
    user = UserFactory()
    UserPlan.objects.filter(user=user).update(concurrent_jobs=2)
    assert limits_of(user) == Limits(concurrent_jobs=2, jobs_per_day=None, video_minutes_per_month=None,
                                      script_characters=None, retries_per_job=None)


def test_a_user_made_before_plans_existed_gets_the_default_plan_when_first_needed(settings):
    user = UserFactory()
    UserPlan.objects.filter(user=user).delete()
    settings.DEFAULT_PLAN = "pro"
    assert user_plan_of(user).plan.slug == "pro"
    UserPlan.objects.filter(user=user).delete()
    with transaction.atomic():
        assert lock_user_plan(user).plan.slug == "pro"


@pytest.mark.django_db(transaction=True)
def test_the_plan_lock_is_only_taken_inside_a_transaction(user):
    with pytest.raises(RuntimeError, match="inside one"):
        lock_user_plan(user)


# --- admin ------------------------------------------------------------------------------------
def test_staff_see_each_plan_with_its_number_of_users(staff_browser, settings):
    settings.DEFAULT_PLAN = "pro"
    UserFactory.create_batch(2)
    page = staff_browser.get("/admin/accounts/plan/")
    assert page.status_code == 200
    rows = {plan.slug: plan for plan in page.context["cl"].result_list}
    assert rows["pro"].user_count == 2
    assert rows["free"].user_count == 0


def test_the_default_plan_cannot_be_deleted_and_a_plan_with_users_is_protected(staff_browser, settings):
    settings.DEFAULT_PLAN = "free"
    pro = Plan.objects.get(slug="pro")
    UserPlan.objects.filter(user=UserFactory()).update(plan=pro)
    free = Plan.objects.get(slug="free")
    assert staff_browser.post(f"/admin/accounts/plan/{free.pk}/delete/", {"post": "yes"}).status_code == 403
    staff_browser.post(f"/admin/accounts/plan/{pro.pk}/delete/", {"post": "yes"})
    assert Plan.objects.filter(slug="pro").exists()


def user_change_form(user, **plan_fields) -> dict:
    form = {"email": user.email, "name": user.name, "is_active": "on", "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00", "user_plan-TOTAL_FORMS": "1", "user_plan-INITIAL_FORMS": "1",
            "user_plan-MIN_NUM_FORMS": "1", "user_plan-MAX_NUM_FORMS": "1", "user_plan-0-id": user.user_plan.pk,
            "user_plan-0-user": user.pk}
    return form | {f"user_plan-0-{name}": "" for name in LIMIT_NAMES} | {
        f"user_plan-0-{name}": value for name, value in plan_fields.items()}


def test_staff_change_a_users_plan_and_overrides_on_the_users_page(staff_browser, settings):
    settings.DEFAULT_PLAN = "free"
    user = UserFactory()
    pro = Plan.objects.get(slug="pro")
    page = staff_browser.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert "Overrides for this user" in page.content.decode()

    response = staff_browser.post(f"/admin/accounts/user/{user.pk}/change/",
                                  user_change_form(user, plan=pro.pk, jobs_per_day="7"))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert limits_of(user) == Limits(concurrent_jobs=3, jobs_per_day=7, video_minutes_per_month=300,
                                      script_characters=4096, retries_per_job=5)


def test_staff_filter_users_by_plan_and_search_them(staff_browser, settings):
    settings.DEFAULT_PLAN = "free"
    on_free = UserFactory(email="ann@example.com")
    on_pro = UserFactory(email="bob@example.com")
    pro = Plan.objects.get(slug="pro")
    UserPlan.objects.filter(user=on_pro).update(plan=pro)

    by_plan = staff_browser.get("/admin/accounts/user/", {"user_plan__plan__id__exact": pro.pk})
    assert list(by_plan.context["cl"].result_list) == [on_pro]
    searched = staff_browser.get("/admin/accounts/user/", {"q": "ann@"})
    assert list(searched.context["cl"].result_list) == [on_free]
    assert "Free" in searched.content.decode()  # the plan column
