"""Resource-based policies enforced for the principals of `ddb serve --auth` keys.

The server holds three keys: the suite's own (the tables' administrator, an IAM user of the
tables' account), bob's (another user of that account) and carol's (a user of account
111122223333: cross-account). A same-account principal has no identity-based policies here and
is allowed unless a policy denies it; a cross-account one needs an Allow of the table's policy.
Put/Get/DeleteResourcePolicy are newer than Debian's botocore, so they are sent raw.
"""

import json

import boto3
import pytest
from botocore.config import Config

from ddbtest import (ACCESS_KEY, REGION, SECRET_KEY, err, error_message, error_type, own_server,
                     raw_call, unique_name, wait_table_active)

source = pytest.mark.source
EVALUATION = source(
    "docs: IAM User Guide 'Policy evaluation logic' (an explicit Deny wins; cross-account "
    "access needs an Allow of the resource-based policy) and DynamoDB 'Using resource-based "
    "policies' (a table's policy covers its indexes; 'Authorization with IAM identity-based "
    "policies and DynamoDB resource-based policies'); messages as IAM's 'Troubleshooting access "
    "denied error messages' words them")
CONDITIONS = source(
    "docs: DynamoDB 'Using IAM policy conditions for fine-grained access control' "
    "(dynamodb:LeadingKeys is the partition key value of the items a request touches) and IAM's "
    "condition operators and set qualifiers (ForAnyValue)")
VALIDATION = source(
    "ddb-answer: PutResourcePolicy refuses an action a resource-based policy cannot hold with "
    "'One or more parameter values were invalid: Invalid policy document: The following action "
    "names are invalid: \"dynamodb:ListStreams\"' (aws-controllers-k8s/dynamodb-controller#176, "
    "DynamoDB's answer)")

ACCOUNT = "000000000000"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/{ACCESS_KEY}"
BOB = f"arn:aws:iam::{ACCOUNT}:user/BOBKEY"
CAROL = "arn:aws:iam::111122223333:user/carol"


@pytest.fixture(scope="module")
def policy_endpoint(tmp_path_factory, foreign_endpoint):
    with own_server(foreign_endpoint, tmp_path_factory,
                    ["--in-memory", "--auth", f"{ACCESS_KEY}:{SECRET_KEY}",
                     "--auth", "BOBKEY:bob-secret",
                     "--auth", f"CAROLKEY:carol-secret:{CAROL}", "--no-update-limits"],
                    "starts its own cruddur server with several --auth keys") as server:
        yield server.endpoint


def client(endpoint, key, secret):
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


@pytest.fixture(scope="module")
def admin(policy_endpoint):
    return client(policy_endpoint, ACCESS_KEY, SECRET_KEY)


@pytest.fixture(scope="module")
def bob(policy_endpoint):
    return client(policy_endpoint, "BOBKEY", "bob-secret")


@pytest.fixture(scope="module")
def carol(policy_endpoint):
    return client(policy_endpoint, "CAROLKEY", "carol-secret")


@pytest.fixture
def table(admin):
    """A table (hash key pk, a GSI byOwner on owner) whose ARN is returned; deleted at the end."""
    name = unique_name("rbp")
    admin.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "owner", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "byOwner", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}]}])
    arn = wait_table_active(admin, name)["TableArn"]
    yield arn
    admin.delete_table(TableName=name)


def put_policy(endpoint, arn, *statements):
    status, body = raw_call(endpoint, "PutResourcePolicy", {
        "ResourceArn": arn,
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})})
    assert status == 200, body


def denied(call):
    with pytest.raises(Exception) as e:
        call()
    code, message = err(e)
    assert code == "AccessDeniedException", message
    return message


def explicit_deny(principal, action, resource):
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            "with an explicit deny in a resource-based policy")


def no_allow(principal, action, resource):
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            f"because no resource-based policy allows the {action} action")


