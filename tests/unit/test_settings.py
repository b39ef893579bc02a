"""Settings helpers refuse malformed values with a clear message."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from webmail import settings as heron_settings


@pytest.mark.parametrize("helper, value", [
    (lambda: heron_settings.env_int("HERON_TEST_VALUE", 1), "many"),
    (lambda: heron_settings.env_bool("HERON_TEST_VALUE", False), "perhaps"),
    (lambda: heron_settings.env_choice("HERON_TEST_VALUE", ("ssl", "none"), "ssl"), "tls1.0"),
    (lambda: heron_settings.env_url("HERON_TEST_VALUE"), "not a url"),
])
def test_a_malformed_setting_stops_start_up_with_its_name(monkeypatch, helper, value):
    monkeypatch.setenv("HERON_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured, match="HERON_TEST_VALUE"):
        helper()


def test_well_formed_values_are_read(monkeypatch):
    monkeypatch.setenv("HERON_TEST_VALUE", "a, b,,c")
    assert heron_settings.env_list("HERON_TEST_VALUE") == ["a", "b", "c"]
    monkeypatch.setenv("HERON_TEST_VALUE", "Yes")
    assert heron_settings.env_bool("HERON_TEST_VALUE") is True
    monkeypatch.delenv("HERON_TEST_VALUE")
    assert heron_settings.env_int("HERON_TEST_VALUE", 7) == 7
