"""Filters and vacation made in Heron, run by the stack's Dovecot (Pigeonhole), mail
delivered through its SMTP and LMTP (tests/integration/filters_contract.py)."""
import pytest

from tests.integration.filters_contract import FiltersContract, Stack, port

pytestmark = [pytest.mark.integration]


class TestFiltersOnDovecot(FiltersContract):
    @pytest.fixture
    def stack(self):
        return Stack(port("IMAP_PORT"), port("HERON_STACK_SIEVE_PORT"), port("SMTP_PORT"))
