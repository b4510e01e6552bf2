"""TagResource, UntagResource, ListTagsOfResource, and CreateTable's Tags."""
import pytest
from botocore.exceptions import ClientError

from ddbtest import err, signed_request, unique_name
from provenance import TAGGING

# Every test here fails against DynamoDB Local for that one reason.
pytestmark = TAGGING


def arn_of(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["TableArn"]


def tags_of(ddb, arn):
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


def test_tag_list_untag(ddb, table_h):
    arn = arn_of(ddb, table_h)
    assert tags_of(ddb, arn) == {}
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "messaging"},
                                            {"Key": "env", "Value": ""}])
    assert tags_of(ddb, arn) == {"team": "messaging", "env": ""}
    # Tagging an existing key replaces its value.
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "core"}])
    assert tags_of(ddb, arn) == {"team": "core", "env": ""}
    ddb.untag_resource(ResourceArn=arn, TagKeys=["env", "not-there"])
    assert tags_of(ddb, arn) == {"team": "core"}


def test_tag_and_untag_answer_an_empty_body(ddb, endpoint, table_h):
    """200 with no body at all, not "{}" (ScyllaDB's Alternator tests, run against DynamoDB);
    the SDKs read it as the operation's empty output, and the CRC32 header still checks."""
    import zlib
    arn = arn_of(ddb, table_h)
    tag = {"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}
    for target, body in [("TagResource", tag),
                         ("UntagResource", {"ResourceArn": arn, "TagKeys": ["k"]})]:
        status, headers, raw = signed_request(endpoint, target, body)
        assert (status, raw, headers["content-length"]) == (200, b"", "0")
        assert headers["x-amz-crc32"] == str(zlib.crc32(b""))
    assert tags_of(ddb, arn) == {}


def test_create_table_with_tags(ddb, tables):
    name = unique_name("tagged")
    tables.track(name)
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     Tags=[{"Key": "owner", "Value": "cruddur"}])
    assert tags_of(ddb, arn_of(ddb, name)) == {"owner": "cruddur"}


def test_unknown_resource(ddb):
    """An ARN of this account and region naming no table. ResourceNotFoundException, as DynamoDB
    answers it today (ack-api-quirks findings DDB-TABLE-070/374, captured 2026: "ResourceArn";
    reports from 2018-2022 quote the older misspelling "ResourcArn"); TagResource and
    UntagResource the same (Scylla PR #26179, checked on DynamoDB)."""
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + unique_name("missing")
    want = ("ResourceNotFoundException", f"Requested resource not found: ResourceArn: {arn} not found")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn)
    assert err(e) == want
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert err(e) == want
    with pytest.raises(ClientError) as e:
        ddb.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert err(e) == want


TOO_MANY = "Number of Tags exceed the current limit for the provided ResourceArn"


def test_too_many_tags(ddb, table_h):
    """At most 50 tags, counted on the set the table would have after the request; replacing
    values at 50 is fine; no NextToken at 50. ValidationException, message and post-merge
    counting from ack-api-quirks DDB-TABLE-108 (checked on DynamoDB); the limit from AWS docs
    "Tagging restrictions in DynamoDB"."""
    arn = arn_of(ddb, table_h)
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn,
                         Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert err(e) == ("ValidationException", TOO_MANY)
    assert tags_of(ddb, arn) == {}
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    got = ddb.list_tags_of_resource(ResourceArn=arn)
    assert len(got["Tags"]) == 50 and "NextToken" not in got
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "new"},
                                                {"Key": "k50", "Value": "v"}])
    assert err(e) == ("ValidationException", TOO_MANY)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "w"} for i in range(50)])
    assert tags_of(ddb, arn) == {f"k{i}": "w" for i in range(50)}
    # UntagResource takes at most 50 keys too, though it only removes (DDB-TABLE-107).
    with pytest.raises(ClientError) as e:
        ddb.untag_resource(ResourceArn=arn, TagKeys=[f"k{i}" for i in range(51)])
    assert err(e) == ("ValidationException", TOO_MANY)
    assert len(tags_of(ddb, arn)) == 50


