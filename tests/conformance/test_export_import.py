"""ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport, ListImports.

cruddur's S3 is a local directory (`ddb serve --s3-dir DIR`: s3://bucket/key is DIR/bucket/key),
so these tests start a server of their own and read and write the bucket's files directly. The
layout is AWS's ("DynamoDB table export output format" and "Amazon S3 import formats for
DynamoDB" in the DynamoDB developer guide): an export imported anywhere must come back equal, and
files written from the documentation's examples must import unchanged.
"""

import datetime
import gzip
import json
import re
import subprocess
import time

import pytest

from ddbtest import (aws_cli_runner, enable_pitr, err, make_client, own_server, scan_pages,
                     signed_request, unique_name, wait_table_active)

source = pytest.mark.source
DOCS_EXPORT = source("docs: DynamoDB table export output format (manifest-summary.json, "
                     "manifest-files.json, AWSDynamoDB/<ExportId>/data/*.json.gz / *.ion.gz)")
DOCS_IMPORT = source("docs: Amazon S3 import formats for DynamoDB (DynamoDB JSON, Ion, CSV; "
                     "GZIP, ZSTD or no compression)")
OWN = source("question: cruddur's own answer where DynamoDB's wording is not recorded")


# The buckets these tests export to: a bucket is a directory of the local S3, made before use as
# S3's CreateBucket makes one.
BUCKETS = ("bucket-a", "bucket-past", "bucket-cli", "bucket-incr", "list-bucket", "bb")


@pytest.fixture(scope="module")
def s3_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("s3")
    for bucket in BUCKETS:
        (root / bucket).mkdir()
    return root


@pytest.fixture(scope="module")
def client(foreign_endpoint, tmp_path_factory, s3_dir):
    # A period of any length, where DynamoDB wants 15 minutes at least: the incremental exports
    # here are of the last moments.
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--s3-dir", str(s3_dir), "--min-incremental-export-period", "0"],
                    "reads and writes the server's local S3 directory") as server:
        yield make_client(server.endpoint)


def wait_done(fetch, key, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        desc = fetch()
        if desc[key] != "IN_PROGRESS":
            return desc
        assert time.monotonic() < deadline, desc
        time.sleep(0.05)


def wait_export(client, arn):
    """The export's ExportDescription once it is no longer IN_PROGRESS."""
    return wait_done(lambda: client.describe_export(ExportArn=arn)["ExportDescription"],
                     "ExportStatus")


def export(client, table_arn, bucket, prefix=None, fmt="DYNAMODB_JSON"):
    """Exports the table (enabling point-in-time recovery first, as DynamoDB requires)."""
    enable_pitr(client, table_arn.rsplit("/", 1)[1])
    kw = {"S3Prefix": prefix} if prefix else {}
    desc = client.export_table_to_point_in_time(TableArn=table_arn, S3Bucket=bucket,
                                                ExportFormat=fmt, **kw)["ExportDescription"]
    assert desc["ExportStatus"] == "IN_PROGRESS"
    return wait_export(client, desc["ExportArn"])


def creation_params(table, key=(("pk", "S"),)):
    """CreateTable's parameters (ImportTable's TableCreationParameters) for an on-demand table
    keyed by `key`: ((name, type),) or ((hash name, type), (range name, type))."""
    return {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in key],
        "KeySchema": [{"AttributeName": n, "KeyType": kt}
                      for (n, _), kt in zip(key, ("HASH", "RANGE"))],
        "BillingMode": "PAY_PER_REQUEST",
    }


def make_table(client, prefix, pitr=False):
    """A new table keyed by pk (a string), ACTIVE, with point-in-time recovery if `pitr`:
    (its name, its ARN)."""
    name = unique_name(prefix)
    client.create_table(**creation_params(name))
    arn = wait_table_active(client, name)["TableArn"]
    if pitr:
        enable_pitr(client, name)
    return name, arn


def import_table(client, bucket, prefix, table, fmt="DYNAMODB_JSON", compression="NONE",
                 key=(("pk", "S"),), gsis=None, csv=None):
    params = creation_params(table, key)
    if gsis:
        params["AttributeDefinitions"] += gsis["defs"]
        params["GlobalSecondaryIndexes"] = gsis["indexes"]
    kw = {"InputFormatOptions": {"Csv": csv}} if csv else {}
    desc = client.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix},
                               InputFormat=fmt, InputCompressionType=compression,
                               TableCreationParameters=params, **kw)["ImportTableDescription"]
    assert desc["ImportStatus"] == "IN_PROGRESS"
    return wait_done(lambda: client.describe_import(ImportArn=desc["ImportArn"])
                     ["ImportTableDescription"], "ImportStatus")


def all_items(client, table):
    return {json.dumps(i["pk"], sort_keys=True) + json.dumps(i.get("sk"), sort_keys=True): i
            for i in scan_pages(client, TableName=table)}


def read_export_lines(s3_dir, bucket, desc):
    """(the export's manifest-summary.json, every line of its data files, decoded)."""
    summary = json.loads((s3_dir / bucket / desc["ExportManifest"]).read_text())
    files = [json.loads(line) for line in
             (s3_dir / bucket / summary["manifestFilesS3Key"]).read_text().splitlines()]
    return summary, [json.loads(line) for f in files for line in
                     gzip.decompress((s3_dir / bucket / f["dataFileS3Key"]).read_bytes())
                     .decode().splitlines()]


