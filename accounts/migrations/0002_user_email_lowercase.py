"""Email addresses are stored lower case (login is case-insensitive); existing ones are lowered first.

Accounts created before, e.g. in the admin, may hold capitals. Two accounts whose addresses differ
only in case cannot be merged automatically (which one is the person's?): the migration stops and
names them, for staff to resolve, rather than guess.
"""
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower


def lowercase_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    mixed = User.objects.exclude(email=Lower("email"))
    clashes = sorted(
        user.email for user in mixed
        if User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists()
    )
    if clashes:
        raise RuntimeError(
            "These accounts' email addresses differ from another account's only in letter case; merge or "
            f"rename them, then migrate again: {', '.join(clashes)}"
        )
    mixed.update(email=Lower("email"))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RunPython(lowercase_emails, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('email', django.db.models.functions.text.Lower('email'))), name='user_email_lowercase'),
        ),
    ]
