from tests.gates.conftest import approvers  # noqa: F401 - fixture
