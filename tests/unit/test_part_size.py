"""An attachment shows the size of its file, not of the base64 that carries it."""
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from webmail.imap.types import Part

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"


def test_an_attachment_shows_the_size_of_the_file_not_of_its_encoding(alice, fake_server):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ann@x.test", ALICE, "A small file"
    message.set_content("See the file.")
    message.add_attachment(b"x" * 45, maintype="application", subtype="octet-stream",
                           filename="small.bin")
    uid = fake_server.folder(ALICE, "INBOX").append(message.as_bytes(policy=SMTP))
    part = next(p for p in fake_server.folder(ALICE, "INBOX").messages[uid].parts
                if p.filename == "small.bin")
    assert part.size > 60  # what the server counts: 60 characters of base64, a line end
    page = alice.get(f"/mail/message/{uid}/", {"mailbox": "INBOX"}).content.decode()
    assert "application/octet-stream, 45\xa0bytes" in page


@pytest.mark.parametrize("size, encoding, shown", [
    (62, "base64", 45),
    (78 * 100, "base64", 5700),  # 100 full lines
    (78 * 100 + 62, "base64", 5745),
    (0, "base64", 0),
    (62, "quoted-printable", 62),
    (62, "7bit", 62),
])
def test_a_parts_file_size_undoes_base64(size, encoding, shown):
    assert Part("2", "application/pdf", "a.pdf", size, encoding, "", "attachment"
                ).file_size == shown
