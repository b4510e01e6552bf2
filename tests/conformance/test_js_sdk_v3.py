"""The AWS SDK for JavaScript v3, as an application sends them, with the members DynamoDB added
since 2023 (issue 16 item 5): a 2+2 multi-attribute GSI key, OnDemandThroughput, WarmThroughput,
TableClass, DeletionProtectionEnabled, a table ARN as TableName, and DescribeStream's ShardFilter.

The SDK (@aws-sdk/client-dynamodb and client-dynamodb-streams, major version 3) is installed with
npm into .cache/js-sdk on first use; js/new_members.mjs drives our server and prints what it got.
The SDK's own serializers and client-side checks are the point: a member the SDK could not send,
or an answer it could not parse, fails here.
"""

import json
import os
import shutil
import subprocess

import pytest

from ddbtest import own_server, unique_name

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PACKAGES = ["@aws-sdk/client-dynamodb@3", "@aws-sdk/client-dynamodb-streams@3"]

pytestmark = pytest.mark.source(
    "docs: the AWS SDK for JavaScript v3 as the client (its service models name and type the "
    "members); expectations as in test_table_settings.py (ack-api-quirks answers of DynamoDB), "
    "test_multi_attribute_gsi.py and test_streams_shards.py (Streams API reference)")


@pytest.fixture(scope="module")
def js_sdk():
    """The folder whose node_modules hold the SDK (installed with npm when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed (scripts/setup.sh installs them)")
    prefix = os.environ.get("CRUDDUR_JS_SDK_PREFIX", os.path.join(ROOT, ".cache", "js-sdk"))
    wanted = [os.path.join(prefix, "node_modules", "@aws-sdk", p.split("@")[1].split("/")[1])
              for p in PACKAGES]
    if not all(os.path.isdir(w) for w in wanted):
        os.makedirs(prefix, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund",
                               "--prefix", prefix] + PACKAGES,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail("npm install %s failed:\n%s\n%s" % (PACKAGES, done.stdout, done.stderr))
    return prefix


@pytest.fixture(scope="module")
def rotating_server(foreign_endpoint, tmp_path_factory):
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--shard-rotation-records", "2"],
                    "needs a server started with --shard-rotation-records") as server:
        yield server.endpoint


def test_js_sdk_v3_sends_and_reads_the_new_members(js_sdk, rotating_server):
    # node resolves bare imports from the script's folder upwards, so the script runs from a
    # copy inside the SDK's prefix.
    script = os.path.join(js_sdk, "new_members.mjs")
    shutil.copyfile(os.path.join(HERE, "js", "new_members.mjs"), script)
    name = unique_name("jssdk")
    run = subprocess.run(["node", script, rotating_server, name], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout)

    assert got["arn"] == "arn:aws:dynamodb:us-east-1:000000000000:table/" + name
    # Items b and c have seq >= "2", newest first; d lacks the index's keys and is not in it.
    assert got["query"] == ["c", "b"]
    d = got["describe"]
    assert d["TableClass"] == "STANDARD_INFREQUENT_ACCESS"
    assert d["DeletionProtectionEnabled"] is True
    assert d["OnDemandThroughput"] == {"MaxReadRequestUnits": 100, "MaxWriteRequestUnits": 200}
    assert d["WarmThroughput"]["ReadUnitsPerSecond"] == 12001
    assert [(k["AttributeName"], k["KeyType"]) for k in d["IndexKeySchema"]] == [
        ("tenant", "HASH"), ("region", "HASH"), ("day", "RANGE"), ("seq", "RANGE")]
    assert d["IndexOnDemandThroughput"] == {"MaxReadRequestUnits": 50}
    assert got["protectedDelete"] == {
        "name": "ValidationException",
        "message": "Resource cannot be deleted as it is currently protected against deletion. "
                   "Disable deletion protection first."}
    # Four writes with rotation every 2 records: the first shard closed and handed over.
    assert got["shardCount"] >= 2
    assert got["firstClosed"] is True
    assert got["children"] and all(c["isChildOfFirst"] for c in got["children"])
    assert got["deleted"] is True
