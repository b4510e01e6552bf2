"""`cruddur cognito list-users`, `cruddur rds update-sg-rule` and `cruddur db
update-cognito-user-ids`, run as the real binary against the local wire-protocol fakes of
fake_aws.py (see README.md). Binary: $CRUDDUR_BIN, default build/cruddur.
"""

import json
import os
import socket
import sqlite3
import subprocess

import pytest

from fake_aws import ACCESS_KEY, SECRET_KEY, FakeAws, make_user

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("CRUDDUR_BIN", os.path.join(REPO_ROOT, "build", "cruddur"))
POOL = "us-east-1_CrUdDuR01"


@pytest.fixture(scope="session", autouse=True)
def binary_built():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} is not built (set CRUDDUR_BIN)")


@pytest.fixture
def fake():
    with FakeAws(page_size=2) as server:
        yield server


@pytest.fixture
def env(tmp_path, fake):
    """A clean environment: dummy credentials, no ~/.aws, both endpoints on the fake."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("AWS_") and k not in ("GITPOD_IP", "CRUDDUR_PUBLIC_IP",
                                                      "DB_SG_ID", "DB_SG_RULE_ID",
                                                      "CONNECTION_URL", "PROD_CONNECTION_URL")}
    base.update({
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": fake.url,
        "AWS_ENDPOINT_URL_EC2": fake.url,
        "CRUDDUR_DATA_DIR": str(tmp_path / "data"),
        "CRUDDUR_CHECKIP_URL": fake.url + "/checkip",
    })
    return base


def run(env, *args, **overrides):
    full = dict(env)
    for name, value in overrides.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return subprocess.run([BINARY, *args], env=full, capture_output=True, text=True, timeout=60)


def assert_one_line_error(result, *needles):
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cruddur: "), result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pool_users():
    return [
        make_user("andrewbrown", sub="aaaaaaaa-0000-4000-8000-000000000001", email="andrew@exampro.co"),
        make_user("bayko", sub="bbbbbbbb-0000-4000-8000-000000000002"),
        make_user("londo", sub="cccccccc-0000-4000-8000-000000000003", status="FORCE_CHANGE_PASSWORD"),
        make_user(None, sub="dddddddd-0000-4000-8000-000000000004"),  # no preferred_username
        make_user("ghost", sub="eeeeeeee-0000-4000-8000-000000000005", enabled=False),
    ]


# --- cognito list-users ---

def test_list_users_table_follows_every_page(fake, env):
    fake.pools[POOL] = pool_users()
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"user pool {POOL}: 5 users" in out
    header = out.splitlines()[1].split()
    assert header == ["handle", "sub", "email", "status"]
    table, _, mapping = out.partition("handle -> sub")
    for user in pool_users():
        sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
        assert sub in table
    assert "andrew@exampro.co" in table
    assert "FORCE_CHANGE_PASSWORD" in table
    assert "CONFIRMED (disabled)" in table
    map_lines = [line.split() for line in mapping.strip().splitlines()]
    assert map_lines == [["andrewbrown", "aaaaaaaa-0000-4000-8000-000000000001"],
                         ["bayko", "bbbbbbbb-0000-4000-8000-000000000002"],
                         ["londo", "cccccccc-0000-4000-8000-000000000003"],
                         ["ghost", "eeeeeeee-0000-4000-8000-000000000005"]]
    # Three pages of two: the tokens were followed, each request the same but for the token.
    requests = fake.requests_of("ListUsers")
    assert len(requests) == 3
    assert "PaginationToken" not in requests[0]
    assert all("PaginationToken" in r for r in requests[1:])
    for r in requests:
        assert r["UserPoolId"] == POOL
        assert r["Limit"] == 60
        assert r["AttributesToGet"] == ["preferred_username", "sub", "email"]
    assert {region for kind, region, _ in fake.requests} == {"us-east-1"}


def test_list_users_json_prints_raw_users_then_the_map(fake, env):
    fake.pools[POOL] = pool_users()
    result = run(env, "cognito", "list-users", "--json", AWS_COGNITO_USER_POOL_ID=POOL)
    assert result.returncode == 0, result.stderr
    decoder = json.JSONDecoder()
    text = result.stdout
    users, end = decoder.raw_decode(text)
    mapping, end2 = decoder.raw_decode(text, end + 1)
    assert text[end2:].strip() == ""
    expected = []
    for user in pool_users():
        user = dict(user)
        user["Attributes"] = [a for a in user["Attributes"]
                              if a["Name"] in ("preferred_username", "sub")]
        expected.append(user)
    assert users == expected
    assert mapping == {"andrewbrown": "aaaaaaaa-0000-4000-8000-000000000001",
                       "bayko": "bbbbbbbb-0000-4000-8000-000000000002",
                       "londo": "cccccccc-0000-4000-8000-000000000003",
                       "ghost": "eeeeeeee-0000-4000-8000-000000000005"}
    assert fake.requests_of("ListUsers")[0]["AttributesToGet"] == ["preferred_username", "sub"]


def test_list_users_empty_pool(fake, env):
    fake.pools[POOL] = []
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL)
    assert result.returncode == 0, result.stderr
    assert f"user pool {POOL}: 0 users" in result.stdout


def test_list_users_needs_the_pool_id(env):
    result = run(env, "cognito", "list-users")
    assert_one_line_error(result, "AWS_COGNITO_USER_POOL_ID is not set")


def test_list_users_unknown_pool_reports_the_aws_error_type(fake, env):
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID="us-east-1_nope")
    assert_one_line_error(result, "Cognito ListUsers failed: ResourceNotFoundException: "
                                  "User pool us-east-1_nope does not exist.")


def test_list_users_not_authorized(fake, env):
    fake.pools[POOL] = pool_users()
    fake.forced_error = (400, "NotAuthorizedException", "Access Token has been revoked")
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL)
    assert_one_line_error(result, "NotAuthorizedException: Access Token has been revoked")
    assert len(fake.requests_of("ListUsers")) == 1  # a 4xx is not retried


def test_list_users_bad_secret_fails_the_signature_check(fake, env):
    fake.pools[POOL] = pool_users()
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL,
                 AWS_SECRET_ACCESS_KEY="not-the-secret")
    assert_one_line_error(result, "InvalidSignatureException")


def test_list_users_signs_session_tokens(fake, env):
    fake.pools[POOL] = pool_users()[:1]
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL,
                 AWS_SESSION_TOKEN="FwoGZXIvYXdzEXAMPLETOKEN==")
    assert result.returncode == 0, result.stderr


def test_list_users_general_endpoint_override_and_region_from_pool_id(fake, env):
    fake.pools["eu-west-2_Pool"] = pool_users()[:1]
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID="eu-west-2_Pool",
                 AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=None, AWS_ENDPOINT_URL=fake.url,
                 AWS_REGION=None)
    assert result.returncode == 0, result.stderr
    assert [region for _, region, _ in fake.requests] == ["eu-west-2"]


def test_list_users_unreachable_endpoint(env):
    url = closed_port_url()
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL,
                 AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=url)
    assert_one_line_error(result, f"cannot reach Cognito ListUsers at {url}")


def test_list_users_without_credentials(env):
    result = run(env, "cognito", "list-users", AWS_COGNITO_USER_POOL_ID=POOL,
                 AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cognito_help(env):
    result = run(env, "cognito", "list-users", "--help")
    assert result.returncode == 0
    assert "--json" in result.stdout


# --- db update-cognito-user-ids ---

def test_db_update_cognito_user_ids_pages_through_the_pool(fake, env, tmp_path):
    fake.page_size = 1
    fake.pools[POOL] = pool_users()
    setup = run(env, "db", "setup")  # no pool id: create, load and seed only
    assert setup.returncode == 0, setup.stderr
    result = run(env, "db", "update-cognito-user-ids", AWS_COGNITO_USER_POOL_ID=POOL)
    assert result.returncode == 0, result.stderr
    assert "== db-update-cognito-user-ids" in result.stdout
    assert "---- andrewbrown aaaaaaaa-0000-4000-8000-000000000001" in result.stdout
    assert "---- ghost eeeeeeee-0000-4000-8000-000000000005" in result.stdout
    assert "no user with handle ghost" in result.stdout
    assert len(fake.requests_of("ListUsers")) == 5
    assert all(r["AttributesToGet"] == ["preferred_username", "sub"]
               for r in fake.requests_of("ListUsers"))
    with sqlite3.connect(tmp_path / "data" / "users.db") as db:
        subs = dict(db.execute("SELECT handle, cognito_user_id FROM users"))
    assert subs["andrewbrown"] == "aaaaaaaa-0000-4000-8000-000000000001"
    assert subs["bayko"] == "bbbbbbbb-0000-4000-8000-000000000002"


def test_db_update_cognito_user_ids_reports_aws_errors(fake, env):
    assert run(env, "db", "setup").returncode == 0
    result = run(env, "db", "update-cognito-user-ids", AWS_COGNITO_USER_POOL_ID="us-east-1_gone")
    assert_one_line_error(result, "ResourceNotFoundException")


# --- rds update-sg-rule ---

@pytest.fixture
def sg(fake):
    fake.security_groups["sg-0abc"] = {"sgr-0123": {"IpProtocol": "tcp", "FromPort": 5432,
                                                    "ToPort": 5432, "CidrIpv4": "10.0.0.1/32"}}
    return {"DB_SG_ID": "sg-0abc", "DB_SG_RULE_ID": "sgr-0123"}


def test_update_sg_rule_with_ip_flag(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", "--ip", "203.0.113.9", "--description",
                 "dev box & co", **sg)
    assert result.returncode == 0, result.stderr
    assert "== rds-update-sg-rule" in result.stdout
    assert "203.0.113.9/32" in result.stdout
    assert result.stdout.strip().endswith("modified")
    assert fake.security_groups["sg-0abc"]["sgr-0123"] == {
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIpv4": "203.0.113.9/32",
        "Description": "dev box & co"}
    assert [region for _, region, _ in fake.requests] == ["us-east-1"]


def test_update_sg_rule_takes_gitpod_ip_and_default_description(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", GITPOD_IP="192.0.2.44", **sg)
    assert result.returncode == 0, result.stderr
    rule = fake.security_groups["sg-0abc"]["sgr-0123"]
    assert rule["CidrIpv4"] == "192.0.2.44/32"
    assert rule["Description"] == "cruddur"


def test_update_sg_rule_takes_cruddur_public_ip(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", CRUDDUR_PUBLIC_IP="192.0.2.45", **sg)
    assert result.returncode == 0, result.stderr
    assert fake.security_groups["sg-0abc"]["sgr-0123"]["CidrIpv4"] == "192.0.2.45/32"


def test_update_sg_rule_discovers_the_ip(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", **sg)
    assert result.returncode == 0, result.stderr
    assert fake.security_groups["sg-0abc"]["sgr-0123"]["CidrIpv4"] == "198.51.100.23/32"


def test_update_sg_rule_discovery_failure_says_to_pass_ip(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", CRUDDUR_CHECKIP_URL=closed_port_url(), **sg)
    assert_one_line_error(result, "cannot discover this machine's public IP", "--ip")
    assert fake.requests == []


def test_update_sg_rule_needs_group_and_rule(env, sg):
    assert_one_line_error(run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1",
                              DB_SG_RULE_ID="sgr-0123"), "DB_SG_ID is not set")
    assert_one_line_error(run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1",
                              DB_SG_ID="sg-0abc"), "DB_SG_RULE_ID is not set")


def test_update_sg_rule_rejects_a_bad_ip(fake, env, sg):
    assert_one_line_error(run(env, "rds", "update-sg-rule", "--ip", "not-an-ip", **sg),
                          "'not-an-ip' (--ip) is not an IPv4 address")
    assert_one_line_error(run(env, "rds", "update-sg-rule", "--ip", "1.2.3.4/40", **sg),
                          "invalid prefix length")
    assert fake.requests == []


def test_update_sg_rule_unknown_group_and_rule(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1", DB_SG_ID="sg-missing",
                 DB_SG_RULE_ID="sgr-0123")
    assert_one_line_error(result, "EC2 ModifySecurityGroupRules failed: InvalidGroup.NotFound: "
                                  "The security group 'sg-missing' does not exist")
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1", DB_SG_ID="sg-0abc",
                 DB_SG_RULE_ID="sgr-missing")
    assert_one_line_error(result, "InvalidSecurityGroupRuleId.NotFound")


def test_update_sg_rule_auth_failure(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1",
                 AWS_SECRET_ACCESS_KEY="wrong", **sg)
    assert_one_line_error(result, "AuthFailure")


def test_update_sg_rule_specific_endpoint_wins_and_region_defaults(fake, env, sg):
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1",
                 AWS_ENDPOINT_URL=closed_port_url(), AWS_REGION=None, **sg)
    assert result.returncode == 0, result.stderr
    assert [region for _, region, _ in fake.requests] == ["us-east-1"]


def test_update_sg_rule_without_region_or_endpoint(env, sg):
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1", AWS_ENDPOINT_URL_EC2=None,
                 AWS_REGION=None, **sg)
    assert_one_line_error(result, "no AWS region is configured")


def test_update_sg_rule_unreachable_endpoint(env, sg):
    url = closed_port_url()
    result = run(env, "rds", "update-sg-rule", "--ip", "192.0.2.1", AWS_ENDPOINT_URL_EC2=url, **sg)
    assert_one_line_error(result, f"cannot reach EC2 ModifySecurityGroupRules at {url}")


def test_rds_help(env):
    result = run(env, "rds", "update-sg-rule", "--help")
    assert result.returncode == 0
    assert "--ip" in result.stdout and "--description" in result.stdout
