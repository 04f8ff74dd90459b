"""Run the reference service on relais's PostgreSQL database: create Django's tables in their
own schema, a user holding only the access log's `view` permission and its token, print the
token on the first line of standard output, then become gunicorn.

    RELAIS_REFERENCE_DATABASE_URL=postgres://... python serve.py 127.0.0.1:18090
"""

import os
import sys

import psycopg

os.chdir(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference.settings")

with psycopg.connect(os.environ["RELAIS_REFERENCE_DATABASE_URL"], autocommit=True) as conn:
    conn.execute("CREATE SCHEMA IF NOT EXISTS drf_reference")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
user, _ = User.objects.get_or_create(username="reference")
user.user_permissions.set([Permission.objects.get(codename="view_accesslog")])
token, _ = Token.objects.get_or_create(user=user)
print(token.key, flush=True)

bind = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:18090"
# gunicorn's advice of (2 x cores) + 1 workers; threads keep the client's connections alive.
workers = str(2 * (os.cpu_count() or 1) + 1)
os.execv(
    sys.executable,
    [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", workers,
     "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
     "--log-level", "warning", "reference.wsgi"],
)
