"""The engine's tests use the gates' approver logins and the operator's Kubernetes emulator."""

from tests.gates.conftest import approvers  # noqa: F401 - fixture
from tests.operator.conftest import kube  # noqa: F401 - fixture
