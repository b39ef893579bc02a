"""One structured log line per request: its id, view, status and time; nothing personal."""
import json
import logging

import pytest
from django.contrib.auth import get_user_model

from tests.unit.conftest import PASSWORDS, log_in
from webmail.logs import StructuredFormatter
from webmail.middleware import RequestIdFilter

ALICE = "alice@heron.test"


class _Collect(logging.Handler):
    def __init__(self, lines):
        super().__init__()
        self.lines = lines

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def request_lines():
    """The heron.request lines, formatted as production writes them (JSON)."""
    lines = []
    handler = _Collect(lines)
    handler.setFormatter(StructuredFormatter("json"))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("heron.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_a_request_logs_one_json_line_with_its_id_view_status_and_time(client, request_lines):
    response = client.get("/healthz?token=hunter2", HTTP_X_REQUEST_ID="nginx-rid-42")
    assert response["X-Request-ID"] == "nginx-rid-42"
    assert len(request_lines) == 1
    entry = json.loads(request_lines[0])
    assert {key: entry[key] for key in ("rid", "method", "path", "view", "status")} == {
        "rid": "nginx-rid-42", "method": "GET", "path": "/healthz", "view": "healthz",
        "status": 200}
    assert entry["duration_ms"] >= 0 and entry["imap_commands"] == 0
    assert entry["user_id"] is None
    assert "hunter2" not in request_lines[0]


def test_the_log_names_the_user_by_id_never_by_address_or_password(
        client, fake_server, db, request_lines):
    client.cookies["tracking"] = "cookie-value-xyz"
    log_in(client)
    client.get("/mail/")
    alice_id = get_user_model().objects.get(username=ALICE).pk
    login_line, inbox_line = (json.loads(line) for line in request_lines)
    assert (login_line["view"], login_line["user_id"]) == ("accounts:login", alice_id)
    assert (inbox_line["view"], inbox_line["user_id"]) == ("webmail:mailbox", alice_id)
    assert inbox_line["imap_commands"] >= 1
    text = "\n".join(request_lines)
    for secret in (ALICE, PASSWORDS[ALICE], "cookie-value-xyz"):
        assert secret not in text


def test_the_frontend_is_named_when_it_has_a_name(client, settings, request_lines):
    settings.HERON_FRONTEND_NAME = "web2"
    client.get("/healthz")
    assert json.loads(request_lines[0])["frontend"] == "web2"


def _record(**fields):
    record = logging.LogRecord("heron.request", logging.INFO, __file__, 1, "request", (), None)
    record.fields = fields
    return record


def test_text_lines_are_key_value_pairs():
    line = StructuredFormatter("text").format(_record(method="GET", status=200, user_id=None))
    assert line.endswith("msg=request method=GET status=200 user_id=-")
    assert "level=INFO logger=heron.request rid=-" in line


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_crafted_path_cannot_forge_a_second_line(output):
    line = StructuredFormatter(output).format(_record(path='/a\nlevel=ERROR msg="forged"'))
    assert "\n" not in line


@pytest.mark.django_db
def test_the_line_is_written_once_the_response_has_gone_out(rf, request_lines):
    """The log line and the counters wait for the server's close() of the response (after
    its last byte), and still carry the request's id."""
    from django.http import HttpResponse

    from webmail.middleware import RequestIdMiddleware, request_id

    response = RequestIdMiddleware(lambda request: HttpResponse("page"))(
        rf.get("/mail/", HTTP_X_REQUEST_ID="rid-after"))  # a WSGIRequest, as gunicorn's
    assert request_lines == [], "nothing logged while the page is on its way"
    assert request_id.get() == "-"
    response.close()
    assert [json.loads(line)["rid"] for line in request_lines] == ["rid-after"]
    assert request_id.get() == "-", "the id is the request's alone"


@pytest.mark.django_db
def test_a_line_that_fails_is_said_not_lost_in_silence(rf, monkeypatch, caplog):
    from django.http import HttpResponse

    from webmail import middleware

    def broken(*args):
        raise ValueError("the log handler broke")

    monkeypatch.setattr(middleware, "log_request", broken)
    response = middleware.RequestIdMiddleware(lambda request: HttpResponse("page"))(
        rf.get("/mail/"))
    with caplog.at_level(logging.ERROR, logger="webmail.middleware"):
        response.close()
    assert "request not accounted for" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["streamed", "asgi"])
def test_a_stream_or_an_asgi_request_is_logged_at_once(rf, request_lines, case):
    """A streamed response (a download, the event stream) may end minutes later, or never
    be closed; under ASGI Django does not close the response of a client that left early,
    nor uvicorn one still streaming when it stops: their line is written at once."""
    from django.http import HttpResponse, StreamingHttpResponse
    from django.test import AsyncRequestFactory

    from webmail.middleware import RequestIdMiddleware

    if case == "streamed":
        request = rf.get("/mail/events", HTTP_X_REQUEST_ID="rid-now")
        view = lambda request: StreamingHttpResponse(iter(["event"]))  # noqa: E731
    else:
        request = AsyncRequestFactory().get("/healthz", headers={"X-Request-ID": "rid-now"})
        view = lambda request: HttpResponse("ok")  # noqa: E731
    response = RequestIdMiddleware(view)(request)
    assert [json.loads(line)["rid"] for line in request_lines] == ["rid-now"]
    response.close()
    assert len(request_lines) == 1, "and only once"
