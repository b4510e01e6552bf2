"""`cruddur serve`'s GET /metrics and logs: scraped before and after known requests (the text
parsed strictly as Prometheus's format), and the JSON log lines with --access-log."""

import json
import os
import re
import sys
import urllib.request
import uuid

import pytest

from serve_helpers import Process, cruddur, eventually, make_env, request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "conformance"))
import prometheus_text  # noqa: E402  (tests/conformance: the strict text-format parser)
from prometheus_text import delta, scrape  # noqa: E402


@pytest.fixture
def observed(tmp_path):
    env = make_env(tmp_path / "data")
    cruddur(env, "db", "setup")
    tokens = {h: cruddur(env, "auth", "token", h).strip() for h in ("andrewbrown", "londo")}
    server = Process(env, ["serve", "--port", "0", "--ddb-port", "0", "--threads", "2",
                           "--log-format", "json", "--access-log"], tmp_path / "serve.log")
    yield server, tokens
    assert server.stop() == 0


def log_entries(server):
    server.log.flush()
    with open(server.log_path) as f:
        return [json.loads(line) for line in f.read().splitlines()]  # all JSON, one per line


def test_requests_are_counted_by_route_pattern_and_status(observed):
    server, tokens = observed
    base = server.url + "/api"
    status, body, _ = request(base + "/messages", "POST", tokens["andrewbrown"],
                              {"handle": "londo", "message": "hello"})
    assert status == 200, body
    # The consumer applies the message: the stream families move.
    assert eventually(lambda: prometheus_text.value(scrape(server.url),
                                                    "cruddur_api_stream_records_total") >= 1)

    before = scrape(server.url)
    for _ in range(2):
        assert request(base + "/message_groups", token=tokens["londo"])[0] == 200
    cached = scrape(server.url)
    # londo's first page of conversations: read from the store once, then from the cache.
    assert delta(before, cached, "cruddur_api_cache_misses_total") == 1
    assert delta(before, cached, "cruddur_api_cache_hits_total") == 1
    missing_group = str(uuid.uuid4())
    assert request(base + "/message_groups")[0] == 401
    assert request(base + f"/messages/{missing_group}", token=tokens["londo"])[0] == 404
    assert request(base + "/nowhere", token=tokens["londo"])[0] == 404
    after = scrape(server.url)

    def d(route, status):
        return delta(before, after, "cruddur_api_requests_total", route=route, status=status)

    assert d("/api/message_groups", "200") == 2
    assert d("/api/message_groups", "401") == 1
    assert d("/api/messages/{group}", "404") == 1
    assert d("unmatched", "404") == 1
    assert delta(before, after, "cruddur_api_request_duration_seconds_count",
                 route="/api/message_groups") == 3
    # Labels are route patterns: the raw path with its uuid is none.
    assert missing_group not in json.dumps(
        [sorted(labels) for f in after.values() for _, labels in f.samples])
    assert prometheus_text.value(after, "cruddur_api_stream_consumer_lag_records") == 0
    assert prometheus_text.value(after, "cruddur_api_stream_consumer_lag_seconds") >= 0
    # Development mode reads no JWKS; the family is there, at 0.
    assert prometheus_text.value(after, "cruddur_api_jwks_refreshes_total", result="ok") == 0
    assert after["cruddur_api_jwks_refreshes_total"].type == "counter"


def test_ddb_endpoint_of_serve_has_its_own_metrics(observed):
    server, tokens = observed
    ddb_url = re.search(r"DynamoDB endpoint (http://[0-9.]+:\d+)", server.start_line).group(1)
    families = scrape(ddb_url)
    # The API created and described its table through the in-process client, not this port;
    # the endpoint's own families are there (and the table's size).
    assert "cruddur_dynamodb_requests_total" in families
    assert prometheus_text.value(families, "cruddur_dynamodb_table_items",
                                 table="cruddur-messages") >= 0


def test_access_log_lines_carry_the_answers_request_id(observed):
    server, tokens = observed
    ids = []
    for path in ("/api/health", "/api/message_groups"):
        status, _, headers = request(server.url + path, token=tokens["londo"])
        assert status == 200
        ids.append(headers["X-Request-Id"])
    with urllib.request.urlopen(server.url + "/index.html", timeout=10) as page:  # not JSON
        ids.append(page.headers["X-Request-Id"])
    assert len(set(ids)) == 3
    entries = log_entries(server)
    for request_id, route in zip(ids, ("/api/health", "/api/message_groups", "web")):
        access = [e for e in entries if e["component"] == "access"
                  and e.get("request_id") == request_id]
        assert len(access) == 1, (request_id, access)
        assert access[0]["route"] == route and access[0]["status"] == 200
        assert access[0]["seconds"] >= 0


def test_tokens_and_bodies_never_reach_the_log(observed):
    server, tokens = observed
    secret = "SECRET" + uuid.uuid4().hex
    body_secret = "BODY" + uuid.uuid4().hex
    # A bad token (logged as an authentication failure, never the token itself) ...
    assert request(server.url + "/api/message_groups", token=secret)[0] == 401
    # ... and a good one, with a message whose text is a secret too.
    status, _, headers = request(server.url + "/api/messages", "POST", tokens["andrewbrown"],
                                 {"handle": "londo", "message": body_secret})
    assert status == 200
    with open(server.log_path) as f:
        text = f.read()
    for secret_text in (secret, body_secret, tokens["andrewbrown"]):
        assert secret_text not in text
    assert headers["X-Request-Id"] in text  # the request was logged
