"""Scan: segments, filters, paging, Select, indexes."""

import pytest
from botocore.exceptions import ClientError

from ddbtest import err, scan_pages
from provenance import CONSTRAINT_WORDING, SEGMENT_WORDING


@pytest.fixture
def stable(ddb, tables):
    t = tables.create(range_key=("sk", "N"), attrs={"g": "S"}, GlobalSecondaryIndexes=[
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    for i in range(120):
        item = {"pk": {"S": "p%d" % (i % 7)}, "sk": {"N": str(i)}, "v": {"N": str(i)}}
        if i % 10 == 0:
            item["g"] = {"S": "tens"}
        ddb.put_item(TableName=t, Item=item)
    return t


def key_of(item):
    return (item["pk"]["S"], int(item["sk"]["N"]))


def test_scan_everything(ddb, stable):
    r = ddb.scan(TableName=stable)
    assert r["Count"] == 120 and r["ScannedCount"] == 120
    assert "LastEvaluatedKey" not in r
    assert sorted(int(i["v"]["N"]) for i in r["Items"]) == list(range(120))


def test_scan_items_grouped_by_partition_and_sorted(ddb, stable):
    items = ddb.scan(TableName=stable)["Items"]
    seen_parts, last = [], None
    for it in items:
        p, s = key_of(it)
        if p != last:
            assert p not in seen_parts  # each partition appears as one run
            seen_parts.append(p)
            last, prev = p, None
        if prev is not None:
            assert s > prev
        prev = s


@pytest.mark.parametrize("total", [1, 2, 4, 7])
def test_parallel_segments_cover_every_item_once(ddb, stable, total):
    keys = []
    for seg in range(total):
        keys += [key_of(i) for i in scan_pages(ddb, TableName=stable, Segment=seg,
                                              TotalSegments=total, Limit=13)]
    assert len(keys) == 120
    assert len(set(keys)) == 120


@SEGMENT_WORDING
def test_segment_out_of_range(ddb, stable):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=stable, Segment=4, TotalSegments=4)
    assert err(e) == ("ValidationException", "The Segment parameter is zero-based and must be "
                      "less than parameter TotalSegments: Segment: 4 is not less than "
                      "TotalSegments: 4")


@SEGMENT_WORDING
def test_segment_without_total(ddb, stable):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=stable, Segment=1)
    assert err(e) == ("ValidationException", "The TotalSegments parameter is required but was "
                      "not present in the request when Segment parameter is present")


@SEGMENT_WORDING
def test_total_segments_without_segment(ddb, stable):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=stable, TotalSegments=2)
    assert err(e) == ("ValidationException", "The Segment parameter is required but was not "
                      "present in the request when parameter TotalSegments is present")


def test_scan_paging_with_limit(ddb, stable):
    r = ddb.scan(TableName=stable, Limit=25)
    assert r["Count"] == 25 and "LastEvaluatedKey" in r
    lek = r["LastEvaluatedKey"]
    assert set(lek) == {"pk", "sk"}
    assert key_of(r["Items"][-1]) == key_of(lek)
    items = scan_pages(ddb, TableName=stable, Limit=25)
    assert len({key_of(i) for i in items}) == 120


def test_scan_filter_counts(ddb, stable):
    r = ddb.scan(TableName=stable, FilterExpression="v < :x",
                 ExpressionAttributeValues={":x": {"N": "30"}})
    assert r["Count"] == 30 and r["ScannedCount"] == 120
    r = ddb.scan(TableName=stable, FilterExpression="v < :x", Limit=10,
                 ExpressionAttributeValues={":x": {"N": "0"}})
    assert r["Count"] == 0 and r["ScannedCount"] == 10 and r["Items"] == []
    assert "LastEvaluatedKey" in r


def test_scan_filter_on_keys_allowed(ddb, stable):
    # Unlike Query, Scan may filter on key attributes.
    r = ddb.scan(TableName=stable, FilterExpression="pk = :p AND sk < :s",
                 ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"N": "20"}})
    assert sorted(key_of(i) for i in r["Items"]) == [("p0", 0), ("p0", 7), ("p0", 14)]


def test_scan_select_count_and_projection(ddb, stable):
    r = ddb.scan(TableName=stable, Select="COUNT")
    assert r["Count"] == 120 and "Items" not in r
    r = ddb.scan(TableName=stable, ProjectionExpression="v", Limit=3)
    assert all(set(i) == {"v"} for i in r["Items"])


def test_scan_gsi(ddb, stable):
    r = ddb.scan(TableName=stable, IndexName="by_g")
    assert r["Count"] == 12
    assert sorted(int(i["v"]["N"]) for i in r["Items"]) == list(range(0, 120, 10))
    r = ddb.scan(TableName=stable, IndexName="by_g", Limit=5)
    assert set(r["LastEvaluatedKey"]) == {"pk", "sk", "g"}


def test_scan_gsi_consistent_read_refused(ddb, stable):
    with pytest.raises(ClientError) as e:
        ddb.scan(TableName=stable, IndexName="by_g", ConsistentRead=True)
    assert err(e) == ("ValidationException",
                      "Consistent reads are not supported on global secondary indexes")


def test_scan_empty_table(ddb, table_h):
    r = ddb.scan(TableName=table_h)
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in r


@CONSTRAINT_WORDING
def test_scan_limit_zero_refused(ddb_nv, table_h):
    with pytest.raises(ClientError) as e:
        ddb_nv.scan(TableName=table_h, Limit=0)
    assert err(e) == ("ValidationException", "1 validation error detected: Value '0' at 'limit' "
                      "failed to satisfy constraint: Member must have value greater than or "
                      "equal to 1")
