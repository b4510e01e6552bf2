"""Scan order: the order DynamoDB returns a table's (or an index's) items in.

DynamoDB documents no Scan order, but it has one: partitions come in the order of a hash of the
partition key, and parallel Scan segments split that order into contiguous slices. dynalite
(github.com/mhart/dynalite, now architect/dynalite) reproduced it: the MD5 of "Outliers"
followed by the partition key's bytes (S: UTF-8, B: the raw bytes, N: a base-100 form, the
layout of Oracle's NUMBER), and segment s of T holding the hashes whose top 12 bits h give
floor(h * T / 4096). Its test/scan.js pins exact orders and segments ("should return items in
string hash order", "... number hash order", "... from correct string/number hash segments");
that suite also runs against DynamoDB itself (REMOTE=1). Those literal expectations are used
here as they are; the other tests compute their expectation from the same rule (scan_hash).

Within a partition, items come in sort key order: "Items with the same partition key value are
stored in sorted order by sort key" (Query API reference, ScanIndexForward), and Scan reads the
same storage.
"""

import hashlib
from decimal import Decimal

import pytest

from ddbtest import scan_pages
from provenance import SCAN_ORDER

pytestmark = SCAN_ORDER


def number_hash_form(text):
    """The bytes DynamoDB hashes for a number: Oracle NUMBER's layout (base-100 digits)."""
    d = Decimal(text)
    if d == 0:
        return b"\x80"
    sign, digits, exp = d.normalize().as_tuple()
    digits = list(digits)
    exponent = len(digits) + exp  # value = 0.<digits> * 10^exponent
    if exponent % 2:
        digits.insert(0, 0)
        exponent += 1
    if len(digits) % 2:
        digits.append(0)
    pairs = [digits[i] * 10 + digits[i + 1] for i in range(0, len(digits), 2)]
    e100 = exponent // 2
    if not sign:
        return bytes([0xC0 + e100] + [p + 1 for p in pairs])
    tail = [102] if len(pairs) < 20 else []
    return bytes([63 - e100] + [101 - p for p in pairs] + tail)


def scan_hash(value):
    """The partition hash DynamoDB orders a Scan by, for a low-level AttributeValue."""
    (kind, v), = value.items()
    raw = {"S": lambda: v.encode(), "B": lambda: bytes(v), "N": lambda: number_hash_form(v)}[kind]()
    return hashlib.md5(b"Outliers" + raw).digest()


def segment_of(value, total):
    digest = scan_hash(value)
    top12 = digest[0] << 4 | digest[1] >> 4
    return top12 * total // 4096


def put_all(ddb, table, items):
    for item in items:
        ddb.put_item(TableName=table, Item=item)


def test_string_keys_scan_in_dynamodb_order(ddb, tables):
    # dynalite test/scan.js, "should return items in string hash order" (checked on DynamoDB).
    t = tables.create()
    keys = [str(i) for i in range(10)] + ["aardman", "hello", "zapf", "äáöü"]
    put_all(ddb, t, [{"pk": {"S": k}} for k in keys])
    got = [i["pk"]["S"] for i in ddb.scan(TableName=t)["Items"]]
    assert got == ["2", "8", "9", "1", "6", "hello", "0", "5", "4", "äáöü", "aardman", "7", "3",
                   "zapf"]


def test_number_keys_scan_in_dynamodb_order(ddb, tables):
    # dynalite test/scan.js, "should return items in number hash order" (checked on DynamoDB).
    t = tables.create(hash_key=("pk", "N"))
    keys = [str(i) for i in range(10)] + ["-0.09", "999.9", "0.012345", "-999.9"]
    put_all(ddb, t, [{"pk": {"N": k}} for k in keys])
    got = [i["pk"]["N"] for i in ddb.scan(TableName=t)["Items"]]
    assert got == ["7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0",
                   "0.012345", "5"]


