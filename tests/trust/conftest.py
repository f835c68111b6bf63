"""The trust suite logs in as approvers, strangers and a non-superuser owner."""

from tests.gates.conftest import approvers, receiver  # noqa: F401 - fixtures
