"""Fixtures for the black-box DynamoDB conformance suite.

The suite talks to a DynamoDB-compatible endpoint over the wire only. With DDB_ENDPOINT set it
uses that endpoint (any DynamoDB-compatible server); otherwise it starts
`cruddur ddb serve --in-memory` on a free loopback port for the whole session.
"""

import os

import boto3
import pytest
from botocore.config import Config

from ddbtest import (ACCESS_KEY, REGION, SECRET_KEY, TableFactory, make_client, start_server,
                     wait_until_answers)


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
def ddb_nv(endpoint):
    """A client without botocore's own parameter validation, so the server sees bad input."""
    return make_client(endpoint, parameter_validation=False)


@pytest.fixture(scope="session")
def ddb_resource(endpoint):
    return boto3.resource("dynamodb", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}))


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
