"""The aws CLI (Debian's /usr/bin/aws) against the endpoint, unchanged."""

import json
import os
import shutil
import subprocess

import pytest

from ddbtest import unique_name, wait_table_active, wait_table_gone

AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")

pytestmark = pytest.mark.skipif(AWS is None, reason="aws CLI not installed")


@pytest.fixture
def aws(endpoint, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PAGER": "",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "HOME": str(tmp_path),
    })

    def run(*args, check=True):
        p = subprocess.run([AWS, "--endpoint-url", endpoint, "--no-cli-pager", "--output", "json",
                            "dynamodb"] + list(args), env=env, capture_output=True, text=True,
                           timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (args, p.returncode, p.stderr))
        return p
    return run


def js(p):
    return json.loads(p.stdout) if p.stdout.strip() else {}


def test_cli_round_trip(aws, ddb):
    name = unique_name("cli")
    try:
        out = js(aws("create-table", "--table-name", name,
                     "--attribute-definitions", "AttributeName=pk,AttributeType=S",
                     "AttributeName=sk,AttributeType=N",
                     "--key-schema", "AttributeName=pk,KeyType=HASH",
                     "AttributeName=sk,KeyType=RANGE",
                     "--billing-mode", "PAY_PER_REQUEST"))
        assert out["TableDescription"]["TableName"] == name
        wait_table_active(ddb, name)  # `aws wait` sleeps 20 s between polls
        for i in range(3):
            aws("put-item", "--table-name", name, "--item",
                json.dumps({"pk": {"S": "a"}, "sk": {"N": str(i)}, "v": {"S": "val%d" % i}}))
        got = js(aws("get-item", "--table-name", name, "--key",
                     json.dumps({"pk": {"S": "a"}, "sk": {"N": "1"}})))
        assert got["Item"]["v"] == {"S": "val1"}
        q = js(aws("query", "--table-name", name, "--key-condition-expression",
                   "pk = :p AND sk >= :s", "--expression-attribute-values",
                   json.dumps({":p": {"S": "a"}, ":s": {"N": "1"}})))
        assert q["Count"] == 2
        assert [i["sk"]["N"] for i in q["Items"]] == ["1", "2"]
        # The CLI pages by itself: a tiny page size still gives every item.
        s = js(aws("scan", "--table-name", name, "--page-size", "1"))
        assert s["Count"] == 3
        aws("update-item", "--table-name", name, "--key",
            json.dumps({"pk": {"S": "a"}, "sk": {"N": "0"}}), "--update-expression",
            "SET v = :v", "--expression-attribute-values", json.dumps({":v": {"S": "new"}}))
        aws("delete-item", "--table-name", name, "--key",
            json.dumps({"pk": {"S": "a"}, "sk": {"N": "2"}}))
        s = ddb.scan(TableName=name)
        assert sorted(i["v"]["S"] for i in s["Items"]) == ["new", "val1"]
        aws("delete-table", "--table-name", name)
        wait_table_gone(ddb, name)
    finally:
        try:
            ddb.delete_table(TableName=name)
        except Exception:
            pass


def test_cli_error_exit_status(aws):
    p = aws("describe-table", "--table-name", unique_name("missing"), check=False)
    assert p.returncode == 254
    assert "ResourceNotFoundException" in p.stderr


def test_cli_conditional_failure(aws, tables):
    name = tables.create()
    aws("put-item", "--table-name", name, "--item", '{"pk": {"S": "x"}}')
    p = aws("put-item", "--table-name", name, "--item", '{"pk": {"S": "x"}}',
            "--condition-expression", "attribute_not_exists(pk)", check=False)
    assert p.returncode != 0
    assert "ConditionalCheckFailedException" in p.stderr


def test_cli_batch_write(aws, tables, tmp_path, ddb):
    name = tables.create()
    req = {name: [{"PutRequest": {"Item": {"pk": {"S": "b%d" % i}}}} for i in range(5)]}
    f = tmp_path / "batch.json"
    f.write_text(json.dumps(req))
    out = js(aws("batch-write-item", "--request-items", "file://" + str(f)))
    assert out["UnprocessedItems"] == {}
    assert ddb.scan(TableName=name, Select="COUNT")["Count"] == 5
