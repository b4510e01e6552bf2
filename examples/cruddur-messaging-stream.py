#!/usr/bin/env python3
"""The original Cruddur's access pattern D Lambda (aws/lambdas/cruddur-messaging-stream.py), run as
a cruddur stream trigger:

    cruddur ddb trigger add cruddur-messages \
        --command "python3 examples/cruddur-messaging-stream.py"

Adapted from the Lambda in three ways only: the event comes on stdin (a trigger's command gets
Lambda's event there), DynamoDB is the endpoint the trigger runner names in AWS_ENDPOINT_URL
(not ca-central-1), and every record of the batch is handled (the Lambda read only Records[0]).
It keeps the Lambda's delete-then-put of the group items, which is not atomic (cruddur's own
consumer in `cruddur serve` does this with conditional writes instead).
"""
import json
import os
import sys

import boto3
from boto3.dynamodb.conditions import Key

dynamodb = boto3.resource(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
)


def handle(record):
    print("event-data", record["eventID"], file=sys.stderr)
    if record["eventName"] == "REMOVE":
        print("skip REMOVE event", file=sys.stderr)
        return
    pk = record["dynamodb"]["Keys"]["pk"]["S"]
    sk = record["dynamodb"]["Keys"]["sk"]["S"]
    if not pk.startswith("MSG#"):
        return
    group_uuid = pk.replace("MSG#", "")
    message = record["dynamodb"]["NewImage"]["message"]["S"]
    print("GRUP ===>", group_uuid, message, file=sys.stderr)

    table = dynamodb.Table(os.environ.get("DDB_MESSAGE_TABLE", "cruddur-messages"))
    data = table.query(
        IndexName="message-group-sk-index",
        KeyConditionExpression=Key("message_group_uuid").eq(group_uuid),
    )
    # recreate the message group rows with new SK value
    for i in data["Items"]:
        table.delete_item(Key={"pk": i["pk"], "sk": i["sk"]})
        table.put_item(
            Item={
                "pk": i["pk"],
                "sk": sk,
                "message_group_uuid": i["message_group_uuid"],
                "message": message,
                "user_display_name": i["user_display_name"],
                "user_handle": i["user_handle"],
                "user_uuid": i["user_uuid"],
            }
        )
        print("CREATE ===>", i["pk"], sk, file=sys.stderr)


def lambda_handler(event, context):
    for record in event["Records"]:
        handle(record)


if __name__ == "__main__":
    lambda_handler(json.load(sys.stdin), None)
