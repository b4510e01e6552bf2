"""Where a test's expectation comes from, for tests that another DynamoDB-compatible server fails.

Each constant is a `@pytest.mark.source("KIND: reason")` (see conftest.py) shared by the tests of
one group, so that scripts/conformance-vs-ddblocal.sh can count failures by their reason. KIND:
- docs: AWS documentation says so (URL or section named);
- ddb-answer: DynamoDB was seen answering so (recorded by others, or dynalite, modelled on
  DynamoDB's messages, agrees), where DynamoDB Local answers otherwise;
- ddblocal-deviation: DynamoDB Local is known to differ from DynamoDB here;
- question: unsettled; DynamoDB Local's answer may be DynamoDB's and the test's the wrong one.
  To settle from the documentation or a DynamoDB answer; neither side is to be copied meanwhile.
  Also cruddur's own deliberate answers where DynamoDB is known to answer otherwise (said so).
Tests that fail for one reason of their own carry their marker inline.
"""

import pytest

source = pytest.mark.source

MISSING_TABLE = source(
    "ddb-answer: missing table: DynamoDB says 'Requested resource not found' (DescribeTable and "
    "DeleteTable add ': Table: <name> not found'; dynalite agrees); DynamoDB Local says 'Cannot "
    "do operations on a non-existent table'")

CREATE_TABLE_WORDING = source(
    "ddb-answer: CreateTable refusals in DynamoDB's words ('One or more parameter values were "
    "invalid: ...', 'Table already exists: <name>', ...; dynalite agrees, and DynamoDB was "
    "captured in 2026 with the PROVISIONED-without-throughput one); DynamoDB Local words each "
    "its own way (e.g. 'Two keys can not have the same name')")

CONSTRAINT_WORDING = source(
    "ddb-answer: DynamoDB's generic constraint message ('1 validation error detected: Value ... "
    "at '<member>' failed to satisfy constraint: ...'; captured from DynamoDB in 2026 for "
    "BatchWriteItem over 25 and bad table-name characters); DynamoDB Local words each limit its "
    "own way (e.g. 'Limit must be greater than or equal to 1')")

KEY_WORDING = source(
    "ddb-answer: key checks in DynamoDB's words ('The provided key element does not match the "
    "schema', 'Missing the key <k> in the item', 'Type mismatch for key <k> expected: S actual: "
    "N', key size limits; dynalite agrees, ScyllaDB's Alternator tests record the range-key one); "
    "DynamoDB Local says e.g. 'One of the required keys was not given a value'")

ITEM_VALUE_WORDING = source(
    "ddb-answer: item value checks in DynamoDB's words ('The parameter cannot be converted to a "
    "numeric value', 'Attempting to store more than 38 significant digits in a Number', "
    "'ReturnValues can only be ALL_OLD or NONE'; dynalite agrees); DynamoDB Local words them its "
    "own way")

QUERY_WORDING = source(
    "ddb-answer: Query checks in DynamoDB's words ('Query condition missed key schema element: "
    "<k>', 'The provided starting key is invalid', 'KeyConditionExpressions cannot have "
    "conditions on nested attributes'; dynalite agrees); DynamoDB Local words them its own way")

SEGMENT_WORDING = source(
    "ddb-answer: parallel Scan parameter checks in DynamoDB's words ('The Segment parameter is "
    "zero-based and must be less than parameter TotalSegments...', '... is required but was not "
    "present in the request when ...'; dynalite agrees); DynamoDB Local words them its own way")

RESERVED_SIZE = source(
    "docs: SIZE is a reserved word "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html); "
    "DynamoDB Local takes a bare `size` as an attribute name")

PROTOCOL = source(
    "ddb-answer: wire-protocol errors as DynamoDB sends them (SerializationException for bad "
    "JSON, UnknownOperationException for an unknown target, MissingAuthenticationTokenException "
    "'Request is missing Authentication Token', an x-amz-crc32 header that botocore checks); "
    "DynamoDB Local answers 500, InvalidAction, MissingAuthenticationToken, no x-amz-crc32")

EXPRESSION_SIZE = source(
    "ddb-answer: 'Invalid <Kind>: Expression size has exceeded the maximum allowed size; "
    "expression size: N' (DynamoDB's answer as quoted by its users); DynamoDB Local leaves out "
    "'; expression size: N'")

DDBLOCAL_FAILS_500 = source(
    "ddblocal-deviation: DynamoDB Local fails with HTTP 500 (InternalFailure) on deeply nested "
    "PartiQL, a 20,000-deep JSON body and PartiQL SELECT ... ORDER BY, where DynamoDB answers")

TAGGING = source(
    "ddblocal-deviation: DynamoDB Local has no tagging (UnknownOperationException 'Tagging is not "
    "currently supported in DynamoDB Local.'; CreateTable's Tags are ignored)")

THROUGHPUT_IGNORED = source(
    "ddblocal-deviation: documented (DynamoDB Local usage notes, Differences: provisioned "
    "throughput settings are ignored): it accepts ProvisionedThroughput with PAY_PER_REQUEST")

