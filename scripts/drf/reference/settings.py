"""Settings of the reference service: production-like (no debug, no browsable API), the
database from RELAIS_REFERENCE_DATABASE_URL, Django's own tables in their own schema so that
they never mix with relais's."""

import os
from urllib.parse import unquote, urlparse

_url = urlparse(os.environ["RELAIS_REFERENCE_DATABASE_URL"])

SECRET_KEY = os.environ.get("RELAIS_REFERENCE_SECRET", "relais-reference-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "reference.urls"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework.authtoken",
    "reference",
]
MIDDLEWARE = []
SCHEMA = "drf_reference"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or "postgres"),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": _url.port or 5432,
        # Persistent connections, as a deployed service keeps them.
        "CONN_MAX_AGE": None,
        "OPTIONS": {"options": f"-c search_path={SCHEMA},public"},
    }
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["reference.auth.BearerToken"],
    "DEFAULT_PERMISSION_CLASSES": ["reference.auth.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