def make_source_table(client, name):
    client.create_table(**creation_params(name, key=(("pk", "S"), ("sk", "N"))))
    wait_table_active(client, name)
    items = []
    for i in range(120):
        item = {"pk": {"S": f"user#{i % 7}"}, "sk": {"N": str(i)},
                "name": {"S": f"näme \"{i}\"\n\ttab"}, "score": {"N": f"{i}.5e3"},
                "tiny": {"N": "-0.000000000000000000000000000000000012"},
                "bin": {"B": bytes([i, 0, 255])}, "ok": {"BOOL": i % 2 == 0}, "nil": {"NULL": True},
                "tags": {"SS": ["a", f"t{i}"]}, "nums": {"NS": ["1", str(i + 2)]},
                "blobs": {"BS": [b"\x00", bytes([i + 1])]},
                "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {}}]},
                                 "odd key's": {"S": ""}, "$dollar": {"N": "7"}}}}
        items.append(item)
        client.put_item(TableName=name, Item=item)
    return items


@DOCS_EXPORT
@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_export_then_import_equals_source(client, s3_dir, fmt):
    """An export (in AWS's documented layout) imported into a new table holds exactly the
    source's items, every attribute of every item compared."""
    src = unique_name("exp-src")
    make_source_table(client, src)
    arn = client.describe_table(TableName=src)["Table"]["TableArn"]
    desc = export(client, arn, "bucket-a", prefix=f"exports/{fmt}", fmt=fmt)
    assert desc["ExportStatus"] == "COMPLETED", desc
    assert desc["ItemCount"] == 120
    assert desc["BilledSizeBytes"] > 0
    assert desc["ExportFormat"] == fmt
    export_id = desc["ExportArn"].rsplit("/", 1)[1]
    assert desc["ExportArn"] == f"{arn}/export/{export_id}"
    base = s3_dir / "bucket-a" / "exports" / fmt / "AWSDynamoDB" / export_id
    assert desc["ExportManifest"] == f"exports/{fmt}/AWSDynamoDB/{export_id}/manifest-summary.json"
    assert (base / "_started").exists()
    summary = json.loads((base / "manifest-summary.json").read_text())
    assert summary["version"] == "2020-06-30"
    assert summary["exportArn"] == desc["ExportArn"]
    assert summary["itemCount"] == 120 and summary["outputFormat"] == fmt
    assert summary["s3Bucket"] == "bucket-a" and summary["tableArn"] == arn
    files = [json.loads(line) for line in
             (s3_dir / "bucket-a" / summary["manifestFilesS3Key"]).read_text().splitlines()]
    assert sum(f["itemCount"] for f in files) == 120
    suffix = ".ion.gz" if fmt == "ION" else ".json.gz"
    for f in files:
        assert f["dataFileS3Key"].startswith(f"exports/{fmt}/AWSDynamoDB/{export_id}/data/")
        assert f["dataFileS3Key"].endswith(suffix)
        lines = gzip.decompress((s3_dir / "bucket-a" / f["dataFileS3Key"]).read_bytes()) \
            .decode().splitlines()
        assert len(lines) == f["itemCount"]
        if fmt == "ION":
            assert all(line.startswith("$ion_1_0 {Item:{") for line in lines)
        else:
            assert all(set(json.loads(line)) == {"Item"} for line in lines)

    dst = unique_name("exp-dst")
    imp = import_table(client, "bucket-a", f"exports/{fmt}/AWSDynamoDB/{export_id}/data/", dst,
                       fmt=fmt, compression="GZIP", key=(("pk", "S"), ("sk", "N")))
    assert imp["ImportStatus"] == "COMPLETED", imp
    assert imp["ImportedItemCount"] == 120 and imp["ErrorCount"] == 0
    assert imp["ProcessedItemCount"] == 120
    assert all_items(client, dst) == all_items(client, src)


@source("docs: ExportTableToPointInTime API reference: ExportTime is any time in the "
        "point-in-time recovery window; the export holds the table as it was then")
def test_export_at_a_past_time_holds_that_time(client, s3_dir):
    """Batch A, then a second boundary (time T), then batch B overwriting and deleting some of
    A's items and adding others: the export at ExportTime=T, imported into a new table, equals
    A item by item, not the table as it is now."""
    name, arn = make_table(client, "exp-past", pitr=True)
    batch_a = {f"a{i}": {"pk": {"S": f"a{i}"}, "v": {"N": str(i)}, "tag": {"S": "A"}}
               for i in range(30)}
    for item in batch_a.values():
        client.put_item(TableName=name, Item=item)
    time.sleep(1.1 - time.time() % 1)  # past a second boundary: T's second holds only batch A
    export_time = time.time()
    time.sleep(1.1 - time.time() % 1)  # and past T's second, so B is after its end
    for i in range(10):
        client.put_item(TableName=name, Item={"pk": {"S": f"a{i}"}, "v": {"N": "-1"},
                                              "tag": {"S": "B"}})
    for i in range(10, 15):
        client.delete_item(TableName=name, Key={"pk": {"S": f"a{i}"}})
    for i in range(5):
        client.put_item(TableName=name, Item={"pk": {"S": f"b{i}"}, "tag": {"S": "B"}})
    desc = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="bucket-past",
                                                ExportTime=export_time)["ExportDescription"]
    assert desc["ExportStatus"] == "IN_PROGRESS"
    desc = wait_export(client, desc["ExportArn"])
    assert desc["ExportStatus"] == "COMPLETED", desc
    assert desc["ItemCount"] == len(batch_a)
    export_id = desc["ExportArn"].rsplit("/", 1)[1]
    dst = unique_name("exp-past-dst")
    imp = import_table(client, "bucket-past", f"AWSDynamoDB/{export_id}/data/", dst,
                       compression="GZIP")
    assert imp["ImportStatus"] == "COMPLETED", imp
    got = {i["pk"]["S"]: i for i in scan_pages(client, TableName=dst)}
    assert got == batch_a
    # The live table did change: the export is not today's data.
    assert len(all_items(client, name)) == len(batch_a) - 5 + 5
    assert client.get_item(TableName=name, Key={"pk": {"S": "a0"}})["Item"]["tag"] == {"S": "B"}