TABLE_NAME_LENGTH = source(
    "ddb-answer: DynamoDB was captured in 2026 (four regions, nubo-db/dynamodb-conformance "
    "captures/cross-region-latest.json) answering CreateTable 'ab' with '1 validation error "
    "detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length "
    "greater than or equal to 3'; DynamoDB Local says 'Invalid table/index name. ...'")

ERROR_ENVELOPE = source(
    "ddb-answer: the error envelope as DynamoDB sends it (__type namespaces com.amazon.coral."
    "validate#, com.amazon.coral.service# and com.amazonaws.dynamodb.v20120810#; 'message' but "
    "for SerializationException and TransactionCanceledException; bodies quoted in AdRoll/goamz"
    "#15, sebdah/dynamic-dynamodb#321, pynamodb/PynamoDB#872, aws/aws-sdk-net#1292); DynamoDB "
    "Local writes 'Message' in every error and puts protocol errors in the dynamodb namespace")

SERIALIZATION = source(
    "ddb-answer: a JSON number where a string belongs is a SerializationException before any "
    "validation ('NUMBER_VALUE cannot be converted to String', DynamoDB's answer in localstack/"
    "localstack#9412; dynalite's record inside an AttributeValue); DynamoDB Local converts the "
    "number to a string and validates on")

COLLECTED_VIOLATIONS = source(
    "ddb-answer: DynamoDB checks a request against its input shape before the table and collects "
    "every violation, up to ten, into one 'N validation errors detected: ...' (dynalite's "
    "test/query.js and validations, recorded from DynamoDB; ExtendDB#192 on the order; "
    "botocore's model for the members); DynamoDB Local reports its first check only, in its own "
    "words, or looks the table up first")

EXISTING_TABLE_NAME = source(
    "ddb-answer: an existing table's TableName is a name or ARN of 1 to 255 characters (DynamoDB "
    "captured in 2026 in four regions, nubo-db/dynamodb-conformance captures/cross-region-"
    "latest.json, probes s_put_table_*); DynamoDB Local holds it to CreateTable's 3..255 rule "
    "('Invalid table/index name. ...')")

HTTP_FRONT_END = source(
    "ddb-answer: DynamoDB's HTTP front end (Server: Server, 400 only beyond 16 KB of request line "
    "and headers, 'healthy: ...' at GET /, CORS fields for an Origin; ScyllaDB's Alternator tests "
    "run against DynamoDB, ScyllaDB PR 23442, dynalite, AllanZhengYP/cors-test's capture); "
    "DynamoDB Local's Jetty answers Server: Jetty(...), 431/414 from 8 KB, 400 at GET / and no "
    "CORS fields")

COMPRESSION = source(
    "ddblocal-deviation: DynamoDB Local takes no Content-Encoding: a gzip or deflate body is read "
    "as JSON (500 InternalFailure), an unknown coding is ignored (200), answers are never "
    "compressed; DynamoDB decodes gzip (500 InternalServerError when broken) and compresses "
    "answers from 4 KB (ScyllaDB's Alternator tests run against DynamoDB)")

SCAN_ORDER = source(
    "ddb-answer: Scan returns partitions in the order of a hash of the partition key and parallel "
    "segments are contiguous slices of it (dynalite's test/scan.js pins exact orders and "
    "segments, and that suite runs against DynamoDB with REMOTE=1); AWS documents no Scan order, "
    "and DynamoDB Local scans in an order of its own")

TABLE_OPS_WORDING = source(
    "ddb-answer: CreateTable/UpdateTable refusals as DynamoDB answered them live (ack-api-quirks "
    "findings DDB-TABLE-NNN, us-east-1/us-west-2, 2026-10; nubo-db/dynamodb-conformance "
    "createTable/updateTable tests run against DynamoDB); DynamoDB Local checks less and words "
    "its refusals its own way ('Cannot have two attributes with the same name', 'Nothing to "
    "update', 'The requested throughput value equals the current value', ...)")

SSE_IGNORED = source(
    "ddblocal-deviation: DynamoDB Local ignores SSESpecification and TableClass (no "
    "SSEDescription, no SSE refusals, 'Nothing to update'); DynamoDB's answers per "
    "ack-api-quirks DDB-TABLE-044/079/140/433/437/442")

MISSING_ITEM_NOT_CREATED = source(
    "ddb-answer: an update that only REMOVEs or DELETEs on a missing key creates no item, so no "
    "stream record either (ScyllaDB's Alternator test_item.py test_update_item_non_existent and "
    "test_update_item_delete, run against DynamoDB; scylladb issue #5862); DynamoDB Local creates "
    "the key-only item")

BACKUPS = source(
    "docs: on-demand backups and point-in-time recovery as the API reference describes them "
    "(CreateBackup, ListBackups, RestoreTableFromBackup, UpdateContinuousBackups, "
    "RestoreTableToPointInTime, ...); DynamoDB Local does not implement them")

CONFORMANCE_SUITE = source(
    "ddb-answer: nubo-db/dynamodb-conformance's tests of this, which DynamoDB passed in its 2026 "
    "runs (results/dynamodb.json: every test passed); DynamoDB Local answers otherwise")
