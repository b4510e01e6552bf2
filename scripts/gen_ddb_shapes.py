#!/usr/bin/python3
"""Generates src/ddb/shapes/dynamodb_shapes.inc: the input shapes of the DynamoDB operations
cruddur serves, from botocore's service model, as compact C++ tables for ddb/shape_validator.cc.

Usage: scripts/gen_ddb_shapes.py [service-2.json] > src/ddb/shapes/dynamodb_shapes.inc
       scripts/gen_ddb_shapes.py --check   (exit 1 when the committed file is stale)

Where DynamoDB answers differently from what the model alone would give, the overrides below
say so (each with where it comes from).
"""

import json
import os
import sys

MODEL = "/usr/lib/python3/dist-packages/botocore/data/dynamodb/2012-08-10/service-2.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "ddb", "shapes",
                   "dynamodb_shapes.inc")

# The operations cruddur implements (engine.cc's dispatch); the others stay
# UnknownOperationException and need no table.
OPERATIONS = [
    # the hot ones first: the validator finds an operation by scanning this list
    "GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
    "Scan", "TransactWriteItems", "TransactGetItems", "ExecuteStatement",
    "BatchExecuteStatement", "ExecuteTransaction", "CreateTable", "DeleteTable",
    "DescribeEndpoints", "DescribeLimits", "DescribeTable", "DescribeTimeToLive", "ListTables",
    "ListTagsOfResource", "TagResource", "UntagResource", "UpdateTable", "UpdateTimeToLive",
    "ExportTableToPointInTime", "DescribeExport", "ListExports", "ImportTable", "DescribeImport",
    "ListImports",
    "CreateBackup", "DescribeBackup", "ListBackups", "DeleteBackup", "RestoreTableFromBackup",
    "UpdateContinuousBackups", "DescribeContinuousBackups", "RestoreTableToPointInTime",
    "UpdateContributorInsights", "DescribeContributorInsights", "ListContributorInsights",
]

# Top-level members DynamoDB refuses at once with "The parameter 'X' is required but was not
# present in the request" rather than collecting "Value null at 'x' ... must not be null"
# (a DescribeTable without TableName answers so: aws/aws-sdk-java#977; the others are the
# members cruddur's operations already answered so for). Checked in this order.
PARAMETER_REQUIRED = {
    "BatchGetItem": ["RequestItems"],
    "BatchWriteItem": ["RequestItems"],
    # Not KeySchema or AttributeDefinitions: a CreateTable without either answered "Value null
    # at 'keySchema' ... Member must not be null" (ack-api-quirks dynamodb DDB-TABLE-042, 2026).
    "CreateTable": ["TableName"],
    "DeleteItem": ["TableName", "Key"],
    "DeleteTable": ["TableName"],
    "DescribeTable": ["TableName"],
    "GetItem": ["TableName", "Key"],
    "ListTagsOfResource": ["ResourceArn"],
    "PutItem": ["TableName", "Item"],
    "Query": ["TableName"],
    "Scan": ["TableName"],
    "TagResource": ["ResourceArn", "Tags"],
    "TransactGetItems": ["TransactItems"],
    "TransactWriteItems": ["TransactItems"],
    "UntagResource": ["ResourceArn", "TagKeys"],
    "UpdateItem": ["TableName", "Key"],
    "UpdateTable": ["TableName"],
}

# DynamoDB lists violations member by member in its own order, not the model's. Known orders
# (first the members listed, then the rest in model order):
MEMBER_ORDER = {
    # A Query with eight violations answered limit, keyConditions, returnConsumedCapacity,
    # attributesToGet, tableName, select, indexName (recorded from DynamoDB in dynalite's
    # test/query.js, "should return ValidationException for incorrect attributes").
    "QueryInput": ["Limit", "ExclusiveStartKey", "KeyConditions", "ReturnConsumedCapacity",
                   "AttributesToGet", "TableName", "Select", "ConsistentRead", "IndexName"],
    # CreateTable's required parameters are reported TableName first (tests/conformance).
    "CreateTableInput": ["TableName", "AttributeDefinitions", "KeySchema"],
    # 2026 captures of DynamoDB (nubo-db/dynamodb-conformance captures/cross-region-latest.json,
    # probes o_put_*, o_upd_two_bad_enums): PutItem answered returnValues,
    # returnConsumedCapacity, returnItemCollectionMetrics, and a bad tableName after
    # returnValues; UpdateItem returnConsumedCapacity before returnValues.
    "PutItemInput": ["ReturnValues", "ReturnConsumedCapacity", "ReturnItemCollectionMetrics",
                     "TableName"],
    "UpdateItemInput": ["ReturnConsumedCapacity", "ReturnValues"],
    # CreateTable and UpdateTable with ProvisionedThroughput 0/0 answered writeCapacityUnits
    # first (ack-api-quirks dynamodb DDB-TABLE-038/058, recorded from DynamoDB in 2026).
    "ProvisionedThroughput": ["WriteCapacityUnits", "ReadCapacityUnits"],
}

