"""Fixtures for the black-box DynamoDB conformance suite.

The suite talks to a DynamoDB-compatible endpoint over the wire only. With DDB_ENDPOINT set it
uses that endpoint (any DynamoDB-compatible server); otherwise it starts
`cruddur ddb serve --in-memory` on a free loopback port for the whole session.
"""

import os

import boto3
import pytest
from botocore.config import Config

from ddbtest import (ACCESS_KEY, DELAY, REGION, SECRET_KEY, TableFactory, make_client,
                     own_server, start_server, wait_until_answers)


@pytest.fixture(scope="session")
def foreign_endpoint():
    """True when the suite runs against a server it did not start."""
    return bool(os.environ.get("DDB_ENDPOINT"))


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    env = os.environ.get("DDB_ENDPOINT")
    if env:
        wait_until_answers(env)
        yield env
        return
    log = tmp_path_factory.mktemp("server") / "cruddur-ddb.log"
    server = start_server(["--in-memory"], log)
    yield server.endpoint
    server.stop()


@pytest.fixture(scope="session")
def ddb(endpoint):
    return make_client(endpoint)


@pytest.fixture(scope="session")
def unlimited_endpoint(foreign_endpoint, tmp_path_factory):
    """A server of its own with no limits on how often a table changes (`--no-update-limits`),
    for tests that change a setting again within DynamoDB's intervals."""
    with own_server(foreign_endpoint, tmp_path_factory, ["--in-memory", "--no-update-limits"],
                    "starts a server with --no-update-limits") as server:
        yield server.endpoint


@pytest.fixture(scope="session")
def ddb_nv(endpoint):
    """A client without botocore's own parameter validation, so the server sees bad input."""
    return make_client(endpoint, parameter_validation=False)


@pytest.fixture(scope="session")
def ddb_resource(endpoint):
    return boto3.resource("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def fast_sweep(foreign_endpoint, tmp_path_factory):
    """The endpoint of a server of its own whose TTL sweep runs every 100 ms, and whose tables'
    TTL may change again at once (no interval between changes)."""
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--ttl-interval-ms", "100", "--ttl-cooldown", "0"],
                    "needs its own server with a fast TTL sweep") as server:
        yield server.endpoint


@pytest.fixture(scope="module")
def delayed(tmp_path_factory, foreign_endpoint):
    """A client of a server of its own that holds transient statuses (CREATING, UPDATING, a
    backup's CREATING...) for DELAY seconds, with no limits on how often a table changes (its
    tests turn DeletionProtection on and off again within seconds)."""
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--delay-transient-statuses=%dms" % (DELAY * 1000),
                     "--no-update-limits"],
                    "DDB_ENDPOINT is set: these tests start a server with the flag themselves") \
            as server:
        yield make_client(server.endpoint)


@pytest.fixture
def tables(ddb):
    factory = TableFactory(ddb)
    yield factory
    factory.cleanup()


@pytest.fixture
def table_h(tables):
    """A table with a string hash key `pk` only."""
    return tables.create()


@pytest.fixture
def table_hr(tables):
    """A table with string hash key `pk` and string range key `sk`."""
    return tables.create(range_key=("sk", "S"))


@pytest.fixture
def table_hn(tables):
    """A table with string hash key `pk` and number range key `sk`."""
    return tables.create(range_key=("sk", "N"))


# Where a test's expectation comes from, for tests that another DynamoDB-compatible server (e.g.
# AWS's DynamoDB Local, scripts/conformance-vs-ddblocal.sh) fails: @pytest.mark.source("KIND: why").
# The kinds are described in provenance.py.
SOURCE_KINDS = ("docs", "ddb-answer", "ddblocal-deviation", "question")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "source(text): where the expectation comes from; text starts with one of "
        + ", ".join(k + ":" for k in SOURCE_KINDS))
    # A misspelled marker (e.g. `sources`) is an error, not a warning nobody reads.
    config.option.strict_markers = True


def pytest_collection_modifyitems(config, items):
    for item in items:
        marks = list(item.iter_markers("source"))
        if not marks:
            continue
        texts = []
        for mark in marks:
            text = mark.args[0] if len(mark.args) == 1 and not mark.kwargs else None
            kind = text.split(":", 1)[0] if isinstance(text, str) and ":" in text else None
            if kind not in SOURCE_KINDS or not text.split(":", 1)[1].strip():
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.source takes one string 'KIND: reason' with "
                    f"KIND one of {', '.join(SOURCE_KINDS)}; got {mark.args!r} {mark.kwargs!r}")
            texts.append(text)
        # junitxml writes user_properties, so a report can group failures by their source.
        item.user_properties.append(("source", " | ".join(texts)))
