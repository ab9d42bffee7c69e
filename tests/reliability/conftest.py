"""The reliability tests' shared fixture: one warm process that forks `ida` commands (reliability_helpers.Zygote)."""

import pytest

from reliability_helpers import Zygote


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    z = Zygote(tmp_path_factory.mktemp("zygote-logs"))
    yield z
    z.close()