@source("ddb-answer: InvalidExportTimeException 'Export Time is invalid' for an ExportTime "
        "before point-in-time recovery was enabled or in the future (recorded in 2026: "
        "ack-api-quirks dynamodb DDB-EXPORT-001)")
def test_export_time_outside_the_window(client):
    """Before point-in-time recovery was enabled, or in the future: InvalidExportTimeException
    "Export Time is invalid" (DynamoDB's answer recorded in 2026, ack-api-quirks dynamodb
    DDB-EXPORT-001)."""
    _, arn = make_table(client, "exp-window", pitr=True)
    for when in (time.time() - 3600, time.time() + 3600):
        with pytest.raises(Exception) as e:
            client.export_table_to_point_in_time(TableArn=arn, S3Bucket="bb", ExportTime=when)
        assert err(e) == ("InvalidExportTimeException", "Export Time is invalid")


@source("docs: AWS CLI reference: aws dynamodb export-table-to-point-in-time / describe-export "
        "(their output is the API's JSON)")
def test_aws_cli_export_round_trip(client, s3_dir, tmp_path):
    """The aws CLI's export-table-to-point-in-time (with a past --export-time) and
    describe-export against the server, unchanged; the files land in the local S3 directory."""
    import os
    import shutil
    aws_bin = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
    if aws_bin is None:
        pytest.skip("aws CLI not installed")
    aws = aws_cli_runner([aws_bin], client.meta.endpoint_url, tmp_path)
    name, arn = make_table(client, "exp-cli")
    aws("update-continuous-backups", "--table-name", name,
        "--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")
    client.put_item(TableName=name, Item={"pk": {"S": "one"}})
    time.sleep(1.1 - time.time() % 1)
    t = int(time.time())
    time.sleep(1.1 - time.time() % 1)
    client.put_item(TableName=name, Item={"pk": {"S": "two"}})
    out = json.loads(aws("export-table-to-point-in-time", "--table-arn", arn, "--s3-bucket",
                         "bucket-cli", "--s3-prefix", "cli", "--export-time", str(t)).stdout)
    desc = out["ExportDescription"]
    assert desc["ExportStatus"] == "IN_PROGRESS" and desc["TableArn"] == arn
    # The CLI prints timestamps as ISO 8601.
    assert datetime.datetime.fromisoformat(desc["ExportTime"]).timestamp() == t
    deadline = time.monotonic() + 30
    while desc["ExportStatus"] == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.1)
        desc = json.loads(aws("describe-export", "--export-arn",
                              out["ExportDescription"]["ExportArn"]).stdout)["ExportDescription"]
    assert desc["ExportStatus"] == "COMPLETED", desc
    assert desc["ItemCount"] == 1
    _, lines = read_export_lines(s3_dir, "bucket-cli", desc)
    assert lines == [{"Item": {"pk": {"S": "one"}}}]


@source("docs: DynamoDB table export output format, incremental export output: one line per "
        "changed item, {Metadata:{WriteTimestampMicros}, Keys, NewImage, OldImage}; "
        "IncrementalExportSpecification API reference (ExportFromTime inclusive, ExportToTime "
        "exclusive, ExportViewType NEW_AND_OLD_IMAGES by default)")
