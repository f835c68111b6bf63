"""The CLI tests use the gates' approver logins."""

from tests.gates.conftest import approvers  # noqa: F401 - fixture