# DynamoDB prints some enum value sets in an order of its own (the messages cruddur's
# operations already answer, worked out from DynamoDB's answers and tested there).
ENUM_ORDER = {
    "ComparisonOperator": ["IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
                           "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"],
    "ConditionalOperator": ["OR", "AND"],
    "AttributeAction": ["ADD", "PUT", "DELETE"],
    "Select": ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"],
    "ReturnValue": ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    "ScalarAttributeType": ["B", "N", "S"],
    # ImportTable with InputCompressionType 'BZIP2' answered "... Member must satisfy enum value
    # set: [ZSTD, NONE, GZIP]" (ack-api-quirks dynamodb DDB-IMPORT-009, recorded in 2026).
    "InputCompressionType": ["ZSTD", "NONE", "GZIP"],
    # A lowercase StreamViewType answered "... [OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES,
    # NEW_IMAGE]" (ack-api-quirks dynamodb DDB-TABLE-035, recorded in 2026).
    "StreamViewType": ["OLD_IMAGE", "KEYS_ONLY", "NEW_AND_OLD_IMAGES", "NEW_IMAGE"],
}

# The legacy parameters are read by an older deserializer whose SerializationException
# messages differ ("Expected map or null", ...): see ddb/expression/legacy.cc.
CORAL_MEMBERS = {"Expected", "KeyConditions", "QueryFilter", "ScanFilter", "AttributeUpdates",
                 "AttributesToGet", "ConditionalOperator"}

# Shapes whose constraints DynamoDB checks with messages of its own, not the collected
# "N validation errors detected" ones: a tag's Key and Value ("The Tag Key provided is invalid,
# Key: ..." for a missing, empty or too long key; see ddb/ops/tag_ops.cc). Their JSON types are
# still checked here.
OWN_MESSAGES = {"Tag", "TagKeyString", "TagValueString"}

# Where an operation names an existing table, today's DynamoDB takes a name or its ARN (the
# model's newer TableArn shape, 1 to 1024 characters, no pattern) and then checks a plain name
# itself: 2026 captures of DynamoDB answer PutItem with TableName '' "Value '' at 'tableName'
# failed to satisfy constraint: Member must have length greater than or equal to 1" (no pattern
# violation), 'a' * 256 "... less than or equal to 255", and 'bad table!@#' with the pattern
# (nubo-db/dynamodb-conformance captures/cross-region-latest.json). Debian's older model still
# says TableName (3 to 255) there; only CreateTable names a new table, and ListTables' start.
NAME_OR_ARN = {"type": "string", "min": 1, "max": 255, "pattern": "name-or-arn"}
NEW_TABLE_NAME = {"CreateTableInput", "ListTablesInput"}
# Members that name a table to be created (a restore's target, an import's table), and the
# restore's SourceTableName, which today's model still types TableName (3 to 255, the pattern)
# where it retyped the members naming an existing table TableArn: checked as the model says. A
# TargetTableName 'bad name!' answers "... at 'targetTableName' failed to satisfy constraint:
# Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" (ack-api-quirks dynamodb
# DDB-TABLE-100, recorded from DynamoDB in 2026).
TABLE_NAME_MEMBERS = {("RestoreTableFromBackupInput", "TargetTableName"),
                      ("RestoreTableToPointInTimeInput", "TargetTableName"),
                      ("RestoreTableToPointInTimeInput", "SourceTableName"),
                      ("TableCreationParameters", "TableName")}


