"""`cruddur ddb export TABLE DIR`, `cruddur ddb import DIR [--table NAME]` and
`cruddur ddb serve --schema FILE`.

Export and import go through the ordinary operations, so they are checked against every target
(conftest.py), dynalite included; DIR holds DynamoDB's S3 export layout (AWSDynamoDB/<id>/...)."""

import gzip
import json

import pytest

from conftest import boto_client, start_cruddur_server
from test_ddb_commands import seeded


def scanned(cli, table):
    return sorted(cli.ok("ddb", "scan", "--table", table).stdout.splitlines())


def test_export_then_import_into_a_new_table(cli, tmp_path):
    """The messages table (keys, GSI, stream) exported and imported under another name holds the
    same items, and the export is in AWS's layout."""
    seeded(cli)
    count = len(scanned(cli, "cruddur-messages"))  # the messages and their groups' items
    out = cli.json("ddb", "export", "cruddur-messages", str(tmp_path / "exp"))
    assert out["itemCount"] == count
    base = tmp_path / "exp" / "AWSDynamoDB" / out["exportId"]
    summary = json.loads((base / "manifest-summary.json").read_text())
    assert summary["itemCount"] == count and summary["outputFormat"] == "DYNAMODB_JSON"
    files = [json.loads(x) for x in (base / "manifest-files.json").read_text().splitlines()]
    lines = b"".join(gzip.decompress((tmp_path / "exp" / f["dataFileS3Key"]).read_bytes())
                     for f in files).decode().splitlines()
    assert len(lines) == count and all(line.startswith('{"Item":{') for line in lines)
    assert json.loads((base / "describe-table.json").read_text())["Table"]["TableName"] == \
        "cruddur-messages"

    done = cli.json("ddb", "import", str(tmp_path / "exp"), "--table", "messages-copy")
    assert done == {"table": "messages-copy", "importedItemCount": count, "errorCount": 0}
    assert scanned(cli, "messages-copy") == scanned(cli, "cruddur-messages")
    if cli.endpoint:
        copy = boto_client(cli.endpoint).describe_table(TableName="messages-copy")["Table"]
        assert [i["IndexName"] for i in copy["GlobalSecondaryIndexes"]] == \
            ["message-group-sk-index"]

    again = cli.run("ddb", "import", str(tmp_path / "exp"), "--table", "messages-copy")
    assert again.returncode == 1
    assert "ResourceInUseException" in again.stderr


def test_ion_export_imports_and_human_output(make_cli, tmp_path):
    cli = make_cli("embedded")
    seeded(cli)
    count = len(scanned(cli, "cruddur-messages"))
    done = cli.ok("ddb", "export", "cruddur-messages", str(tmp_path / "ion"), "--format", "ION")
    assert f"exported {count} items of cruddur-messages to " in done.stdout
    data = list((tmp_path / "ion").glob("AWSDynamoDB/*/data/*.ion.gz"))
    assert data and gzip.decompress(data[0].read_bytes()).startswith(b"$ion_1_0 {Item:{")
    done = cli.ok("ddb", "import", str(tmp_path / "ion"), "--table", "ion-copy")
    assert f"imported {count} items into ion-copy" in done.stdout
    assert scanned(cli, "ion-copy") == scanned(cli, "cruddur-messages")


