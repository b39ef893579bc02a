import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webmail.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: a frontend in an unsafe state refuses to load instead.
from webmail.checks import refuse_unsafe_start  # noqa: E402 - needs the apps loaded above

refuse_unsafe_start()