def test_create_table_with_too_many_tags(ddb, tables):
    """CreateTable holds its Tags to the same limit and creates no table (ack-api-quirks
    DDB-TABLE-110; Scylla test_tag.py test_too_long_tags_from_creation, run on DynamoDB). An
    empty Tags list is accepted there (DDB-TABLE-110)."""
    name = tables.track(unique_name("tagged"))
    spec = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    with pytest.raises(ClientError) as e:
        ddb.create_table(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)], **spec)
    assert err(e) == ("ValidationException", TOO_MANY)
    with pytest.raises(ClientError) as e:
        ddb.describe_table(TableName=name)
    assert err(e)[0] == "ResourceNotFoundException"
    ddb.create_table(Tags=[], **spec)
    assert tags_of(ddb, arn_of(ddb, name)) == {}


def test_lengths_are_counted_in_characters(ddb, table_h):
    """Keys of 1-128 and values of 0-256 Unicode characters, not bytes (AWS docs "Tagging
    restrictions in DynamoDB"; Scylla test_tag.py test_tag_key_length_128_allowed, run on
    DynamoDB). Messages from ack-api-quirks DDB-TABLE-107."""
    arn = arn_of(ddb, table_h)
    key, value = "é" * 128, "ж" * 256  # 256 and 512 bytes of UTF-8
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": value}])
    assert tags_of(ddb, arn) == {key: value}
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "é" * 129, "Value": "v"}])
    assert err(e) == ("ValidationException", "The Tag Key provided is invalid, Key: " + "é" * 129)
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "ж" * 257}])
    assert err(e) == ("ValidationException",
                      "The Tag Value provided is invalid, Value: " + "ж" * 257)
    with pytest.raises(ClientError) as e:
        ddb.untag_resource(ResourceArn=arn, TagKeys=["é" * 129])
    assert err(e) == ("ValidationException", "The Tag Key provided is invalid, Key: " + "é" * 129)


def test_missing_and_empty_key_or_value(ddb_nv, table_h):
    """A missing Key or Value, or an empty Key, is DynamoDB's tag error, "null" for a missing
    one; an empty Value is fine (ack-api-quirks DDB-TABLE-107/457; Scylla test_tag.py
    test_empty_tag_value/test_missing_tag_value, run on DynamoDB)."""
    arn = arn_of(ddb_nv, table_h)
    cases = [({"Value": "v"}, "The Tag Key provided is invalid, Key: null"),
             ({}, "The Tag Key provided is invalid, Key: null"),
             ({"Key": "k"}, "The Tag Value provided is invalid, Value: null"),
             ({"Key": "", "Value": "v"}, "The Tag Key provided is invalid, Key: ")]
    for tag, message in cases:
        with pytest.raises(ClientError) as e:
            ddb_nv.tag_resource(ResourceArn=arn, Tags=[tag])
        assert err(e) == ("ValidationException", message), tag
    with pytest.raises(ClientError) as e:
        ddb_nv.untag_resource(ResourceArn=arn, TagKeys=[""])
    assert err(e) == ("ValidationException", "The Tag Key provided is invalid, Key: ")
    ddb_nv.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": ""}])
    assert tags_of(ddb_nv, arn) == {"k": ""}


def test_allowed_characters(ddb, table_h):
    """Letters and numbers of any script, spaces (also no-break and ideographic), and
    + - = . _ : / @; nothing else (AWS docs "Tagging restrictions in DynamoDB"; the accepted and
    refused sets from ack-api-quirks DDB-TABLE-106/372, checked on DynamoDB)."""
    arn = arn_of(ddb, table_h)
    good = {"ключ": "café", "表": "a+b-c=d.e_f:g/h@i", "sp ace": "x\u00a0y\u3000z",
            " lead": "٣"}
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in good.items()])
    assert tags_of(ddb, arn) == good
    for bad in ["bad#char", "🔑", "100%", "a,b", 'it\'s "q"', "(x)[y]{z}", "a&b", "a*b", "a;b",
                "a?b", "a|b", "a\\b", "<a>", "~a", "tab\tkey"]:
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": bad, "Value": "v"}])
        assert err(e) == ("ValidationException", f"The Tag Key provided is invalid, Key: {bad}")
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": bad}])
        assert err(e) == ("ValidationException",
                          f"The Tag Value provided is invalid, Value: {bad}")
    assert tags_of(ddb, arn) == good