# CreateTable's and UpdateTable's TableClass are checked by the operations, in DynamoDB's own
# words: "Invalid table-class parameter provided. Please try again with a valid table-class
# value: [STANDARD, STANDARD_INFREQUENT_ACCESS]." (ack-api-quirks' list of DynamoDB's messages,
# and ScyllaDB's Alternator tests run against DynamoDB), not as an enum constraint.
TABLE_CLASS_NAME = {"type": "string"}
TABLE_CLASS_MEMBERS = {("CreateTableInput", "TableClass"), ("UpdateTableInput", "TableClass")}


# A GSI's KeySchema may hold a multi-attribute key (DynamoDB, November 2025): up to 4 HASH and 4
# RANGE elements, bounded by ddb/table_schema.cc's own messages; tables and LSIs keep the model's
# 1 to 2 ("Member must have length less than or equal to 2" for 3 elements there, while a GSI
# takes 8: AWS answers recorded in aws-controllers-k8s' dynamodb quirks, DDB-TABLE-123). Debian's
# older model still says 1 to 2 for every KeySchema.
GSI_KEY_SCHEMA = {"type": "list", "member": {"shape": "KeySchemaElement"}, "min": 1}
GSI_STRUCTURES = {"GlobalSecondaryIndex", "CreateGlobalSecondaryIndexAction"}


def member_shape(struct, shape, member=None):
    """The shape a member of `struct` is checked against (see NAME_OR_ARN, GSI_KEY_SCHEMA,
    TABLE_CLASS_NAME)."""
    if shape == "KeySchema" and struct in GSI_STRUCTURES:
        return "GlobalSecondaryIndexKeySchema"
    if (struct, member) in TABLE_CLASS_MEMBERS:
        return "TableClassName"
    if struct in NEW_TABLE_NAME or (struct, member) in TABLE_NAME_MEMBERS:
        return shape
    return "TableNameOrArn" if shape == "TableName" else shape


# Maps whose emptiness DynamoDB answers in words of its own, not as a constraint: BatchGetItem
# with RequestItems {} is "The requestItems parameter is required for BatchGetItem" (2026
# captures, 16 of 19 regions: nubo-db/dynamodb-conformance
# captures/2026-08-12-batch-empty-and-nesting.json); see ddb/ops/batch_ops.cc.
NO_MIN = {"BatchGetRequestMap", "BatchWriteItemRequestMap"}

# DynamoDB checks these patterns with the others, before anything else: S3BucketOwner
# 'not-an-account' answers "1 validation error detected: Value 'not-an-account' at
# 's3BucketOwner' failed to satisfy constraint: ...", a CSV Delimiter ';;' "2 validation errors
# detected: Value ';;' at 'inputFormatOptions.csv.delimiter' failed to satisfy constraint: Member
# must satisfy regular expression pattern: [,;..." (ack-api-quirks dynamodb DDB-EXPORT-002,
# DDB-IMPORT-009, recorded in 2026).
PATTERNS = {"[a-zA-Z0-9_.-]+": "kTableName", "name-or-arn": "kTableNameOrArn",
            "[0-9]{12}": "kAccountId", "^[^\\$]+$": "kClientToken", "[,;:|\\t ]": "kCsvDelimiter"}
# Patterns of export and import members the validator does not check (the S3 bucket name, CSV
# headers, tokens): the operations read what they need of them.
UNCHECKED_PATTERNS = {"S3Bucket", "CsvHeader", "ImportNextToken"}

KINDS = {"structure": "kStructure", "list": "kList", "map": "kMap", "string": "kString",
         "integer": "kInteger", "long": "kLong", "boolean": "kBoolean", "blob": "kBlob",
         "double": "kDouble", "timestamp": "kTimestamp"}


