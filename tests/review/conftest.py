import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from review_world import make_review_run  # noqa: E402


@pytest.fixture
def review_run(tmp_path, monkeypatch):
    run_dir = make_review_run(tmp_path)
    monkeypatch.setenv("IDA_RUN_DIR", str(run_dir))
    monkeypatch.setenv("IDA_USERS_DB", str(run_dir.parent / "users.sqlite"))
    return run_dir