@pytest.mark.parametrize("view", ["NEW_AND_OLD_IMAGES", "NEW_IMAGE"])
def test_incremental_export_holds_the_changes_of_its_period(client, s3_dir, view):
    """Items written before ExportFromTime and after ExportToTime are not in it; an item updated
    inside the period has its images at the period's start (OldImage) and end (NewImage), a
    deleted one only its OldImage, a created one only its NewImage, an item created and deleted
    inside the period is not there. (Debian's botocore does not know the parameter: a raw
    request.)"""
    name, arn = make_table(client, "exp-incr", pitr=True)
    for k in ("upd", "del", "later", "same"):
        client.put_item(TableName=name, Item={"pk": {"S": k}, "v": {"N": "0"}})
    time.sleep(0.05)
    start = time.time()
    time.sleep(0.05)
    client.put_item(TableName=name, Item={"pk": {"S": "upd"}, "v": {"N": "1"}})
    client.update_item(TableName=name, Key={"pk": {"S": "upd"}}, UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": {"N": "2"}})
    client.delete_item(TableName=name, Key={"pk": {"S": "del"}})
    client.put_item(TableName=name, Item={"pk": {"S": "new"}, "v": {"N": "3"}})
    client.put_item(TableName=name, Item={"pk": {"S": "tmp"}})
    client.delete_item(TableName=name, Key={"pk": {"S": "tmp"}})
    time.sleep(0.05)
    end = time.time()
    time.sleep(0.05)
    client.put_item(TableName=name, Item={"pk": {"S": "later"}, "v": {"N": "9"}})
    status, _, body = signed_request(client.meta.endpoint_url, "ExportTableToPointInTime", {
        "TableArn": arn, "S3Bucket": "bucket-incr", "S3Prefix": view,
        "ExportType": "INCREMENTAL_EXPORT",
        "IncrementalExportSpecification": {"ExportFromTime": start, "ExportToTime": end,
                                           "ExportViewType": view}})
    assert status == 200, body
    desc = json.loads(body)["ExportDescription"]
    assert desc["ExportType"] == "INCREMENTAL_EXPORT"
    # DynamoDB describes an incremental export without ExportTime (ack-api-quirks dynamodb
    # DDB-EXPORT-019).
    assert "ExportTime" not in desc
    assert desc["IncrementalExportSpecification"]["ExportViewType"] == view
    desc = wait_export(client, desc["ExportArn"])
    assert desc["ExportStatus"] == "COMPLETED", desc
    summary, lines = read_export_lines(s3_dir, "bucket-incr", desc)
    assert summary["exportType"] == "INCREMENTAL_EXPORT" and summary["outputView"] == view
    by_key = {line["Keys"]["pk"]["S"]: line for line in lines}
    assert sorted(by_key) == ["del", "new", "upd"]
    for line in lines:
        micros = int(line["Metadata"]["WriteTimestampMicros"]["N"])
        assert start * 1e6 - 1000 <= micros < end * 1e6
    old = view == "NEW_AND_OLD_IMAGES"
    assert by_key["upd"]["NewImage"] == {"pk": {"S": "upd"}, "v": {"N": "2"}}
    assert by_key["upd"].get("OldImage") == ({"pk": {"S": "upd"}, "v": {"N": "0"}} if old
                                             else None)
    assert "NewImage" not in by_key["del"]
    assert by_key["del"].get("OldImage") == ({"pk": {"S": "del"}, "v": {"N": "0"}} if old
                                             else None)
    assert by_key["new"] == {"Metadata": by_key["new"]["Metadata"], "Keys": {"pk": {"S": "new"}},
                             "NewImage": {"pk": {"S": "new"}, "v": {"N": "3"}}}


@OWN
def test_incremental_export_errors(client):
    """An INCREMENTAL_EXPORT without ExportFromTime, with a period ending before it starts or
    starting before point-in-time recovery was enabled: refused (a period that ends before it
    starts, as one too short: InvalidExportTimeException, as DynamoDB answers every refused
    period)."""
    _, arn = make_table(client, "exp-incr-err", pitr=True)
    now = time.time()
    cases = [({}, "ValidationException"),
             ({"ExportFromTime": now, "ExportToTime": now - 10}, "InvalidExportTimeException"),
             ({"ExportFromTime": now - 3600, "ExportToTime": now}, "InvalidExportTimeException"),
             ({"ExportFromTime": now - 1, "ExportViewType": "OLD_IMAGE"}, "ValidationException")]
    for spec, expected in cases:
        status, _, body = signed_request(client.meta.endpoint_url, "ExportTableToPointInTime", {
            "TableArn": arn, "S3Bucket": "bb", "ExportType": "INCREMENTAL_EXPORT",
            "IncrementalExportSpecification": spec})
        assert status == 400 and json.loads(body)["__type"].endswith("#" + expected), (spec, body)


DOC_ITEM = {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
            "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"}, "InPublication": {"BOOL": False},
            "PageCount": {"N": "600"}, "Price": {"N": "2000"},
            "ProductCategory": {"S": "Book"}, "Title": {"S": "Book 103 Title"}}

# The documentation's Ion example, as an export line writes it.
DOC_ION = ('$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],'
           'Dimensions:"8.5 x 11.0 x 1.5",ISBN:"333-3333333333",Id:103.,InPublication:false,'
           'PageCount:6d2,Price:2d3,ProductCategory:"Book",Title:"Book 103 Title"}}\n')


def write_aws_export(s3_dir, bucket, export_id, data_lines, fmt="DYNAMODB_JSON"):
    """An export as the documentation shows one: manifests and one gzipped data file."""
    base = s3_dir / bucket / "2020-Nov" / "AWSDynamoDB" / export_id
    (base / "data").mkdir(parents=True)
    (base / "_started").write_bytes(b"")
    name = "asdl123dasas" + (".ion.gz" if fmt == "ION" else ".json.gz")
    (base / "data" / name).write_bytes(gzip.compress(data_lines.encode()))
    (base / "manifest-files.json").write_text(json.dumps({
        "itemCount": data_lines.count("\n"), "md5Checksum": "sQMSpEILNgoQmarvDFonGQ==",
        "etag": "af83d6f217c19b8b0fff8023d8ca4716-1",
        "dataFileS3Key": f"AWSDynamoDB/{export_id}/data/{name}"}) + "\n")
    (base / "manifest-summary.json").write_text(json.dumps({
        "version": "2020-06-30",
        "exportArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/"
                     f"{export_id}",
        "startTime": "2020-11-04T07:28:34.028Z", "endTime": "2020-11-04T07:33:43.897Z",
        "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog",
        "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
        "exportTime": "2020-11-04T07:28:34.028Z", "s3Bucket": bucket, "s3Prefix": "2020-Nov",
        "s3SseAlgorithm": "AES256", "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"AWSDynamoDB/{export_id}/manifest-files.json",
        "billedSizeBytes": 0, "itemCount": data_lines.count("\n"), "outputFormat": fmt}))
    (base / "manifest-summary.checksum").write_text("0" * 32)
    (base / "manifest-files.checksum").write_text("0" * 32)
    return f"2020-Nov/AWSDynamoDB/{export_id}/"