def test_import_of_an_aws_export_needs_the_table_description(make_cli, tmp_path):
    """An export copied from AWS has no describe-table.json: import says to give --schema, and
    with it creates the table and loads the documented example item."""
    cli = make_cli("embedded", setup_users=False)
    base = tmp_path / "aws" / "AWSDynamoDB" / "01234567890123-abcdef01"
    (base / "data").mkdir(parents=True)
    item = {"Id": {"N": "103"}, "Title": {"S": "Book 103 Title"}, "Authors": {"SS": ["A1"]}}
    (base / "data" / "x.json.gz").write_bytes(gzip.compress(
        (json.dumps({"Item": item}) + "\n").encode()))
    (base / "manifest-files.json").write_text(json.dumps({
        "itemCount": 1, "md5Checksum": "x", "etag": "y",
        "dataFileS3Key": "AWSDynamoDB/01234567890123-abcdef01/data/x.json.gz"}) + "\n")
    (base / "manifest-summary.json").write_text(json.dumps({
        "version": "2020-06-30", "itemCount": 1, "outputFormat": "DYNAMODB_JSON",
        "manifestFilesS3Key": "AWSDynamoDB/01234567890123-abcdef01/manifest-files.json"}))
    refused = cli.run("ddb", "import", str(tmp_path / "aws"))
    assert refused.returncode == 1
    assert "give --schema FILE" in refused.stderr
    schema = tmp_path / "describe.json"
    schema.write_text(json.dumps({"Table": {
        "TableName": "ProductCatalog", "TableStatus": "ACTIVE",
        "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                  "WriteCapacityUnits": 0},
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}}))
    assert cli.json("ddb", "import", str(tmp_path / "aws"), "--schema", str(schema)) == {
        "table": "ProductCatalog", "importedItemCount": 1, "errorCount": 0}
    assert json.loads(scanned(cli, "ProductCatalog")[0]) == item


DESCRIBED = [
    {"Table": {"TableName": "orders", "TableStatus": "ACTIVE", "ItemCount": 5,
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                        {"AttributeName": "sk", "AttributeType": "N"},
                                        {"AttributeName": "g", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                             {"AttributeName": "sk", "KeyType": "RANGE"}],
               "ProvisionedThroughput": {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 3,
                                         "WriteCapacityUnits": 4},
               "GlobalSecondaryIndexes": [{
                   "IndexName": "by-g", "IndexStatus": "ACTIVE",
                   "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                   "Projection": {"ProjectionType": "KEYS_ONLY"},
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2}}],
               "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
               "TableArn": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"}},
    {"Table": {"TableName": "users", "AttributeDefinitions": [
        {"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}},
]


@pytest.mark.parametrize("layout", ["concatenated", "array"])
def test_serve_schema_creates_the_described_tables(make_cli, tmp_path, layout):
    """`aws dynamodb describe-table` output, several objects one after another or an array,
    becomes the tables (keys, billing, throughput, GSI, stream) of a server at its start."""
    cli = make_cli("embedded", setup_users=False)
    schema = tmp_path / "schema.json"
    if layout == "array":
        schema.write_text(json.dumps(DESCRIBED))
    else:
        schema.write_text("\n".join(json.dumps(t, indent=2) for t in DESCRIBED))
    server = start_cruddur_server(["--in-memory", "--schema", str(schema)],
                                  tmp_path / "serve.log", cli.env)
    try:
        client = boto_client(server.endpoint)
        assert client.list_tables()["TableNames"] == ["orders", "users"]
        orders = client.describe_table(TableName="orders")["Table"]
        assert orders["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
        assert orders["GlobalSecondaryIndexes"][0]["IndexName"] == "by-g"
        assert orders["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
        assert orders["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
        users = client.describe_table(TableName="users")["Table"]
        assert users["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    finally:
        server.stop()


def test_serve_schema_keeps_existing_tables_and_refuses_bad_files(make_cli, tmp_path):
    cli = make_cli("embedded", setup_users=False)
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(DESCRIBED[1]))
    for _ in range(2):  # the second start finds the table in the data dir and keeps it
        server = start_cruddur_server(["--data-dir", str(cli.data_dir), "--schema", str(schema)],
                                      tmp_path / "serve.log", cli.env)
        client = boto_client(server.endpoint)
        client.put_item(TableName="users", Item={"id": {"S": "x"}})
        assert client.scan(TableName="users")["Count"] == 1
        server.stop()
    schema.write_text("{not json")
    bad = cli.run("ddb", "serve", "--in-memory", "--port", "0", "--schema", str(schema),
                  target=False, timeout=30)
    assert bad.returncode == 1
    assert "--schema" in bad.stderr and "not JSON" in bad.stderr