@EVALUATION
def test_deny_of_one_principal_leaves_the_others(policy_endpoint, admin, bob, table):
    """A Deny naming bob's ARN refuses his PutItem with IAM's explicit-deny message; his other
    actions and the administrator's PutItem still run."""
    put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": {"AWS": BOB},
                                        "Action": "dynamodb:PutItem", "Resource": table})
    admin.put_item(TableName=table, Item={"pk": {"S": "a"}})
    message = denied(lambda: bob.put_item(TableName=table, Item={"pk": {"S": "b"}}))
    assert message == explicit_deny(BOB, "dynamodb:PutItem", table)
    assert bob.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    assert "Item" not in admin.get_item(TableName=table, Key={"pk": {"S": "b"}})


@EVALUATION
def test_cross_account_principal_needs_an_allow(policy_endpoint, admin, carol, table):
    """Carol (another account) reaches the table by its ARN only with an Allow of its policy,
    and only for the actions the Allow names."""
    admin.put_item(TableName=table, Item={"pk": {"S": "k"}})
    message = denied(lambda: carol.get_item(TableName=table, Key={"pk": {"S": "k"}}))
    assert message == no_allow(CAROL, "dynamodb:GetItem", table)

    put_policy(policy_endpoint, table, {"Effect": "Allow", "Principal": {"AWS": CAROL},
                                        "Action": ["dynamodb:Get*", "dynamodb:DescribeTable"],
                                        "Resource": table})
    assert carol.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"] == {"pk": {"S": "k"}}
    assert carol.describe_table(TableName=table)["Table"]["TableArn"] == table
    message = denied(lambda: carol.put_item(TableName=table, Item={"pk": {"S": "x"}}))
    assert message == no_allow(CAROL, "dynamodb:PutItem", table)


@EVALUATION
def test_deny_on_the_tables_indexes(policy_endpoint, bob, table):
    """A Deny on table/<name>/index/* refuses a Query of the index (its ARN in the message) and
    leaves a Query of the table itself."""
    put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": "*",
                                        "Action": "dynamodb:Query",
                                        "Resource": table + "/index/*"})
    query = {"TableName": table, "KeyConditionExpression": "#o = :o",
             "ExpressionAttributeNames": {"#o": "owner"},
             "ExpressionAttributeValues": {":o": {"S": "bob"}}}
    message = denied(lambda: bob.query(IndexName="byOwner", **query))
    assert message == explicit_deny(BOB, "dynamodb:Query", table + "/index/byOwner")
    assert bob.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "x"}})["Count"] == 0


@CONDITIONS
def test_deny_conditioned_on_leading_keys(policy_endpoint, bob, table):
    """A Deny with ForAnyValue:StringLike on dynamodb:LeadingKeys refuses the writes and reads
    of partition keys it matches, in item operations and a Query alike."""
    put_policy(policy_endpoint, table, {
        "Effect": "Deny", "Principal": {"AWS": BOB}, "Action": "dynamodb:*", "Resource": table,
        "Condition": {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["admin-*"]}}})
    bob.put_item(TableName=table, Item={"pk": {"S": "user-1"}})
    message = denied(lambda: bob.put_item(TableName=table, Item={"pk": {"S": "admin-1"}}))
    assert message == explicit_deny(BOB, "dynamodb:PutItem", table)
    denied(lambda: bob.get_item(TableName=table, Key={"pk": {"S": "admin-1"}}))
    denied(lambda: bob.query(TableName=table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "admin-2"}}))
    assert bob.query(TableName=table, KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": {"S": "user-1"}})["Count"] == 1


@EVALUATION
def test_deleting_the_policy_restores_access(policy_endpoint, bob, table):
    """Once DeleteResourcePolicy removes a Deny, the principal it named may act again."""
    put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": {"AWS": BOB},
                                        "Action": "dynamodb:*", "Resource": table})
    denied(lambda: bob.put_item(TableName=table, Item={"pk": {"S": "p"}}))
    status, body = raw_call(policy_endpoint, "DeleteResourcePolicy", {"ResourceArn": table})
    assert status == 200, body
    bob.put_item(TableName=table, Item={"pk": {"S": "p"}})


