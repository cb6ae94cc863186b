from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
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
