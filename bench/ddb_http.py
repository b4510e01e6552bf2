"""What bench's Python clients (seed.py, pitr.py) send a DynamoDB endpoint over plain
http.client: the header fields of a request, with the same well-formed, unverified SigV4 header
as bench/wrk/common.lua, and the CreateTable of the benchmarks' tables."""

AUTH = ("AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=00")


def headers(op):
    """The header fields of a DynamoDB JSON request for `op` ("PutItem", ...)."""
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810." + op,
        "X-Amz-Date": "20240101T000000Z",
        "Authorization": AUTH,
    }


def create_table_request(table):
    """CreateTable of an on-demand table keyed by pk (HASH) and sk (RANGE), both strings."""
    return {
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