@EVALUATION
def test_batch_with_one_denied_table_fails_whole(policy_endpoint, admin, bob, table):
    """BatchWriteItem is authorized on every table it names: one denying table refuses the
    whole request (dynamodb:BatchWriteItem on that table), and nothing is written to the
    other."""
    other = unique_name("rbp")
    admin.create_table(TableName=other, BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    try:
        wait_table_active(admin, other)
        put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": {"AWS": BOB},
                                            "Action": "dynamodb:BatchWriteItem",
                                            "Resource": table})
        writes = {name: [{"PutRequest": {"Item": {"pk": {"S": "w"}}}}]
                  for name in (other, table)}
        message = denied(lambda: bob.batch_write_item(RequestItems=writes))
        assert message == explicit_deny(BOB, "dynamodb:BatchWriteItem", table)
        assert "Item" not in admin.get_item(TableName=other, Key={"pk": {"S": "w"}})
        assert admin.batch_write_item(RequestItems=writes)["UnprocessedItems"] == {}
    finally:
        admin.delete_table(TableName=other)


@EVALUATION
def test_transaction_items_are_authorized_as_their_actions(policy_endpoint, bob, table):
    """TransactWriteItems needs the action of each item (a Deny of dynamodb:DeleteItem refuses a
    transaction holding a Delete, not one of Puts)."""
    put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": "*",
                                        "Action": "dynamodb:DeleteItem", "Resource": table})
    bob.transact_write_items(TransactItems=[{"Put": {"TableName": table,
                                                     "Item": {"pk": {"S": "t"}}}}])
    message = denied(lambda: bob.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "u"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "t"}}}}]))
    assert message == explicit_deny(BOB, "dynamodb:DeleteItem", table)


@EVALUATION
def test_partiql_statements_are_their_partiql_actions(policy_endpoint, admin, bob, table):
    """A PartiQL SELECT is dynamodb:PartiQLSelect on its table: denied by a Deny of that action
    while GetItem still reads the item."""
    admin.put_item(TableName=table, Item={"pk": {"S": "q"}})
    put_policy(policy_endpoint, table, {"Effect": "Deny", "Principal": {"AWS": BOB},
                                        "Action": "dynamodb:PartiQLSelect", "Resource": table})
    statement = f'SELECT * FROM "{table.split("/")[-1]}" WHERE pk = \'q\''
    message = denied(lambda: bob.execute_statement(Statement=statement))
    assert message == explicit_deny(BOB, "dynamodb:PartiQLSelect", table)
    assert admin.execute_statement(Statement=statement)["Items"] == [{"pk": {"S": "q"}}]
    assert bob.get_item(TableName=table, Key={"pk": {"S": "q"}})["Item"] == {"pk": {"S": "q"}}


@VALIDATION
def test_put_resource_policy_refuses_invalid_actions(policy_endpoint, table):
    """An action no resource-based policy can hold (ListStreams acts on no table) is refused by
    name."""
    status, body = raw_call(policy_endpoint, "PutResourcePolicy", {
        "ResourceArn": table,
        "Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": CAROL},
            "Action": ["dynamodb:GetItem", "dynamodb:ListStreams"], "Resource": table}]})})
    assert (status, error_type(body)) == (400, "ValidationException")
    assert error_message(body) == ("One or more parameter values were invalid: Invalid policy "
                                   "document: The following action names are invalid: "
                                   "\"dynamodb:ListStreams\"")


@source("question: cruddur's own: without --auth there is no identity to evaluate a policy "
        "for, so policies are stored and returned but not enforced (as DynamoDB Local, which "
        "has no IAM)")
def test_without_auth_policies_are_not_enforced(endpoint, foreign_endpoint, ddb, table_h):
    """The suite's default server has no --auth: a Deny of everything is stored, not applied."""
    if foreign_endpoint:
        pytest.skip("depends on how the foreign server was started")
    arn = ddb.describe_table(TableName=table_h)["Table"]["TableArn"]
    put_policy(endpoint, arn, {"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*",
                               "Resource": "*"})
    ddb.put_item(TableName=table_h, Item={"pk": {"S": "still"}})
    assert ddb.get_item(TableName=table_h, Key={"pk": {"S": "still"}})["Item"]["pk"]["S"] == "still"