def test_equal_numbers_written_differently_are_one_partition_in_one_place(ddb, tables):
    # A number is hashed by value (its base-100 form), not by its text: 1, 1.0 and 10E-1 are
    # one key (DynamoDB's number equality), so they land where "1" does in the order above.
    t = tables.create(hash_key=("pk", "N"))
    put_all(ddb, t, [{"pk": {"N": k}} for k in ["0", "1.0", "5", "6"]])
    ddb.put_item(TableName=t, Item={"pk": {"N": "10E-1"}, "v": {"S": "last write"}})
    got = [(i["pk"]["N"], i.get("v", {}).get("S")) for i in ddb.scan(TableName=t)["Items"]]
    assert got == [("6", None), ("1", "last write"), ("0", None), ("5", None)]


def test_binary_keys_scan_in_hash_order(ddb, tables):
    # Expectation from the reproduced rule: B keys hash their raw bytes (as S keys their UTF-8).
    t = tables.create(hash_key=("pk", "B"))
    keys = [bytes([i]) * (i % 5 + 1) for i in range(0, 256, 7)] + [b"\x00\xff", b"hello"]
    put_all(ddb, t, [{"pk": {"B": k}} for k in keys])
    got = [bytes(i["pk"]["B"]) for i in ddb.scan(TableName=t)["Items"]]
    assert got == sorted(keys, key=lambda k: scan_hash({"B": k}))
    # An S key and a B key of the same bytes hash alike: "hello" sits where it does for S.
    assert scan_hash({"B": b"hello"}) == scan_hash({"S": "hello"})


def test_partitions_in_hash_order_items_in_sort_key_order(ddb, tables):
    t = tables.create(range_key=("sk", "N"))
    parts = ["user#%d" % i for i in range(12)]
    items = [{"pk": {"S": p}, "sk": {"N": str(s)}} for p in parts for s in (10, -2.5, 3, 0, 100)]
    put_all(ddb, t, items)
    got = [(i["pk"]["S"], Decimal(i["sk"]["N"])) for i in ddb.scan(TableName=t)["Items"]]
    expected = sorted(((p, Decimal(str(s))) for p in parts for s in (10, -2.5, 3, 0, 100)),
                      key=lambda k: (scan_hash({"S": k[0]}), k[1]))
    assert got == expected


def test_segments_of_known_keys(ddb, tables):
    # dynalite test/scan.js, "should return items from correct string/number hash segments":
    # with TotalSegments 4096, "3635" and "228" are in segment 0, "1668" in 1, "3435" in 4;
    # numbers 251 in segment 1 and 2388 in 4095 (checked on DynamoDB).
    ts = tables.create()
    put_all(ddb, ts, [{"pk": {"S": k}} for k in ["3635", "228", "1668", "3435"]])

    def segment(table, s):
        return ddb.scan(TableName=table, Segment=s, TotalSegments=4096)["Items"]

    assert sorted(i["pk"]["S"] for i in segment(ts, 0)) == ["228", "3635"]
    assert [i["pk"]["S"] for i in segment(ts, 1)] == ["1668"]
    assert [i["pk"]["S"] for i in segment(ts, 4)] == ["3435"]
    assert segment(ts, 2) == [] and segment(ts, 4095) == []
    tn = tables.create(hash_key=("pk", "N"))
    put_all(ddb, tn, [{"pk": {"N": k}} for k in ["251", "2388"]])
    assert [i["pk"]["N"] for i in segment(tn, 1)] == ["251"]
    assert [i["pk"]["N"] for i in segment(tn, 4095)] == ["2388"]


@pytest.fixture
def keyed(ddb, tables):
    """200 string partitions of 2 items each; returns (table, scan order of their keys)."""
    t = tables.create(range_key=("sk", "S"))
    items = [{"pk": {"S": "k%03d" % i}, "sk": {"S": s}} for i in range(200) for s in ("b", "a")]
    put_all(ddb, t, items)
    order = sorted(((i["pk"]["S"], i["sk"]["S"]) for i in items),
                   key=lambda k: (scan_hash({"S": k[0]}), k[1]))
    return t, order


def keys(items):
    return [(i["pk"]["S"], i["sk"]["S"]) for i in items]


