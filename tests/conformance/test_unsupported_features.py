"""Resource-based policies, and the operations of features one local server cannot provide.

Put/Get/DeleteResourcePolicy are newer than Debian's botocore, so they are sent raw. The refused
operations (Kinesis streaming destinations, replica auto scaling) must never answer a fake
success: DynamoDB would have streamed or scaled something that nothing here does.
The legacy global tables' operations answer as DynamoDB does, where none can exist either.
"""

import json

import pytest

from ddbtest import err, error_message, error_type, make_client, raw_call, unique_name

source = pytest.mark.source
REFUSED = source("question: cruddur's own refusal (a ValidationException naming the feature) "
                 "where DynamoDB provides the feature; DynamoDB Local answers "
                 "UnknownOperationException or fakes some of them")
POLICY_DOCS = source("docs: PutResourcePolicy / GetResourcePolicy / DeleteResourcePolicy API "
                     "reference (RevisionId, ExpectedRevisionId, PolicyNotFoundException)")

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "dynamodb:GetItem", "Resource": "*"}]})


@REFUSED
@pytest.mark.parametrize("call", [
    lambda c: c.enable_kinesis_streaming_destination(TableName="tbl", StreamArn="arn:aws:x"),
    lambda c: c.describe_kinesis_streaming_destination(TableName="tbl"),
    lambda c: c.describe_table_replica_auto_scaling(TableName="tbl"),
])
def test_features_that_cannot_be_provided_are_refused_by_name(ddb_nv, call):
    """Each answers a ValidationException that names the operation and the feature."""
    with pytest.raises(Exception) as e:
        call(ddb_nv)
    code, message = err(e)
    assert code == "ValidationException"
    assert "is not supported by cruddur's local DynamoDB" in message


@source("ddb-answer: the legacy global tables' operations as DynamoDB answered them in 2026, "
        "when none can be created (ack-api-quirks dynamodb DDB-GLOBALTABLE-002/004); DynamoDB "
        "Local answers otherwise")
def test_legacy_global_tables_answer_as_dynamodb_does(ddb_nv, endpoint, table_h):
    """ListGlobalTables is empty; DescribeGlobalTable, the settings operations and an
    UpdateGlobalTable Delete find no global table of that name, a regional table's name alike;
    an UpdateGlobalTable Create is refused for the version before that, and no replica update
    at all is invalid."""
    assert ddb_nv.list_global_tables()["GlobalTables"] == []
    for name in (table_h, "no-such-table"):
        with pytest.raises(Exception) as e:
            ddb_nv.describe_global_table(GlobalTableName=name)
        assert err(e) == ("GlobalTableNotFoundException",
                          f"Global table not found: Global table with name: '{name}' does not "
                          "exist.")
        for call in (lambda: ddb_nv.describe_global_table_settings(GlobalTableName=name),
                     lambda: ddb_nv.update_global_table_settings(
                         GlobalTableName=name, GlobalTableBillingMode="PAY_PER_REQUEST"),
                     lambda: ddb_nv.update_global_table(GlobalTableName=name, ReplicaUpdates=[
                         {"Delete": {"RegionName": "eu-west-1"}}])):
            with pytest.raises(Exception) as e:
                call()
            assert err(e) == ("GlobalTableNotFoundException",
                              f"Global table with name: '{name}' does not exist.")
    status, body = raw_call(endpoint, "UpdateGlobalTable",
                            {"GlobalTableName": table_h, "ReplicaUpdates": []})
    assert (status, error_type(body), error_message(body)) == (
        400, "ValidationException", "One or more parameter values were invalid")


@REFUSED
def test_kinesis_update_is_refused_too(endpoint):
    """UpdateKinesisStreamingDestination (newer than this botocore) is refused the same way."""
    status, body = raw_call(endpoint, "UpdateKinesisStreamingDestination",
                            {"TableName": "tbl", "StreamArn": "arn:aws:kinesis:x"})
    assert status == 400
    assert error_type(body) == "ValidationException"
    assert "Kinesis streaming destinations" in error_message(body)