def test_aws_prefix_is_reserved(ddb, table_h):
    """Keys starting "aws:" in any case are refused, by UntagResource too; "myaws:" is fine
    (AWS docs "Tagging restrictions in DynamoDB"; messages from ack-api-quirks DDB-TABLE-105)."""
    arn = arn_of(ddb, table_h)
    for key in ["aws:foo", "AWS:foo", "Aws:x"]:
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": key, "Value": "v"}])
        assert err(e) == ("ValidationException",
                          f"Tag Key cannot be prefixed with aws:, Key: {key}")
    with pytest.raises(ClientError) as e:
        ddb.untag_resource(ResourceArn=arn, TagKeys=["aws:foo"])
    assert err(e) == ("ValidationException", "Tag Key cannot be prefixed with aws:, Key: aws:foo")
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "myaws:foo", "Value": "aws:ok"}])
    assert tags_of(ddb, arn) == {"myaws:foo": "aws:ok"}


def test_one_bad_tag_changes_nothing(ddb, table_h):
    """A request with a bad tag is refused whole: the good tags in it are not applied
    (ack-api-quirks DDB-TABLE-107, checked on DynamoDB)."""
    arn = arn_of(ddb, table_h)
    for bad in [{"Key": "x" * 129, "Value": "v"}, {"Key": "aws:zzz", "Value": "v"}]:
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "good", "Value": "v"}, bad])
        assert err(e)[0] == "ValidationException"
    assert tags_of(ddb, arn) == {}


def test_duplicate_keys_in_one_request(ddb, table_h):
    """The same key twice in one TagResource (ack-api-quirks DDB-TABLE-107: the message, and
    nothing stored)."""
    arn = arn_of(ddb, table_h)
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "dup", "Value": "1"},
                                                {"Key": "dup", "Value": "2"}])
    assert err(e) == ("ValidationException",
                      "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup")
    assert tags_of(ddb, arn) == {}


def test_empty_lists(ddb, table_h):
    """TagResource with Tags=[] and UntagResource with TagKeys=[] (DynamoDB's own wording,
    "Atleast": dynalite's tests, run on DynamoDB, and ack-api-quirks DDB-TABLE-107). The check
    comes before the table's existence (dynalite: an empty list on a missing table)."""
    arn = arn_of(ddb, table_h)
    missing = "arn:aws:dynamodb:us-east-1:000000000000:table/" + unique_name("missing")
    for target in [arn, missing]:
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=target, Tags=[])
        assert err(e) == ("ValidationException", "Atleast one Tag needs to be provided as Input.")
        with pytest.raises(ClientError) as e:
            ddb.untag_resource(ResourceArn=target, TagKeys=[])
        assert err(e) == ("ValidationException",
                          "Atleast one Tag Key needs to be provided as Input.")


def test_list_tags_does_not_page(ddb, table_h):
    """ListTagsOfResource takes a NextToken but does not page: the DynamoDB team's answer in
    aws/aws-sdk#583 ("ListTagsOfResource does not support pagination at the API level ... Tags
    are limited to 50 per resource"); no NextToken at 50 tags (ack-api-quirks DDB-TABLE-108)."""
    arn = arn_of(ddb, table_h)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}])
    got = ddb.list_tags_of_resource(ResourceArn=arn, NextToken="anything")
    assert got["Tags"] == [{"Key": "a", "Value": "1"}] and "NextToken" not in got


def invalid(message):
    return ("ValidationException", "One or more parameter values were invalid: " + message)


