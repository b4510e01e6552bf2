"""The messaging service under injected faults (issue 19): with rules that drop the connection
after PutItem and TransactWriteItems committed, fail writes with 500s, throttle Queries, fail the
stream's GetRecords with 503s and add latency, every message sent through the API is stored
exactly once and shows in every member's view.

Two setups: `cruddur serve --faults` on its embedded engine (rules through --ddb-port), and
`cruddur serve --endpoint-url` against a separate `cruddur ddb serve --faults` (the HTTP client's
retries). The service retries with backoff; a retried PutItem whose first attempt committed finds
its own message through its condition (attribute_not_exists(pk), ReturnValuesOnConditionCheckFailure
ALL_OLD, the message's uuid), and a retried TransactWriteItems succeeds again by its
ClientRequestToken. Rules are seeded, so a run repeats.
"""

import contextlib
import os
import re
import sys

import boto3
import pytest
from botocore.config import Config

from serve_helpers import Process, cruddur, eventually, make_env, request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "conformance"))
from ddbtest import raw_call  # noqa: E402  (tests/conformance: one signed DynamoDB request)

MESSAGES_PER_GROUP = 20
THROTTLED_MESSAGES = 10  # at 5 write units a second: each message and its group moves take ~2 s
RULES = [
    {"Action": "DropAfterCommit", "Operation": "PutItem", "Probability": 0.25, "Seed": 11},
    {"Action": "Error", "ErrorType": "InternalServerError", "Operation": "PutItem",
     "Probability": 0.15, "Seed": 12},
    {"Action": "DropAfterCommit", "Operation": "TransactWriteItems", "Count": 3},
    {"Action": "Error", "ErrorType": "ThrottlingException", "Operation": "Query",
     "Probability": 0.1, "Seed": 13},
    {"Action": "Error", "ErrorType": "ServiceUnavailable", "Operation": "Streams.GetRecords",
     "Probability": 0.2, "Seed": 14},
    {"Action": "Latency", "LatencyMillis": 20, "Operation": "PutItem", "Probability": 0.2,
     "Seed": 15},
]


def control(endpoint, op, payload=None, prefix="CruddurFaults_20261203"):
    """The answer of a fault control API (or Cruddur_20261203) call, which must succeed."""
    status, body = raw_call(endpoint, f"{prefix}.{op}", payload or {})
    assert status == 200, (op, status, body)
    return body


@contextlib.contextmanager
def messaging_service(setup, tmp_path, handles, ddb_flags):
    """The messaging service on a new data dir: `cruddur serve` on its embedded engine (setup
    "embedded") or with --endpoint-url on a separate `cruddur ddb serve --in-memory`
    ("separate"), the engine started with ddb_flags. Yields (API base URL, DynamoDB endpoint,
    {handle: bearer token}); the processes are stopped at the end, each exiting 0."""
    env = make_env(tmp_path / "data")
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in handles}
    processes = []
    try:
        if setup == "embedded":
            api = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2",
                                *ddb_flags], tmp_path / "serve.log")
            processes.append(api)
            ddb_url = re.search(r"DynamoDB endpoint (http://[0-9.]+:\d+)", api.start_line).group(1)
        else:
            ddb = Process(env, ["ddb", "serve", "--port", "0", "--in-memory", *ddb_flags],
                          tmp_path / "ddb.log")
            processes.append(ddb)
            ddb_url = ddb.url
            api = Process(env, ["serve", "--port", "0", "--endpoint-url", ddb_url,
                                "--threads", "2"], tmp_path / "serve.log")
            processes.append(api)
        yield api.url + "/api", ddb_url, tokens
    finally:
        for p in reversed(processes):
            assert p.stop() == 0


@pytest.fixture(params=["embedded", "separate"])
def faulty_service(request, tmp_path):
    """(API base URL, DynamoDB endpoint with the fault control API, tokens)."""
    with messaging_service(request.param, tmp_path, ("andrewbrown", "londo", "bayko"),
                           ["--faults"]) as service:
        yield service


def send(base, token, payload):
    status, body, _ = request(base + "/messages", "POST", token, payload)
    assert status == 200, (status, body)
    return body


def assert_views(base, group, tokens, texts):
    """Every one of `tokens` reads exactly `texts`, in order, as the group's messages."""
    for token in tokens:
        status, messages, _ = request(f"{base}/messages/{group}?limit=100", token=token)
        assert status == 200
        assert [m["message"] for m in messages] == texts


def stored_messages(ddb_url, retries):
    """Every message item (pk MSG#...) of cruddur-messages, scanned with botocore's `retries`."""
    ddb = boto3.client("dynamodb", endpoint_url=ddb_url, region_name="us-east-1",
                       aws_access_key_id="AKIDFAULTS", aws_secret_access_key="secret",
                       config=Config(retries=retries))
    stored = []
    for page in ddb.get_paginator("scan").paginate(TableName="cruddur-messages"):
        stored += [i for i in page["Items"] if i["pk"]["S"].startswith("MSG#")]
    return stored


