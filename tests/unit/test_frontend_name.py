"""X-Heron-Frontend names the frontend that answered, so the balancing can be seen."""
from django.test import Client


def test_a_named_frontend_says_its_name_on_every_answer(settings):
    settings.HERON_FRONTEND_NAME = "frontend-2"
    client = Client()  # a new client loads the middleware with the setting
    assert client.get("/healthz")["X-Heron-Frontend"] == "frontend-2"
    refused = client.post("/healthz")
    assert refused.status_code == 405 and refused["X-Heron-Frontend"] == "frontend-2"


def test_an_unnamed_process_sends_no_frontend_header(settings):
    settings.HERON_FRONTEND_NAME = ""
    assert "X-Heron-Frontend" not in Client().get("/healthz")
