"""TagResource, UntagResource, ListTagsOfResource, and CreateTable's Tags."""
import pytest
from botocore.exceptions import ClientError

from ddbtest import err, unique_name
from provenance import TAGGING


def arn_of(ddb, table):
    return ddb.describe_table(TableName=table)["Table"]["TableArn"]


def tags_of(ddb, arn):
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


@TAGGING
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


@TAGGING
def test_create_table_with_tags(ddb, tables):
    name = unique_name("tagged")
    tables.track(name)
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     Tags=[{"Key": "owner", "Value": "cruddur"}])
    assert tags_of(ddb, arn_of(ddb, name)) == {"owner": "cruddur"}


@TAGGING
def test_unknown_resource(ddb):
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + unique_name("missing")
    with pytest.raises(ClientError) as e:
        ddb.list_tags_of_resource(ResourceArn=arn)
    assert err(e) == ("ResourceNotFoundException",
                      f"Requested resource not found: ResourcArn: {arn} not found")
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "b"}])
    assert err(e)[0] == "ResourceNotFoundException"


@TAGGING
def test_too_many_tags(ddb, table_h):
    arn = arn_of(ddb, table_h)
    with pytest.raises(ClientError) as e:
        ddb.tag_resource(ResourceArn=arn,
                         Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    assert err(e)[0] == "ValidationException"
    assert tags_of(ddb, arn) == {}