@DOCS_EXPORT
@pytest.mark.parametrize("fmt", ["DYNAMODB_JSON", "ION"])
def test_aws_documented_export_imports_unchanged(client, s3_dir, fmt):
    """Files written as the documentation's export example (its item, its manifests) import
    unchanged, naming the export's data/ directory as the prefix."""
    doc = json.dumps({"Item": DOC_ITEM}) + "\n" if fmt == "DYNAMODB_JSON" else DOC_ION
    second = json.loads(json.dumps(DOC_ITEM))
    second["Id"] = {"N": "104"}
    line2 = json.dumps({"Item": second}) + "\n" if fmt == "DYNAMODB_JSON" else \
        DOC_ION.replace("Id:103.", "Id:104.")
    prefix = write_aws_export(s3_dir, "doc-bucket", f"01234567890123-{fmt[:4].lower()}1234",
                              doc + line2, fmt)
    table = unique_name("doc")
    imp = import_table(client, "doc-bucket", prefix + "data/", table, fmt=fmt,
                       compression="GZIP", key=(("Id", "N"),))
    assert imp["ImportStatus"] == "COMPLETED", imp
    assert imp["ImportedItemCount"] == 2 and imp["ErrorCount"] == 0
    got = client.get_item(TableName=table, Key={"Id": {"N": "103"}})["Item"]
    assert got == {**DOC_ITEM, "Authors": {"SS": got["Authors"]["SS"]}}
    assert sorted(got["Authors"]["SS"]) == ["Author1", "Author2"]
    assert client.get_item(TableName=table, Key={"Id": {"N": "104"}})["Item"]["Id"] == {"N": "104"}


@source("ddb-answer: recorded in 2026 (ack-api-quirks dynamodb DDB-IMPORT-020): an import "
        "from an export's root prefix (GZIP) reads its manifests and checksums as objects, each "
        "an item in error, _started none: FAILED ItemValidationError with the data imported")
def test_import_of_an_export_root_counts_its_manifests_as_errors(client, s3_dir):
    """The export's four manifest and checksum objects are not GZIP: four items in error; the
    empty _started is none; the data's items are imported and the import FAILED."""
    lines = "".join(json.dumps({"Item": {"pk": {"S": f"r{i}"}}}) + "\n" for i in range(3))
    prefix = write_aws_export(s3_dir, "doc-bucket", "01234567890123-root1234", lines)
    table = unique_name("root")
    imp = import_table(client, "doc-bucket", prefix, table, compression="GZIP")
    assert (imp["ImportStatus"], imp["FailureCode"]) == ("FAILED", "ItemValidationError"), imp
    assert (imp["ProcessedItemCount"], imp["ImportedItemCount"], imp["ErrorCount"]) == (7, 3, 4)
    assert sorted(i["pk"]["S"] for i in scan_pages(client, TableName=table)) == \
        ["r0", "r1", "r2"]


