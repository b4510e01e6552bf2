"""Fixtures of the tests that drive a real `cruddur serve` (helpers in serve_helpers.py)."""

import os

import pytest

from serve_helpers import BINARY, Process, cruddur, make_env


@pytest.fixture(scope="session", autouse=True)
def binary_built():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is not built (set CRUDDUR_BIN)")


@pytest.fixture
def api(tmp_path):
    data = tmp_path / "data"
    env = make_env(data)
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip()
              for h in ("andrewbrown", "londo", "bayko")}
    server = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2"],
                     tmp_path / "serve.log")
    yield server, tokens, data, env
    assert server.stop() == 0
