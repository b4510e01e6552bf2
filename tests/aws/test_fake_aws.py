"""The fakes are checked against boto3 itself: the real SDK's requests are accepted and its
parsers read the answers, and requests that a real endpoint would refuse are refused."""

import boto3
import botocore.exceptions
import pytest
import urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from fake_aws import ACCESS_KEY, SECRET_KEY, FakeAws, make_user


@pytest.fixture
def fake():
    with FakeAws(page_size=2) as server:
        server.pools["us-east-1_P"] = [make_user(f"user{i}") for i in range(5)]
        server.security_groups["sg-1"] = {"sgr-1": {}}
        yield server


def client(fake, service):
    return boto3.client(service, endpoint_url=fake.url, region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def test_boto3_lists_every_page(fake):
    cognito = client(fake, "cognito-idp")
    pages = list(cognito.get_paginator("list_users").paginate(UserPoolId="us-east-1_P"))
    assert [len(p["Users"]) for p in pages] == [2, 2, 1]
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.list_users(UserPoolId="us-east-1_X")


def test_boto3_modifies_a_rule(fake):
    ec2 = client(fake, "ec2")
    answer = ec2.modify_security_group_rules(GroupId="sg-1", SecurityGroupRules=[{
        "SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIpv4": "192.0.2.1/32",
            "Description": "GITPOD"}}])
    assert answer["Return"] is True
    with pytest.raises(botocore.exceptions.ClientError) as error:
        ec2.modify_security_group_rules(GroupId="sg-2", SecurityGroupRules=[
            {"SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": {"IpProtocol": "tcp"}}])
    assert error.value.response["Error"]["Code"] == "InvalidGroup.NotFound"


def signed_post(fake, service, body, headers, secret=SECRET_KEY):
    request = AWSRequest(method="POST", url=fake.url + "/", data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, secret), service, "us-east-1").add_auth(request)
    prepared = urllib.request.Request(fake.url + "/", data=body, method="POST",
                                      headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_fake_refuses_misnamed_members_and_bad_signatures(fake):
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    body = (b"Action=ModifySecurityGroupRules&Version=2016-11-15&GroupId=sg-1"
            b"&SecurityGroupRule.1.SecurityGroupRuleId=sgr-1"
            b"&SecurityGroupRule.1.SecurityGroupRule.CidrIp=192.0.2.1%2F32")
    status, text = signed_post(fake, "ec2", body, form)
    assert status == 400 and "UnknownParameter" in text
    good = body.replace(b"CidrIp=", b"CidrIpv4=")
    assert signed_post(fake, "ec2", good, form)[0] == 200
    status, text = signed_post(fake, "ec2", good, form, secret="other")
    assert status == 401 and "AuthFailure" in text
    status, text = signed_post(fake, "cognito-idp", good, form)  # wrong service in the scope
    assert status == 401 and "scoped to correct service" in text