@DOCS_IMPORT
@pytest.mark.parametrize("compression", ["NONE", "GZIP", "ZSTD"])
def test_import_compressions(client, s3_dir, compression):
    """Each InputCompressionType reads its files; an import creates its table with the GSIs of
    TableCreationParameters, filled from the imported items."""
    lines = "".join(json.dumps({"Item": {"pk": {"S": f"k{i}"}, "g": {"S": f"g{i % 3}"},
                                         "n": {"N": str(i)}}}) + "\n" for i in range(50))
    data = lines.encode()
    if compression == "GZIP":
        data = gzip.compress(data)
    elif compression == "ZSTD":
        data = subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                              capture_output=True).stdout
    d = s3_dir / "comp-bucket" / compression
    d.mkdir(parents=True)
    (d / "part-1").write_bytes(data)
    table = unique_name("comp")
    gsis = {"defs": [{"AttributeName": "g", "AttributeType": "S"}],
            "indexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g",
                                                             "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}]}
    imp = import_table(client, "comp-bucket", compression + "/", table, compression=compression,
                       gsis=gsis)
    assert imp["ImportStatus"] == "COMPLETED", imp
    assert imp["ImportedItemCount"] == 50
    desc = client.describe_table(TableName=table)["Table"]
    assert [g["IndexName"] for g in desc["GlobalSecondaryIndexes"]] == ["by-g"]
    q = client.query(TableName=table, IndexName="by-g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "g1"}})
    assert sorted(int(i["n"]["N"]) for i in q["Items"]) == list(range(1, 50, 3))


@DOCS_IMPORT
def test_import_csv(client, s3_dir):
    """CSV: the first line is the header unless HeaderList is given; key attributes take their
    AttributeDefinitions type, every other column is a string; quotes are doubled to escape."""
    d = s3_dir / "csv-bucket"
    (d / "with-header").mkdir(parents=True)
    (d / "with-header" / "a.csv").write_text(
        'id,value,price\n1,"Women\'s ""Full"" Dress",12.50\n2,"a,b",7\n')
    table = unique_name("csv")
    imp = import_table(client, "csv-bucket", "with-header/", table, fmt="CSV",
                       key=(("id", "N"),))
    assert imp["ImportStatus"] == "COMPLETED", imp
    assert imp["ImportedItemCount"] == 2
    assert client.get_item(TableName=table, Key={"id": {"N": "1"}})["Item"] == {
        "id": {"N": "1"}, "value": {"S": 'Women\'s "Full" Dress'}, "price": {"S": "12.50"}}

    (d / "no-header").mkdir()
    (d / "no-header" / "b.csv").write_text("x|1\ny|2\n")
    table2 = unique_name("csv")
    imp = import_table(client, "csv-bucket", "no-header/", table2, fmt="CSV",
                       csv={"Delimiter": "|", "HeaderList": ["pk", "v"]})
    assert imp["ImportStatus"] == "COMPLETED", imp
    assert client.get_item(TableName=table2, Key={"pk": {"S": "y"}})["Item"] == {
        "pk": {"S": "y"}, "v": {"S": "2"}}


@source("ddb-answer: an import with items in error ends FAILED, FailureCode "
        "ItemValidationError, the table keeping the others, and an object is read no further "
        "than a line that is not JSON (recorded in 2026: ack-api-quirks dynamodb DDB-IMPORT-013: "
        "10 lines with one unparseable, 6 processed)")
def test_import_counts_bad_items_and_goes_on(client, s3_dir):
    """An item that cannot be written (no key, a bad value) counts in ErrorCount and the reading
    goes on; a line that is not JSON counts too and ends the reading of its object, the other
    objects still read. The import ends FAILED with FailureCode ItemValidationError and DynamoDB's
    message, its table holding the items written."""
    d = s3_dir / "err-bucket" / "p"
    d.mkdir(parents=True)
    (d / "f").write_text(json.dumps({"Item": {"pk": {"S": "ok"}}}) + "\n"
                         + json.dumps({"Item": {"other": {"S": "no key"}}}) + "\n"
                         + "not json\n"
                         + json.dumps({"Item": {"pk": {"S": "never read"}}}) + "\n")
    (d / "g").write_text(json.dumps({"Item": {"pk": {"N": "5"}}}) + "\n"
                         + json.dumps({"Item": {"pk": {"S": "ok2"}}}) + "\n")
    table = unique_name("err")
    imp = import_table(client, "err-bucket", "p/", table)
    assert imp["ImportStatus"] == "FAILED", imp
    assert imp["FailureCode"] == "ItemValidationError"
    assert imp["FailureMessage"] == ("Some of the items failed validation checks and were not "
                                     "imported. Please check CloudWatch error logs for more "
                                     "details.")
    assert imp["ImportedItemCount"] == 2
    assert imp["ErrorCount"] == 3
    assert imp["ProcessedItemCount"] == 5
    assert sorted(i["pk"]["S"] for i in scan_pages(client, TableName=table)) == ["ok", "ok2"]


@OWN
def test_import_of_missing_bucket_fails_and_leaves_no_table(client):
    """An import from a bucket that does not exist ends FAILED, and its table is deleted."""
    table = unique_name("nobucket")
    imp = import_table(client, "no-such-bucket", "x/", table)
    assert imp["ImportStatus"] == "FAILED"
    assert imp["FailureCode"] == "S3NoSuchBucket"
    deadline = time.monotonic() + 10
    while table in client.list_tables()["TableNames"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


NO_SUCH_BUCKET = re.compile(
    r"The specified bucket does not exist \(Service: Amazon S3; Status Code: 404; Error Code: "
    r"NoSuchBucket; Request ID: [A-Z0-9]{16}; S3 Extended Request ID: [A-Za-z0-9+/]{75}=; "
    r"Proxy: null\)")


@source("ddb-answer: recorded in 2026 (ack-api-quirks dynamodb DDB-EXPORT-010): an export to a "
        "nonexistent bucket is accepted and ends FAILED, FailureCode S3NoSuchBucket, "
        "FailureMessage S3's NoSuchBucket error; its ClientToken replayed answers it, with the "
        "bucket changed is an ExportConflictException")
def test_export_to_missing_bucket_fails(client, s3_dir):
    """An export to a bucket that does not exist is accepted, then FAILED with S3's error and
    nothing written; once the bucket is made, a new export to it completes."""
    _, arn = make_table(client, "nobucket", pitr=True)
    request = {"TableArn": arn, "S3Bucket": "missing-bucket", "ClientToken": "tok-missing"}
    first = client.export_table_to_point_in_time(**request)["ExportDescription"]
    assert first["ExportStatus"] == "IN_PROGRESS"
    desc = wait_export(client, first["ExportArn"])
    assert (desc["ExportStatus"], desc["FailureCode"]) == ("FAILED", "S3NoSuchBucket"), desc
    assert NO_SUCH_BUCKET.fullmatch(desc["FailureMessage"]), desc["FailureMessage"]
    assert "ExportManifest" not in desc and "ItemCount" not in desc, desc
    assert not (s3_dir / "missing-bucket").exists()
    again = client.export_table_to_point_in_time(**request)["ExportDescription"]
    assert (again["ExportArn"], again["ExportStatus"]) == (first["ExportArn"], "FAILED")
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(**dict(request, S3Bucket="bb"))
    assert err(e) == ("ExportConflictException",
                      "Export conflict: Duplicate request detected with conflicting parameters")
    (s3_dir / "missing-bucket").mkdir()
    made = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="missing-bucket")
    assert wait_export(client, made["ExportDescription"]["ExportArn"])["ExportStatus"] == \
        "COMPLETED"


@source("ddb-answer: recorded in 2026 (ack-api-quirks dynamodb DDB-EXPORT-011): an export "
        "whose S3BucketOwner is not the bucket's owner is accepted and ends FAILED, FailureCode "
        "S3AccessDenied, FailureMessage S3's AccessDenied error; the right owner completes")
def test_export_expecting_another_bucket_owner_fails(client):
    """Every local bucket is the server's account's: an export that names another owner fails as
    S3 refuses its writes; one that names this account completes."""
    _, arn = make_table(client, "owner", pitr=True)
    account = arn.split(":")[4]
    other = "111122223333" if account != "111122223333" else "222233334444"
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="bb",
                                                   S3BucketOwner=other)["ExportDescription"]
    assert started["ExportStatus"] == "IN_PROGRESS"
    desc = wait_export(client, started["ExportArn"])
    assert (desc["ExportStatus"], desc["FailureCode"]) == ("FAILED", "S3AccessDenied"), desc
    assert re.fullmatch(
        r"Access Denied \(Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; "
        r"Request ID: [A-Z0-9]{16}; S3 Extended Request ID: [A-Za-z0-9+/]{75}=; Proxy: null\)",
        desc["FailureMessage"]), desc["FailureMessage"]
    started = client.export_table_to_point_in_time(TableArn=arn, S3Bucket="bb",
                                                   S3BucketOwner=account)["ExportDescription"]
    assert wait_export(client, started["ExportArn"])["ExportStatus"] == "COMPLETED"


@source("ddb-answer: recorded in 2026 (ack-api-quirks dynamodb DDB-EXPORT-020, DDB-IMPORT-008): "
        "ListExports(TableArn) lists nothing once the table is deleted, nor after a table of "
        "that name is created again, while DescribeExport still answers; ListImports(TableArn) "
        "still lists the import of a deleted table")
def test_list_exports_of_a_deleted_table_is_empty(client):
    """The exports of a table name are those of the table that has it now."""
    name, arn = make_table(client, "gone", pitr=True)
    first = export(client, arn, "bb")["ExportArn"]
    assert [s["ExportArn"] for s in client.list_exports(TableArn=arn)["ExportSummaries"]] == \
        [first]
    client.delete_table(TableName=name)
    assert client.list_exports(TableArn=arn)["ExportSummaries"] == []
    assert client.describe_export(ExportArn=first)["ExportDescription"]["ExportStatus"] == \
        "COMPLETED"
    client.create_table(**creation_params(name))
    wait_table_active(client, name)
    assert client.list_exports(TableArn=arn)["ExportSummaries"] == []
    second = export(client, arn, "bb")["ExportArn"]
    assert [s["ExportArn"] for s in client.list_exports(TableArn=arn)["ExportSummaries"]] == \
        [second]

    imported = unique_name("gone-import")
    imp = import_table(client, "bb", "nothing-here/", imported)
    assert imp["ImportStatus"] == "COMPLETED", imp
    client.delete_table(TableName=imported)
    listed = client.list_imports(TableArn=imp["TableArn"])["ImportSummaryList"]
    assert [s["ImportArn"] for s in listed] == [imp["ImportArn"]]


@OWN
def test_export_makes_its_bucket_in_a_temporary_s3(foreign_endpoint, tmp_path_factory):
    """In memory without --s3-dir the local S3 is a directory of the server's own under the temp
    dir, unknown until the first export: there an export makes its bucket."""
    with own_server(foreign_endpoint, tmp_path_factory, ["--in-memory"],
                    "starts a server without --s3-dir") as server:
        temp = make_client(server.endpoint)
        _, arn = make_table(temp, "tmps3", pitr=True)
        desc = temp.export_table_to_point_in_time(TableArn=arn, S3Bucket="any-bucket")
        done = wait_export(temp, desc["ExportDescription"]["ExportArn"])
        assert done["ExportStatus"] == "COMPLETED", done


@source("docs: ImportTable API reference: ResourceInUseException, ImportConflictException")
def test_import_errors(client, s3_dir):
    """An import into an existing table is refused as CreateTable refuses it; a ClientToken
    reused with another request is an ImportConflictException, with the same request it answers
    the same import."""
    existing, _ = make_table(client, "exists")
    with pytest.raises(Exception) as e:
        import_table(client, "err-bucket", "p/", existing)
    assert err(e) == ("ResourceInUseException", f"Table already exists: {existing}")

    params = creation_params(unique_name("tok"))
    src = {"S3Bucket": "err-bucket", "S3KeyPrefix": "p/"}
    first = client.import_table(ClientToken="tok-1", S3BucketSource=src,
                                InputFormat="DYNAMODB_JSON",
                                TableCreationParameters=params)["ImportTableDescription"]
    with pytest.raises(Exception) as e:
        client.import_table(ClientToken="tok-1", S3BucketSource=src, InputFormat="ION",
                            TableCreationParameters=params)
    assert err(e)[0] == "ImportConflictException"
    # DDB-IMPORT-017 (recorded in 2026): the token answers the same import while it runs; once
    # it has ended, with its table still there, an identical replay finds the table.
    ended = wait_done(lambda: client.describe_import(ImportArn=first["ImportArn"])
                      ["ImportTableDescription"], "ImportStatus")
    assert ended["ImportStatus"] != "IN_PROGRESS"
    with pytest.raises(Exception) as e:
        client.import_table(ClientToken="tok-1", S3BucketSource=src, InputFormat="DYNAMODB_JSON",
                            TableCreationParameters=params)
    assert err(e) == ("ResourceInUseException",
                      "Table already exists: %s" % params["TableName"])
    # ... and once the table is gone, it answers the old import again, creating nothing.
    client.delete_table(TableName=params["TableName"])
    again = client.import_table(ClientToken="tok-1", S3BucketSource=src,
                                InputFormat="DYNAMODB_JSON",
                                TableCreationParameters=params)["ImportTableDescription"]
    assert again["ImportArn"] == first["ImportArn"]
    assert params["TableName"] not in client.list_tables()["TableNames"]


@OWN
def test_describe_unknown_export_and_import(client):
    """DescribeExport/DescribeImport of an ARN that names nothing: ExportNotFoundException and
    ImportNotFoundException (the types of the API reference)."""
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/export/01234567890123-abcdef01"
    with pytest.raises(Exception) as e:
        client.describe_export(ExportArn=arn)
    assert err(e)[0] == "ExportNotFoundException"
    with pytest.raises(Exception) as e:
        client.describe_import(ImportArn=arn.replace("export", "import"))
    assert err(e)[0] == "ImportNotFoundException"


@OWN
def test_export_errors(client):
    """A table that does not exist: TableNotFoundException (the API reference's type); a table
    without point-in-time recovery: PointInTimeRecoveryUnavailableException (the API reference:
    "Point in time recovery has not yet been enabled for this source table"); an ExportTime in
    the future: InvalidExportTimeException."""
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + unique_name("none")
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(TableArn=arn, S3Bucket="bb")
    assert err(e)[0] == "TableNotFoundException"
    name, table_arn = make_table(client, "exp-err")
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(TableArn=table_arn, S3Bucket="bb")
    assert err(e) == ("PointInTimeRecoveryUnavailableException",
                      f"Point in time recovery is not enabled for table '{name}'")
    enable_pitr(client, name)
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(TableArn=table_arn, S3Bucket="bb",
                                             ExportTime=time.time() + 3600)
    assert err(e)[0] == "InvalidExportTimeException"


@source("docs: ListExports / ListImports API reference (MaxResults/PageSize, NextToken); "
        "newest first as DynamoDB was recorded listing them (ack-api-quirks dynamodb "
        "DDB-EXPORT-017, DDB-IMPORT-016)")
def test_list_exports_and_imports_page(client):
    """ListExports pages by MaxResults and filters by TableArn, newest export first; ListImports
    pages by PageSize."""
    _, arn = make_table(client, "list")
    made = [export(client, arn, "list-bucket")["ExportArn"] for _ in range(3)]
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = client.list_exports(TableArn=arn, MaxResults=2, **kw)
        assert len(page["ExportSummaries"]) <= 2
        seen += [s["ExportArn"] for s in page["ExportSummaries"]]
        assert all(s["ExportStatus"] == "COMPLETED" for s in page["ExportSummaries"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == made[::-1]

    imports = client.list_imports(PageSize=1)
    assert len(imports["ImportSummaryList"]) == 1
    assert "NextToken" in imports
    rest = client.list_imports(PageSize=25, NextToken=imports["NextToken"])
    arns = [imports["ImportSummaryList"][0]["ImportArn"]] + \
        [s["ImportArn"] for s in rest["ImportSummaryList"]]
    assert len(arns) == len(set(arns))


@source("docs: botocore's model gives S3Bucket the pattern ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$; the '..' "
        "refusal is cruddur's own (a local directory)")
def test_bucket_and_prefix_stay_inside_the_s3_directory(client):
    """A bucket name outside S3's pattern is a ValidationException (as the model's constraint);
    a prefix that climbs out of the bucket ('..') is refused."""
    _, arn = make_table(client, "esc")
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(TableArn=arn, S3Bucket="../etc")
    code, message = err(e)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value '../etc' at 's3Bucket'")
    with pytest.raises(Exception) as e:
        client.export_table_to_point_in_time(TableArn=arn, S3Bucket="ok-bucket",
                                             S3Prefix="a/../../x")
    assert err(e)[0] == "ValidationException"
    with pytest.raises(Exception) as e:
        import_table(client, "ok-bucket", "../x/", unique_name("esc"))
    assert err(e)[0] == "ValidationException"
