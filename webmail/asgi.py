"""The events process: `uvicorn webmail.asgi:application` (deploy/systemd/heron-events@.service).

nginx sends it /mail/events only, the stream of changes (webmail/views/events.py): an
async view, so a thousand idle streams are a thousand coroutines waiting on Redis, not a
thousand workers. Every other path stays on gunicorn's sync workers (webmail/wsgi.py).
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webmail.settings")
application = get_asgi_application()

# As in wsgi.py: uvicorn runs no system checks, so a process in an unsafe state refuses
# to load instead.
from webmail.checks import refuse_unsafe_start  # noqa: E402 - needs the apps loaded above

refuse_unsafe_start()
