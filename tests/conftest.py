"""Shared test setup: generated reader fixtures (the ``slow`` marker is registered in pyproject.toml)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load_make_fixtures():
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_fixtures():
    return load_make_fixtures()


@pytest.fixture(scope="session")
def generated(tmp_path_factory, make_fixtures) -> dict[str, Path]:
    """The seed document as text PDF, truth texts and 200/300 dpi simulated scans."""
    out = tmp_path_factory.mktemp("generated")
    return make_fixtures.make_all(make_fixtures.SEED, out, "seed", (200, 300))


# ---- the review application (tests/test_review.py, tests/test_api.py)


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory) -> Path:
    """A review data directory with users and three extracted documents, made once per module."""
    from tests.review_helpers import make_data_dir

    return make_data_dir(tmp_path_factory.mktemp("review-template") / "data")


@pytest.fixture()
def data_dir(template_dir, tmp_path) -> Path:
    from tests.review_helpers import copy_data_dir

    return copy_data_dir(template_dir, tmp_path / "data")


@pytest.fixture()
def sessions(data_dir):
    from review.db import open_db

    return open_db(None, data_dir)[1]


@pytest.fixture()
def client(data_dir, sessions):
    from fastapi.testclient import TestClient

    from review.app import Settings, create_app

    app = create_app(sessions, Settings(data_dir=data_dir, max_upload_mb=1))
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c