def test_malformed_and_foreign_arns(ddb, tables):
    """ResourceArn forms DynamoDB refuses before looking for the table, as ListTagsOfResource,
    TagResource and UntagResource answer them (ack-api-quirks DDB-TABLE-071/104 and its message
    catalogue, checked on DynamoDB in 2026): not an ARN; not DynamoDB's (another service, a
    backup); an index (Scylla test_tag.py test_tag_lsi_gsi: index ARNs are not taggable); another
    account (AccessDeniedException); another region; a table name DynamoDB cannot have (dynalite's
    tests, run on DynamoDB: "table/ab")."""
    name = tables.create(attrs={"g": "S"}, GlobalSecondaryIndexes=[{
        "IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    desc = ddb.describe_table(TableName=name)["Table"]
    arn, index_arn = desc["TableArn"], desc["GlobalSecondaryIndexes"][0]["IndexArn"]
    backup = f"{arn}/backup/01700000000000-abcdefgh"
    cases = [
        ("notanarn", invalid("ARNs must start with 'arn:': notanarn")),
        (name, invalid(f"ARNs must start with 'arn:': {name}")),
        ("arn:aws:s3:::bucket", invalid("Provided Arn is not a DynamoDB resource arn: "
                                        "arn:aws:s3:::bucket")),
        (backup, invalid(f"Provided Arn is not a DynamoDB resource arn: {backup}")),
        (index_arn, invalid("Invalid resource arn provided, only table or stream is accepted. "
                            f"Provided resource arn: {index_arn}")),
        (arn.replace(":000000000000:", ":111122223333:"),
         ("AccessDeniedException", "Access is denied")),
        (arn.replace(":us-east-1:", ":eu-west-1:"),
         ("ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input "
          + arn.replace(":us-east-1:", ":eu-west-1:"))),
        ("arn:aws:dynamodb:us-east-1:000000000000:table/ab",
         ("ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input "
          "arn:aws:dynamodb:us-east-1:000000000000:table/ab")),
    ]
    for bad, want in cases:
        with pytest.raises(ClientError) as e:
            ddb.list_tags_of_resource(ResourceArn=bad)
        assert err(e) == want, bad
        with pytest.raises(ClientError) as e:
            ddb.tag_resource(ResourceArn=bad, Tags=[{"Key": "k", "Value": "v"}])
        assert err(e) == want, bad
        with pytest.raises(ClientError) as e:
            ddb.untag_resource(ResourceArn=bad, TagKeys=["k"])
        assert err(e) == want, bad
    assert tags_of(ddb, arn) == {}


def test_arn_missing_its_colons(ddb):
    """An "arn:" string short of its six parts. Inferred, not seen on DynamoDB: DynamoDB's
    "ARNs must start with 'arn:': x" is the wording of AWS's shared ARN parser, whose other
    messages (here) are the ones DAX answers (moto's test_dax.py
    test_create_cluster_invalid_arn, copied from AWS)."""
    cases = {"arn:sth": "Second colon partition not found: ",
             "arn:aws:dynamodb": "Third colon vendor not found: ",
             "arn:aws:dynamodb:us-east-1": "Fourth colon (region/namespace delimiter) not found: ",
             "arn:aws:dynamodb:us-east-1:000000000000":
                 "Fifth colon (namespace/relative-id delimiter) not found: "}
    for bad, why in cases.items():
        with pytest.raises(ClientError) as e:
            ddb.list_tags_of_resource(ResourceArn=bad)
        assert err(e) == invalid(why + bad)


def test_stream_arn_is_not_found(ddb, tables):
    """A stream ARN passes DynamoDB's resource-type check ("only table or stream is accepted")
    and is then not found (ack-api-quirks DDB-TABLE-071: ResourceNotFoundException)."""
    name = tables.create(StreamSpecification={"StreamEnabled": True,
                                              "StreamViewType": "KEYS_ONLY"})
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=stream)
    assert err(e) == ("ResourceNotFoundException",
                      f"Requested resource not found: ResourceArn: {stream} not found")