# Members of today's API that Debian's older model (botocore 1.29) lacks, as botocore 1.43 models
# them (and AWS's API reference describes them): DeletionProtectionEnabled, and the
# OnDemandThroughput and WarmThroughput of tables and of their GSIs, whose Update action no
# longer requires ProvisionedThroughput; ExportTableToPointInTime's ExportType and
# IncrementalExportSpecification (incremental exports); PITR's RecoveryPeriodInDays (1 to 35).
# Added only where the model has no such member.
CURRENT_API_SHAPES = {
    "LongObject": {"type": "long"},
    "DeletionProtectionEnabled": {"type": "boolean"},
    "OnDemandThroughput": {"type": "structure", "members": {
        "MaxReadRequestUnits": {"shape": "LongObject"},
        "MaxWriteRequestUnits": {"shape": "LongObject"}}},
    "WarmThroughput": {"type": "structure", "members": {
        "ReadUnitsPerSecond": {"shape": "LongObject"},
        "WriteUnitsPerSecond": {"shape": "LongObject"}}},
    "ExportType": {"type": "string", "enum": ["FULL_EXPORT", "INCREMENTAL_EXPORT"]},
    "ExportViewType": {"type": "string", "enum": ["NEW_IMAGE", "NEW_AND_OLD_IMAGES"]},
    "ExportFromTime": {"type": "timestamp"},
    "ExportToTime": {"type": "timestamp"},
    "RecoveryPeriodInDays": {"type": "integer", "min": 1, "max": 35},
    "IncrementalExportSpecification": {"type": "structure", "members": {
        "ExportFromTime": {"shape": "ExportFromTime"},
        "ExportToTime": {"shape": "ExportToTime"},
        "ExportViewType": {"shape": "ExportViewType"}}},
}
CURRENT_API_MEMBERS = {
    "CreateTableInput": ["DeletionProtectionEnabled", "WarmThroughput", "OnDemandThroughput"],
    "UpdateTableInput": ["DeletionProtectionEnabled", "OnDemandThroughput", "WarmThroughput"],
    "GlobalSecondaryIndex": ["OnDemandThroughput", "WarmThroughput"],
    "CreateGlobalSecondaryIndexAction": ["OnDemandThroughput", "WarmThroughput"],
    "UpdateGlobalSecondaryIndexAction": ["OnDemandThroughput", "WarmThroughput"],
    "ExportTableToPointInTimeInput": ["ExportType", "IncrementalExportSpecification"],
    "PointInTimeRecoverySpecification": ["RecoveryPeriodInDays"],
}


def with_current_api(model):
    shapes = model["shapes"]
    for name, shape in CURRENT_API_SHAPES.items():
        shapes.setdefault(name, shape)
    for struct, names in CURRENT_API_MEMBERS.items():
        for n in names:
            shapes[struct]["members"].setdefault(n, {"shape": n})
    # Today's model bounds a TableArn (ExportTableToPointInTime, ListExports, ...) at 1 to 1024.
    shapes["TableArn"] = dict(shapes["TableArn"], min=1, max=1024)
    update = shapes["UpdateGlobalSecondaryIndexAction"]
    update["required"] = [r for r in update.get("required", []) if r != "ProvisionedThroughput"]
    return model


def lower_first(s):
    return s[0].lower() + s[1:]


