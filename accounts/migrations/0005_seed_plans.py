"""The starter plans: free, pro and unlimited; existing users get the default plan (DEFAULT_PLAN).

Staff edit the plans in the admin afterwards; seeding again (the test suite does after each
transactional test empties the tables) never overwrites a plan that exists.
"""
from django.conf import settings
from django.db import migrations

# Frozen here, as a migration's data must be: later edits happen in the admin.
STARTER_PLANS = [
    {"slug": "free", "name": "Free", "description": "To try ReelMate: a few short reels a day.",
     "concurrent_jobs": 1, "jobs_per_day": 10, "video_minutes_per_month": 10, "script_characters": 1500,
     "retries_per_job": 2},
    {"slug": "pro", "name": "Pro", "description": "For marketing teams publishing every day.",
     "concurrent_jobs": 3, "jobs_per_day": 100, "video_minutes_per_month": 300, "script_characters": 4096,
     "retries_per_job": 5},
    {"slug": "unlimited", "name": "Unlimited", "description": "No limits (staff, partners, internal tools).",
     "concurrent_jobs": None, "jobs_per_day": None, "video_minutes_per_month": None, "script_characters": None,
     "retries_per_job": None},
]


def seed_plans(apps, schema_editor):
    Plan = apps.get_model("accounts", "Plan")
    UserPlan = apps.get_model("accounts", "UserPlan")
    User = apps.get_model("accounts", "User")
    for fields in STARTER_PLANS:
        Plan.objects.get_or_create(slug=fields["slug"], defaults=fields)
    default = Plan.objects.filter(slug=settings.DEFAULT_PLAN).first()
    if default is not None:  # else users get it on first use, once staff have created it
        UserPlan.objects.bulk_create(
            [UserPlan(user=user, plan=default) for user in User.objects.filter(user_plan__isnull=True)])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_plans")]

    operations = [migrations.RunPython(seed_plans, migrations.RunPython.noop)]
