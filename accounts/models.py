from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower


class UserManager(DjangoUserManager):
    """Users log in with their email, in any letter case; there is no username."""

    use_in_migrations = True

    @staticmethod
    def canonical_email(email: str) -> str:
        """How an address is stored and looked up: lower case, so `Ann@X.com` and `ann@x.com` are one account."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        # What authenticate() (the login endpoint, the admin's login) looks the user up by.
        return self.get(email=self.canonical_email(username))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.canonical_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            # Stored lower case, so the unique index on email is case-insensitive uniqueness.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = UserManager.canonical_email(self.email)  # before forms check uniqueness

    def save(self, *args, **kwargs):
        self.email = UserManager.canonical_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class RevokedAccessToken(models.Model):
    """An access token refused before it expires, because its user logged out with it.

    Access tokens are checked by signature alone, so without this a token would keep working for
    its whole lifetime (JWT_EXPIRES_IN, 7 days by default) after a logout. Rows are needed only
    until the token would have expired; a beat task deletes them then (``accounts.tasks``).
    """

    jti = models.CharField("token id", max_length=255, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revoked_at"]

    def __str__(self) -> str:
        return self.jti


# --- Plans: what a user may generate ---------------------------------------------------------
class PlanLimits(models.Model):
    """The limits on generation, each a whole number or empty. What empty means is the subclass's
    to say: on a Plan, unlimited; on a UserPlan, the plan's own value."""

    concurrent_jobs = models.PositiveIntegerField(
        "concurrent active jobs", null=True, blank=True, help_text="Jobs queued or processing at the same time.")
    jobs_per_day = models.PositiveIntegerField(
        "jobs per day", null=True, blank=True,
        help_text="Runs (submissions and retries) per calendar day (UTC); a run that fails or is canceled is "
                  "given back.")
    video_minutes_per_month = models.PositiveIntegerField(
        "video minutes per month", null=True, blank=True,
        help_text="Minutes of video per calendar month (UTC): a run is charged an estimate when submitted, its "
                  "real length when it completes, nothing if it fails or is canceled.")
    script_characters = models.PositiveIntegerField(
        "longest script (characters)", null=True, blank=True)
    retries_per_job = models.PositiveIntegerField(
        "retries of one job", null=True, blank=True, help_text="How many times a user may retry one job.")

    class Meta:
        abstract = True


# The limits, by field name; the API's usage and its 429 answers name them the same way.
LIMIT_NAMES = ("concurrent_jobs", "jobs_per_day", "video_minutes_per_month", "script_characters", "retries_per_job")


class Plan(PlanLimits):
    """A set of limits staff define; an empty limit is unlimited. Settings' DEFAULT_PLAN (a slug)
    is the plan new users get."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.CharField(max_length=300, blank=True)
    # Not a limit on what a user may submit but their share of the render workers: at most this many
    # of their jobs are sent to the workers at a time (queued for a worker, or rendering); the rest
    # wait in the database and are released as those finish (ai_studio.services.dispatch).
    max_in_flight = models.PositiveIntegerField(
        "jobs in flight", default=2, validators=[MinValueValidator(1)],
        help_text="How many of a user's jobs may be on the render queue or rendering at once; the rest wait "
                  "their turn, so one user's large batch cannot hold every worker.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserPlan(PlanLimits):
    """A user's plan, and limits overriding the plan's for this user only (empty: the plan's).

    Its row is also what serializes a user's submissions: they lock it (SELECT ... FOR UPDATE)
    before counting and charging, so concurrent requests cannot overshoot a limit."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="user_plan")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="user_plans")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "plan and limits"
        verbose_name_plural = "plan and limits"

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}"
