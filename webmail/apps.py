from django.apps import AppConfig
from django.core import checks


class WebmailConfig(AppConfig):
    name = "webmail"
    verbose_name = "Webmail"

    def ready(self):
        from .checks import STARTUP, secret_key_is_not_the_development_one
        checks.register(secret_key_is_not_the_development_one, checks.Tags.security, STARTUP)
        from . import mail, metrics, outbox, snooze  # noqa: F401 (snooze: its tick recovery)
        metrics.install(pool_size=mail.POOL.size, queue_figures=outbox.queue_figures)
