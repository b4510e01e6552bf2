"""`cruddur auth token HANDLE` end to end: `db setup` on embedded SQLite, then mint tokens and
check them from the outside (claims decoded here, the RS256 signature checked with the openssl
CLI against the public key derived from <data-dir>/dev-signing-key.pem).
Binary: $CRUDDUR_BIN, default build/cruddur.

    /usr/bin/python3 -m pytest tests/api -q -p no:cacheprovider
"""

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import time

import pytest

from serve_helpers import BINARY, UUID_RE  # conftest.py checks that BINARY is built


@pytest.fixture
def env(tmp_path):
    """Development mode: no Cognito pool, no PostgreSQL, the data dir in tmp_path."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("AWS_COGNITO") and k not in ("CONNECTION_URL",
                                                             "PROD_CONNECTION_URL",
                                                             "CRUDDUR_DATA_DIR")}
    base["CRUDDUR_DATA_DIR"] = str(tmp_path / "data")
    return base


def cruddur(env, *args, check=True):
    result = subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"cruddur {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def seeded(env):
    cruddur(env, "db", "setup")
    return env


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode(token):
    header, payload, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def users_db(env):
    return sqlite3.connect(os.path.join(env["CRUDDUR_DATA_DIR"], "users.db"))


def test_token_for_a_seed_user(seeded):
    before = time.time()
    result = cruddur(seeded, "auth", "token", "andrewbrown")
    # stdout is exactly the token, so TOKEN=$(cruddur auth token andrewbrown) works.
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert token.count(".") == 2
    header, claims, _ = decode(token)
    assert header["alg"] == "RS256"
    assert header["kid"]
    assert UUID_RE.match(claims["sub"]), claims["sub"]
    assert claims["username"] == "andrewbrown"
    assert claims["iss"] == "cruddur-dev"
    assert claims["client_id"] == "cruddur-dev-client"
    assert claims["token_use"] == "access"
    assert claims["exp"] - claims["iat"] == 3600
    assert before - 5 <= claims["iat"] <= time.time() + 5
    # The seed's shared MOCK id was replaced by the token's sub, for andrewbrown only.
    with users_db(seeded) as db:
        rows = dict(db.execute("SELECT handle, cognito_user_id FROM users").fetchall())
    assert rows["andrewbrown"] == claims["sub"]
    assert rows["bayko"] == "MOCK" and rows["londo"] == "MOCK"
    assert "andrewbrown" in result.stderr


def test_sub_is_stable_and_unique_per_user(seeded):
    first = decode(cruddur(seeded, "auth", "token", "andrewbrown").stdout.strip())[1]
    again = decode(cruddur(seeded, "auth", "token", "@andrewbrown").stdout.strip())[1]
    bayko = decode(cruddur(seeded, "auth", "token", "bayko").stdout.strip())[1]
    assert first["sub"] == again["sub"]
    assert bayko["sub"] != first["sub"]
    assert bayko["username"] == "bayko"
    assert first["jti"] != again["jti"]


def test_a_real_cognito_user_id_is_kept(seeded):
    with users_db(seeded) as db:
        db.execute("UPDATE users SET cognito_user_id = ? WHERE handle = 'londo'",
                   ("c1b2a3d4-0000-4000-8000-000000000001",))
    claims = decode(cruddur(seeded, "auth", "token", "londo").stdout.strip())[1]
    assert claims["sub"] == "c1b2a3d4-0000-4000-8000-000000000001"
    # A sub shared by two users identifies neither: the second one gets its own.
    with users_db(seeded) as db:
        db.execute("UPDATE users SET cognito_user_id = ? WHERE handle = 'bayko'",
                   ("c1b2a3d4-0000-4000-8000-000000000001",))
    bayko = decode(cruddur(seeded, "auth", "token", "bayko").stdout.strip())[1]
    assert bayko["sub"] != "c1b2a3d4-0000-4000-8000-000000000001"


def test_signing_key_is_private_and_signature_verifies(seeded, tmp_path):
    token = cruddur(seeded, "auth", "token", "andrewbrown").stdout.strip()
    key_file = os.path.join(seeded["CRUDDUR_DATA_DIR"], "dev-signing-key.pem")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600

    # The JWKS names the token's kid, and the kid is the RFC 7638 thumbprint of the key.
    jwks = json.loads(cruddur(seeded, "auth", "jwks").stdout)
    header = decode(token)[0]
    [jwk] = jwks["keys"]
    assert jwk["kid"] == header["kid"]
    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["e"]) == ("RSA", "RS256", "sig", "AQAB")
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    assert thumbprint.decode().rstrip("=") == jwk["kid"]

    # A second token is signed by the same (persisted) key.
    assert decode(cruddur(seeded, "auth", "token", "bayko").stdout.strip())[0]["kid"] == jwk["kid"]

    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    public = tmp_path / "public.pem"
    subprocess.run(["openssl", "pkey", "-in", key_file, "-pubout", "-out", str(public)],
                   check=True, capture_output=True)
    signing_input, signature = token.rsplit(".", 1)
    (tmp_path / "input").write_bytes(signing_input.encode())
    (tmp_path / "sig").write_bytes(b64url_decode(signature))
    verify = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                             str(tmp_path / "sig"), str(tmp_path / "input")],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    (tmp_path / "input").write_bytes(signing_input.encode() + b"x")
    tampered = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public), "-signature",
                               str(tmp_path / "sig"), str(tmp_path / "input")],
                              capture_output=True, text=True)
    assert tampered.returncode != 0


def test_ttl(seeded):
    claims = decode(cruddur(seeded, "auth", "token", "bayko", "--ttl", "60").stdout.strip())[1]
    assert claims["exp"] - claims["iat"] == 60
    for bad in ("0", "-5", "86401", "soon"):
        result = cruddur(seeded, "auth", "token", "bayko", "--ttl", bad, check=False)
        assert result.returncode != 0, bad
        assert result.stdout == "" or "eyJ" not in result.stdout


def test_unknown_handle(seeded):
    result = cruddur(seeded, "auth", "token", "nobody", check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no user with handle 'nobody'" in result.stderr


def test_needs_a_users_database(env):
    result = cruddur(env, "auth", "token", "andrewbrown", check=False)
    assert result.returncode == 1
    assert "cruddur db setup" in result.stderr


def test_refused_in_cognito_mode(seeded):
    cognito = dict(seeded, AWS_COGNITO_USER_POOL_ID="us-east-1_AbC123",
                   AWS_COGNITO_USER_POOL_CLIENT_ID="client")
    for args in (["auth", "token", "andrewbrown"], ["auth", "jwks"]):
        result = cruddur(cognito, *args, check=False)
        assert result.returncode == 1
        assert result.stdout == ""
        assert "development mode only" in result.stderr
        assert "AWS_COGNITO_USER_POOL_ID" in result.stderr
    # Nothing was changed in the database.
    with users_db(seeded) as db:
        ids = {row[0] for row in db.execute("SELECT cognito_user_id FROM users")}
    assert ids == {"MOCK"}
