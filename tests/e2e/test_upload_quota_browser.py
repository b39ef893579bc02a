"""A person over their upload quota is told so on the compose page, and nothing is kept."""
import os

import pytest

from attachments.models import Upload
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_upload_over_the_quota_says_why_on_the_compose_page(live_server, page, settings,
                                                               tmp_path):
    settings.HERON_UPLOAD_QUOTA_BYTES = 100_000
    big = tmp_path / "photos.zip"
    big.write_bytes(os.urandom(150_000))

    log_in(page, live_server.url, "bob@heron.test")
    page.get_by_role("link", name="Compose").click()
    # The compose script (deferred) must have run before a file is chosen, or nothing
    # hears the choice: it has once the page's load event fired.
    page.wait_for_url("**/mail/compose/**")
    page.wait_for_load_state("load")
    page.get_by_label("Files to attach").set_input_files(str(big))

    alert = page.get_by_role("alert").filter(has_text="photos.zip was not attached")
    alert.wait_for()
    assert "limited to 97.7 KB in all" in alert.inner_text()
    assert "Send or discard a draft with attachments to make room." in alert.inner_text()
    assert not Upload.objects.exists()