@pytest.mark.parametrize("total", [2, 3, 7, 16, 5000])
def test_parallel_segments_are_contiguous_slices_of_the_scan_order(ddb, keyed, total):
    # Segments split the hash order: read one after the other they give the whole Scan, each
    # segment holding exactly the partitions floor(top12 * total / 4096) assigns it.
    t, order = keyed
    segments = range(total) if total <= 16 else sorted({segment_of({"S": p}, total)
                                                        for p, _ in order})
    joined = []
    for s in segments:
        got = keys(scan_pages(ddb, TableName=t, Segment=s, TotalSegments=total))
        assert all(segment_of({"S": p}, total) == s for p, _ in got)
        joined += got
    assert joined == order
    assert keys(scan_pages(ddb, TableName=t)) == order


def test_paging_with_limit_keeps_the_order(ddb, keyed):
    t, order = keyed
    assert keys(scan_pages(ddb, TableName=t, Limit=7)) == order
    seg = keys(scan_pages(ddb, TableName=t, Segment=1, TotalSegments=3, Limit=5))
    assert seg == [k for k in order if segment_of({"S": k[0]}, 3) == 1]


def test_paging_over_partition_boundaries(ddb, keyed):
    # Limit 1 stops after every item: each page resumes right after the previous item, inside a
    # partition or at the start of the next one in hash order.
    t, order = keyed
    first = ddb.scan(TableName=t, Limit=1)
    assert keys(first["Items"]) == order[:1]
    assert first["LastEvaluatedKey"] == {"pk": {"S": order[0][0]}, "sk": {"S": order[0][1]}}
    assert keys(scan_pages(ddb, TableName=t, Limit=1))[:40] == order[:40]


def test_gsi_scan_in_index_partition_hash_order(ddb, tables):
    # An index is a table of its own (DynamoDB keeps a GSI in its own partitions), so its Scan
    # comes in the order of the index's partition key hash and, within one, its sort key order.
    t = tables.create(attrs={"g": "S", "n": "N"}, GlobalSecondaryIndexes=[
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                            {"AttributeName": "n", "KeyType": "RANGE"}],
         "Projection": {"ProjectionType": "ALL"}}])
    groups = ["group-%d" % i for i in range(15)]
    items = [{"pk": {"S": "item%d" % i}, "g": {"S": groups[i % 15]}, "n": {"N": str(100 - i)}}
             for i in range(90)]
    items.append({"pk": {"S": "no-index-key"}})  # not in the sparse index
    put_all(ddb, t, items)
    got = [(i["g"]["S"], int(i["n"]["N"])) for i in scan_pages(ddb, TableName=t, IndexName="by_g")]
    expected = sorted(((i["g"]["S"], int(i["n"]["N"])) for i in items if "g" in i),
                      key=lambda k: (scan_hash({"S": k[0]}), k[1]))
    assert got == expected
    paged = scan_pages(ddb, TableName=t, IndexName="by_g", Limit=4)
    assert [(i["g"]["S"], int(i["n"]["N"])) for i in paged] == expected


def test_gsi_number_partition_key_order_and_segments(ddb, tables):
    t = tables.create(attrs={"g": "N"}, GlobalSecondaryIndexes=[
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    values = [str(i) for i in range(10)] + ["-0.09", "999.9", "0.012345", "-999.9"]
    put_all(ddb, t, [{"pk": {"S": "p" + v}, "g": {"N": v}} for v in values])
    got = [i["g"]["N"] for i in ddb.scan(TableName=t, IndexName="by_g")["Items"]]
    # The table's order of these numbers as partition keys (dynalite's, above).
    assert got == ["7", "999.9", "8", "3", "2", "-999.9", "9", "4", "-0.09", "6", "1", "0",
                   "0.012345", "5"]
    joined = []
    for s in range(4):
        joined += [i["g"]["N"] for i in ddb.scan(TableName=t, IndexName="by_g", Segment=s,
                                                  TotalSegments=4)["Items"]]
    assert joined == got