@POLICY_DOCS
def test_resource_policy_is_stored_returned_and_deleted(unlimited_endpoint):
    """PutResourcePolicy answers a RevisionId; GetResourcePolicy returns the policy as put with
    that RevisionId; ExpectedRevisionId must match the current one (else
    PolicyNotFoundException); DeleteResourcePolicy removes it. (Changes follow one another
    within DynamoDB's 15 s: a server with --no-update-limits.)"""
    endpoint = unlimited_endpoint
    ddb = make_client(endpoint)
    table_h = unique_name("policy")
    ddb.create_table(TableName=table_h, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    arn = ddb.describe_table(TableName=table_h)["Table"]["TableArn"]
    status, body = raw_call(endpoint, "GetResourcePolicy", {"ResourceArn": arn})
    assert (status, error_type(body)) == (400, "PolicyNotFoundException")

    status, put = raw_call(endpoint, "PutResourcePolicy", {"ResourceArn": arn, "Policy": POLICY})
    assert status == 200, put
    status, got = raw_call(endpoint, "GetResourcePolicy", {"ResourceArn": arn})
    assert status == 200
    assert got == {"Policy": POLICY, "RevisionId": put["RevisionId"]}

    status, body = raw_call(endpoint, "PutResourcePolicy",
                            {"ResourceArn": arn, "Policy": POLICY, "ExpectedRevisionId": "1"})
    assert (status, error_type(body)) == (400, "PolicyNotFoundException")
    other = POLICY.replace("GetItem", "Query")
    status, again = raw_call(endpoint, "PutResourcePolicy",
                             {"ResourceArn": arn, "Policy": other,
                              "ExpectedRevisionId": put["RevisionId"]})
    assert status == 200 and again["RevisionId"] != put["RevisionId"]

    status, deleted = raw_call(endpoint, "DeleteResourcePolicy", {"ResourceArn": arn})
    assert status == 200 and deleted["RevisionId"] == again["RevisionId"]
    status, body = raw_call(endpoint, "GetResourcePolicy", {"ResourceArn": arn})
    assert (status, error_type(body)) == (400, "PolicyNotFoundException")


@POLICY_DOCS
def test_resource_policy_of_a_missing_table(endpoint):
    """A table that does not exist: ResourceNotFoundException."""
    status, body = raw_call(endpoint, "PutResourcePolicy", {
        "ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/no-such-table-x",
        "Policy": POLICY})
    assert (status, error_type(body)) == (400, "ResourceNotFoundException")


@source("ddb-answer: PutResourcePolicy's refusals of malformed documents in DynamoDB's words, as "
        "recorded in 2026 (ack-api-quirks dynamodb DDB-TABLE-457 and its catalogue of messages)")
def test_policy_document_refusals_in_dynamodb_words(endpoint, table_h, ddb):
    """An array, null, an empty Statement list, a statement without Effect or without Resource,
    and two statements with one Sid."""
    arn = ddb.describe_table(TableName=table_h)["Table"]["TableArn"]
    allow = json.loads(POLICY)["Statement"][0]
    no_resource = {k: v for k, v in allow.items() if k != "Resource"}
    prefix = "One or more parameter values were invalid: Invalid policy document: "
    for policy, why in [
            ("[]", "This policy contains invalid Json"),
            ("null", "This text appears not to be a policy"),
            (json.dumps({"Version": "2012-10-17", "Statement": []}),
             "Could not parse the policy: Statement is empty!"),
            (json.dumps({"Version": "2012-10-17", "Statement": [{}]}),
             "Missing required field Effect"),
            (json.dumps({"Version": "2012-10-17", "Statement": [no_resource]}),
             "Missing required field Resource"),
            (json.dumps({"Version": "2012-10-17", "Statement": [dict(allow, Sid="a"),
                                                                 dict(allow, Sid="a")]}),
             "The Statement Ids in the policy are not unique")]:
        status, body = raw_call(endpoint, "PutResourcePolicy", {"ResourceArn": arn,
                                                                "Policy": policy})
        assert (status, error_type(body), error_message(body)) == (
            400, "ValidationException", prefix + why), policy
