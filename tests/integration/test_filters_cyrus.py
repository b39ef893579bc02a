"""Filters and vacation made in Heron, run by the stack's Cyrus (its sieve daemon), mail
delivered through its SMTP and LMTP (tests/integration/filters_contract.py)."""
import pytest

from tests.integration.filters_contract import FiltersContract, Stack, port

pytestmark = [pytest.mark.integration]


class TestFiltersOnCyrus(FiltersContract):
    quote = "'"
    folder_encoding = "utf-7"  # the stack's Cyrus keeps sieve_utf8fileinto off, its default

    @pytest.fixture
    def stack(self):
        return Stack(port("CYRUS_IMAP_PORT"), port("HERON_STACK_CYRUS_SIEVE_PORT"),
                     port("HERON_STACK_CYRUS_SMTP_PORT"))