def name_key(name):
    n = len(name)
    return ((n & 0xFF) << 24 | ord(name[0]) << 16 | ord(name[n // 2]) << 8 | ord(name[-1]))


def generate(model):
    shapes = dict(model["shapes"], TableNameOrArn=NAME_OR_ARN,
                  GlobalSecondaryIndexKeySchema=GSI_KEY_SCHEMA, TableClassName=TABLE_CLASS_NAME)
    order = []  # shape names, in first-reached order
    index = {}

    def reach(name):
        if name in index:
            return
        index[name] = len(order)
        order.append(name)
        s = shapes[name]
        if name == "AttributeValue":
            return  # checked by ddb/value_json, not walked member by member
        if s["type"] == "structure":
            for n, m in s["members"].items():
                reach(member_shape(name, m["shape"], n))
        elif s["type"] == "list":
            reach(s["member"]["shape"])
        elif s["type"] == "map":
            reach(member_shape(name, s["key"]["shape"]))
            reach(s["value"]["shape"])

    ops = []
    for op in OPERATIONS:
        inp = model["operations"][op].get("input", {}).get("shape")
        if inp:
            reach(inp)
        ops.append((op, inp))

    members, enums, rows = [], [], []
    for name in order:
        s = shapes[name]
        kind = "kAttributeValue" if name == "AttributeValue" else KINDS[s["type"]]
        first = count = key = value = 0
        required_mask = 0
        if kind == "kStructure":
            names = list(s["members"])
            pref = [n for n in MEMBER_ORDER.get(name, []) if n in names]
            names = pref + [n for n in names if n not in pref]
            required = set() if name in OWN_MESSAGES else set(s.get("required", []))
            op = name[:-len("Input")] if name.endswith("Input") else None
            params = PARAMETER_REQUIRED.get(op, []) if op in OPERATIONS else []
            first, count = len(members), len(names)
            assert count <= 64, name  # the validator tracks a structure's members in 64 bits
            for pos, n in enumerate(names):
                if n in params or n in required:
                    required_mask |= 1 << pos
                flags = []
                if n in params:
                    flags.append("kParameterRequired")
                elif n in required:
                    flags.append("kRequired")
                if n in CORAL_MEMBERS:
                    flags.append("kCoral")
                members.append((n, lower_first(n), index[member_shape(name, s["members"][n]["shape"], n)],
                                "|".join(flags) or "0"))
            # parameter-required members are checked in PARAMETER_REQUIRED's order
            if params:
                assert [n for n in names if n in params] == params or name in MEMBER_ORDER, name
        elif kind == "kList":
            value = index[s["member"]["shape"]]
        elif kind == "kMap":
            key = index[member_shape(name, s["key"]["shape"])]
            value = index[s["value"]["shape"]]
        elif kind == "kString" and "enum" in s:
            vals = ENUM_ORDER.get(name, s["enum"])
            assert sorted(vals) == sorted(s["enum"]), name
            first, count = len(enums), len(vals)
            enums.extend(vals)
        pattern = "kNone"
        if "pattern" in s:
            pattern = "kNone" if name in UNCHECKED_PATTERNS else PATTERNS.get(s["pattern"])
            if pattern is None:
                raise SystemExit("no C++ check for pattern %r of %s" % (s["pattern"], name))
        mn = None if name in OWN_MESSAGES or name in NO_MIN else s.get("min")
        mx = None if name in OWN_MESSAGES else s.get("max")
        rows.append((name, kind, pattern, first, count, key, value,
                     "kNoMin" if mn is None else str(int(mn)),
                     "kNoMax" if mx is None else str(int(mx)), "0x%x" % required_mask))

    out = ["// Generated by scripts/gen_ddb_shapes.py from botocore's DynamoDB model",
           "// (2012-08-10/service-2.json). Do not edit; run the script to regenerate.",
           "// clang-format off",
           "constexpr Shape kShapes[] = {"]
    for r in rows:
        out.append('    {"%s", Kind::%s, Pattern::%s, %d, %d, %d, %d, %s, %s, %s},' % r)
    out.append("};")
    out.append("constexpr Member kMembers[] = {")
    for n, f, sh, fl in members:
        out.append('    {"%s", "%s", %d, %s},' % (n, f, sh, fl))
    out.append("};")
    # A quick key per member name (length, first, middle and last byte), scanned before the
    # names are compared.
    out.append("constexpr uint32_t kMemberKeys[] = {")
    keys = ["0x%08x," % name_key(n) for n, _, _, _ in members]
    for i in range(0, len(keys), 8):
        out.append("    " + " ".join(keys[i:i + 8]))
    out.append("};")
    out.append("constexpr std::string_view kEnumValues[] = {")
    for i in range(0, len(enums), 6):
        out.append("    " + " ".join('"%s",' % e for e in enums[i:i + 6]))
    out.append("};")
    out.append("constexpr OperationShape kOperations[] = {")
    for op, inp in ops:
        out.append('    {"%s", %s},' % (op, index[inp] if inp else "kNoShape"))
    out.append("};")
    out.append("// clang-format on")
    return "\n".join(out) + "\n"


def main(argv):
    check = "--check" in argv
    paths = [a for a in argv[1:] if a != "--check"]
    with open(paths[0] if paths else MODEL) as f:
        text = generate(with_current_api(json.load(f)))
    if check:
        with open(OUT) as f:
            if f.read() != text:
                print("%s is stale: run scripts/gen_ddb_shapes.py > it" % OUT, file=sys.stderr)
                return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
