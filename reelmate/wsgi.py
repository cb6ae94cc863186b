import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reelmate.settings")
# A web process pools its database connections (see DB_POOL in settings).
os.environ.setdefault("DB_POOL", "true")
application = get_wsgi_application()