def test_every_message_stored_once_and_in_every_members_view(faulty_service):
    base, ddb_url, tokens = faulty_service
    for rule in RULES:
        control(ddb_url, "AddFaultRule", rule)
    andrew, londo, bayko = tokens["andrewbrown"], tokens["londo"], tokens["bayko"]

    sent = {}  # group -> texts in the order sent
    members = {}
    for other, token in (("londo", londo), ("bayko", bayko)):
        text = f"hello {other}"
        group = send(base, andrew, {"handle": other, "message": text})["message_group_uuid"]
        sent[group] = [text]
        members[group] = (andrew, token)
    for i in range(MESSAGES_PER_GROUP - 1):
        for group, (first, second) in members.items():
            text = f"{group[:8]} message {i}"
            send(base, first if i % 2 else second, {"message_group_uuid": group, "message": text})
            sent[group].append(text)

    injected = control(ddb_url, "ListFaultRules")["InjectedFaults"]
    # The faults did happen: writes were dropped after commit and refused, reads throttled.
    assert injected.get("drop_after_commit", 0) >= 3, injected
    assert injected.get("error:InternalServerError", 0) > 0, injected
    control(ddb_url, "ClearFaultRules")

    # Exactly the messages sent, once each, in order, for every member.
    for group, texts in sent.items():
        assert_views(base, group, members[group], texts)
    stored = stored_messages(ddb_url, {"total_max_attempts": 1})
    assert len(stored) == sum(len(t) for t in sent.values()) == 2 * MESSAGES_PER_GROUP

    # The stream consumer (GetRecords failing 1 in 5) moved every member's group item to the
    # conversation's latest message.
    def groups_current():
        for token in (andrew, londo, bayko):
            _, groups, _ = request(base + "/message_groups", token=token)
            for g in groups:
                if g["message"] != sent[g["uuid"]][-1]:
                    return False
        return True
    assert eventually(groups_current, timeout=20)
    _, groups, _ = request(base + "/message_groups", token=andrew)
    assert sorted(g["uuid"] for g in groups) == sorted(sent)


def throttled_writes(ddb_url):
    stats = control(ddb_url, "DescribeTableStats", {"TableName": "cruddur-messages"},
                    prefix="Cruddur_20261203")
    assert stats["Throttling"] is True, stats
    return stats["Table"]["ThrottledWriteRequests"]


@pytest.mark.parametrize("setup", ["embedded", "separate"])
def test_throttled_table_loses_and_duplicates_nothing(setup, tmp_path):
    """Real throttling, not an injected ThrottlingException: the messages table is provisioned
    at 5 write units, --burst-seconds 1 keeps one second of them, and the messages (each a
    PutItem plus the stream consumer's group item updates) are sent faster than that; a fault
    rule drops some PutItem answers after commit besides. The service and its stream consumer
    retry with backoff until the table has capacity again."""
    throttle = ["--throttle", "--burst-seconds", "1", "--faults"]
    with messaging_service(setup, tmp_path, ("andrewbrown", "londo"), throttle) as service:
        base, ddb_url, tokens = service
        control(ddb_url, "AddFaultRule", {"Action": "DropAfterCommit", "Operation": "PutItem",
                                          "Probability": 0.2, "Seed": 21})
        before = throttled_writes(ddb_url)
        andrew, londo = tokens["andrewbrown"], tokens["londo"]

        texts = ["hello londo"]
        group = send(base, andrew, {"handle": "londo", "message": texts[0]})["message_group_uuid"]
        for i in range(THROTTLED_MESSAGES - 1):
            texts.append(f"throttled message {i}")
            send(base, andrew if i % 2 else londo, {"message_group_uuid": group,
                                                    "message": texts[-1]})

        # The table really ran out of write capacity, and an answer was dropped after commit.
        assert throttled_writes(ddb_url) > before
        injected = control(ddb_url, "ListFaultRules")["InjectedFaults"]
        assert injected.get("drop_after_commit", 0) > 0, injected
        control(ddb_url, "ClearFaultRules")

        assert_views(base, group, (andrew, londo), texts)
        stored = stored_messages(ddb_url, {"mode": "standard", "total_max_attempts": 10})
        assert sorted(i["message"]["S"] for i in stored) == sorted(texts)

        # The stream consumer's group item writes were throttled too, and still caught up.
        def groups_current():
            for token in (andrew, londo):
                _, groups, _ = request(base + "/message_groups", token=token)
                if [(g["uuid"], g["message"]) for g in groups] != [(group, texts[-1])]:
                    return False
            return True
        assert eventually(groups_current, timeout=30)
