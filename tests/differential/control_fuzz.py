"""Differential fuzzing of the control plane: random table definitions and table operations.

    control_fuzz.py REFERENCE_ENDPOINT CANDIDATE_ENDPOINT [--seed N] [--ops N] [--prefix NAME]

Both endpoints get the same sequence of CreateTable requests (key schemas, attribute
definitions, local and global secondary indexes with every projection, billing modes,
throughput, streams, table classes, tags; mostly valid, with one or two mistakes mixed in),
UpdateTable, DeleteTable, DescribeTable, ListTables pages and TTL requests, items put into
whatever tables exist (keys and index keys of right and wrong types), and Query and Scan of those
tables and their indexes. Each answer is compared as diff_fuzz.py compares them: the result (a
table's description without its dates, ARNs and ids) or the error's type; differing messages
are listed apart. After every table change, every table is described on both sides and
compared.

Exit status: 0 when results and error types all agreed, 1 otherwise.
"""

import os
import random
import sys
import time

from botocore.exceptions import ClientError

from diff_fuzz import arguments, call, canon, make_client, short, sort_items

ATTRS = ["pk", "sk", "g1", "g2", "l1"]
TYPES = ["S", "N", "B"]
# What a table's description holds that differs by construction (dates, ARNs, ids); its
# TableClassSummary, which DynamoDB Local does not give (DynamoDB does, for a table of the
# STANDARD_INFREQUENT_ACCESS class); and IndexSizeBytes, which DynamoDB updates about every six
# hours and DynamoDB Local counts as the whole item's size whatever the index projects (ours:
# the projected item's).
VOLATILE = {"CreationDateTime", "TableArn", "TableId", "IndexArn", "LatestStreamArn",
            "LatestStreamLabel", "LastIncreaseDateTime", "LastDecreaseDateTime",
            "LastUpdateToPayPerRequestDateTime", "LastUpdateDateTime", "NumberOfDecreasesToday",
            "TableClassSummary", "IndexSizeBytes"}


class Gen:
    def __init__(self, rng, prefix):
        self.r = rng
        self.names = [f"{prefix}-{i}" for i in range(5)]
        self.all_names = self.names + [self.names[0] + ".x_-1"]

    def rare(self, p=0.05):
        return self.r.random() < p

    def table_name(self):
        if self.rare(0.03):
            return self.r.choice(["ab", "a b", "x" * 256, "", "t/1", self.names[0] + ".x_-1"])
        return self.r.choice(self.names)

    def index_name(self, i):
        if self.rare(0.03):
            return self.r.choice(["ab", "a b", "x" * 256, "ix0"])
        return f"ix{i}"

    def throughput(self):
        if self.rare():
            return self.r.choice([{"ReadCapacityUnits": 0, "WriteCapacityUnits": 1},
                                  {"ReadCapacityUnits": 1}, {},
                                  {"ReadCapacityUnits": 10**13, "WriteCapacityUnits": 1}])
        return {"ReadCapacityUnits": self.r.randint(1, 20),
                "WriteCapacityUnits": self.r.randint(1, 20)}

    def projection(self, used):
        r = self.r
        kind = r.choice(["ALL", "KEYS_ONLY", "INCLUDE", "INCLUDE"])
        p = {"ProjectionType": kind}
        if kind == "INCLUDE" or self.rare():
            p["NonKeyAttributes"] = r.sample(["x", "y", "z"] + list(used),
                                             0 if self.rare() else r.randint(1, 3))
            if self.rare():
                p["NonKeyAttributes"].append(p["NonKeyAttributes"][0] if
                                             p["NonKeyAttributes"] else "x")
        if self.rare(0.03):
            p = r.choice([{}, {"ProjectionType": "SOME"}])
        return p

    def key_schema(self, hash_, range_):
        ks = [{"AttributeName": hash_, "KeyType": "HASH"}]
        if range_:
            ks.append({"AttributeName": range_, "KeyType": "RANGE"})
        if self.rare():
            k = self.r.randrange(6)
            if k == 0 and range_:
                ks.reverse()
            elif k == 1:
                ks.append({"AttributeName": "l1", "KeyType": "RANGE"})
            elif k == 2:
                ks[0]["KeyType"] = "RANGE"
            elif k == 3:
                ks = []
            elif k == 4:
                ks[-1]["AttributeName"] = ks[0]["AttributeName"]
            else:
                ks[-1]["KeyType"] = "SORT"
        return ks

    def create(self):
        """A CreateTable request: a valid definition, now and then with a mistake in it."""
        r = self.r
        hash_ = r.choice(["pk", "pk", "pk", "g1"])
        range_ = r.choice([None, "sk", "sk"])
        req = {"TableName": self.table_name()}
        req["KeySchema"] = self.key_schema(hash_, range_)
        used = {hash_} | ({range_} if range_ else set())
        provisioned = r.random() < 0.35
        if provisioned:
            if r.random() < 0.5:
                req["BillingMode"] = "PROVISIONED"
            if not self.rare():
                req["ProvisionedThroughput"] = self.throughput()
        else:
            req["BillingMode"] = "PAY_PER_REQUEST"
            if self.rare():
                req["ProvisionedThroughput"] = self.throughput()
        if self.rare(0.02):
            req["BillingMode"] = "ON_DEMAND"
        if r.random() < 0.35:
            lsis = []
            for i in range(0 if self.rare() else r.choice([1, 1, 2, 6 if self.rare(0.2) else 1])):
                sort = r.choice(["l1", "l1", "g2", "sk" if self.rare(0.3) else "l1"])
                lsi_hash = "g2" if self.rare() else hash_
                used |= {lsi_hash, sort}
                lsi = {"IndexName": self.index_name(i), "Projection": self.projection(used),
                       "KeySchema": self.key_schema(lsi_hash, sort)}
                if self.rare():
                    lsi["KeySchema"] = self.key_schema(lsi_hash, None)
                lsis.append(lsi)
            req["LocalSecondaryIndexes"] = lsis
        if r.random() < 0.45:
            gsis = []
            for i in range(0 if self.rare() else r.randint(1, 3)):
                gh = r.choice(["g1", "g2", "sk", "pk"])
                gr = r.choice([None, "sk", "l1", "g2"])
                if gr == gh:
                    gr = None if not self.rare(0.3) else gr
                used |= {gh} | ({gr} if gr else set())
                gsi = {"IndexName": self.index_name(i + 3), "Projection": self.projection(used),
                       "KeySchema": self.key_schema(gh, gr)}
                if provisioned and not self.rare() or not provisioned and self.rare():
                    gsi["ProvisionedThroughput"] = self.throughput()
                gsis.append(gsi)
            req["GlobalSecondaryIndexes"] = gsis
        defs = [{"AttributeName": a, "AttributeType": r.choice(TYPES)} for a in sorted(used)]
        if self.rare(0.1):
            k = r.randrange(5)
            if k == 0 and defs:
                defs.pop(r.randrange(len(defs)))
            elif k == 1:
                defs.append({"AttributeName": "unused", "AttributeType": "S"})
            elif k == 2 and defs:
                defs.append(dict(defs[0], AttributeType=r.choice(TYPES)))
            elif k == 3 and defs:
                defs[0]["AttributeType"] = r.choice(["BOOL", "SS", "X", ""])
            else:
                defs = []
        r.shuffle(defs)
        req["AttributeDefinitions"] = defs
        if r.random() < 0.15:
            spec = {"StreamEnabled": r.random() < 0.8}
            if not self.rare(0.2):
                spec["StreamViewType"] = r.choice(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES",
                                                   "KEYS_ONLY"])
            req["StreamSpecification"] = spec
        if r.random() < 0.1:
            req["TableClass"] = r.choice(["STANDARD", "STANDARD_INFREQUENT_ACCESS"])
        if r.random() < 0.1:
            req["Tags"] = [{"Key": r.choice(["a", "b", "env"]), "Value": r.choice(["", "x", "1"])}
                           for _ in range(r.randint(0 if self.rare(0.3) else 1, 2))]
        return "create_table", req

    def update(self, tables):
        """An UpdateTable request on one of the tables: billing, throughput, streams, GSIs."""
        r = self.r
        name = r.choice(self.names)
        req = {"TableName": name}
        desc = tables.get(name, {})
        k = r.randrange(6)
        if k == 0:
            req["BillingMode"] = r.choice(["PROVISIONED", "PAY_PER_REQUEST"])
            if req["BillingMode"] == "PROVISIONED" and not self.rare(0.2):
                req["ProvisionedThroughput"] = self.throughput()
        elif k == 1:
            req["ProvisionedThroughput"] = self.throughput()
        elif k == 2:
            spec = {"StreamEnabled": r.random() < 0.6}
            if spec["StreamEnabled"] or self.rare(0.3):
                spec["StreamViewType"] = r.choice(["NEW_IMAGE", "KEYS_ONLY"])
            req["StreamSpecification"] = spec
        elif k == 3:
            gh = r.choice(["g1", "g2", "pk"])
            gr = r.choice([None, "sk", "l1"])
            gsi = {"IndexName": r.choice(["ix3", "ix4", "ix9"]),
                   "KeySchema": self.key_schema(gh, gr), "Projection": self.projection({gh})}
            billing = desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
            if billing == "PROVISIONED" and not self.rare() or billing != "PROVISIONED" and \
                    self.rare():
                gsi["ProvisionedThroughput"] = self.throughput()
            req["GlobalSecondaryIndexUpdates"] = [{"Create": gsi}]
            used = {gh} | ({gr} if gr else set())
            if not self.rare():
                req["AttributeDefinitions"] = [{"AttributeName": a,
                                                "AttributeType": r.choice(TYPES)} for a in used]
        elif k == 4:
            names = [g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])] + ["ix9"]
            req["GlobalSecondaryIndexUpdates"] = [{"Delete": {"IndexName": r.choice(names)}}]
        else:
            names = [g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])] + ["ix9"]
            req["GlobalSecondaryIndexUpdates"] = [{"Update": {
                "IndexName": r.choice(names), "ProvisionedThroughput": self.throughput()}}]
        if self.rare(0.1):
            req["TableClass"] = r.choice(["STANDARD", "STANDARD_INFREQUENT_ACCESS"])
        return "update_table", req

    def value(self, t):
        if t == "S":
            return {"S": "" if self.rare() else self.r.choice(["a", "b"])}
        if t == "N":
            return {"N": self.r.choice(["1", "2", "-3.5"])}
        if t == "B":
            return {"B": b"" if self.rare() else self.r.choice([b"\x01", b"a"])}
        return self.r.choice([{"BOOL": True}, {"NULL": True}, {"SS": ["a"]}, {"L": []}])

    def item(self):
        """An item over the attributes tables are keyed on, mostly of the key types, and a few
        others that indexes project or not."""
        it = {}
        for a in ATTRS:
            if self.r.random() < 0.8:
                it[a] = self.value(self.r.choice(TYPES + ["S", "S", "X"]))
        for a in ("x", "y", "z"):
            if self.r.random() < 0.5:
                it[a] = self.value(self.r.choice(["S", "N", "X"]))
        return it

    def read(self, tables):
        """A Query or Scan of a table or one of its indexes: what each projection returns, and
        the checks of IndexName, Select, ProjectionExpression and ConsistentRead."""
        r = self.r
        name = r.choice(self.names)
        desc = tables.get(name, {})
        req = {"TableName": name}
        key_schema = desc.get("KeySchema", [{"AttributeName": "pk", "KeyType": "HASH"}])
        indexes = desc.get("GlobalSecondaryIndexes", []) + desc.get("LocalSecondaryIndexes", [])
        if indexes and r.random() < 0.7:
            ix = r.choice(indexes)
            req["IndexName"] = ix["IndexName"]
            key_schema = ix["KeySchema"]
        elif self.rare(0.1):
            req["IndexName"] = "ix9"
        types = {a["AttributeName"]: a["AttributeType"] for a in desc.get("AttributeDefinitions", [])}
        op = r.choice(["query", "query", "scan"])
        if op == "query":
            names, values = {"#h": key_schema[0]["AttributeName"]}, {}
            values[":h"] = self.value(r.choice(TYPES) if self.rare() else types.get(names["#h"], "S"))
            req["KeyConditionExpression"] = "#h = :h"
            if len(key_schema) > 1 and r.random() < 0.5:
                names["#r"] = key_schema[1]["AttributeName"]
                values[":r"] = self.value(types.get(names["#r"], "S"))
                req["KeyConditionExpression"] += " AND #r >= :r"
            req["ExpressionAttributeNames"], req["ExpressionAttributeValues"] = names, values
        select = r.choice([None, None, "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT",
                           "SPECIFIC_ATTRIBUTES"])
        if select:
            req["Select"] = select
        if select == "SPECIFIC_ATTRIBUTES" or (select is None and r.random() < 0.3):
            req["ProjectionExpression"] = ", ".join(
                r.sample(["pk", "sk", "g1", "g2", "l1", "x", "y"], r.randint(1, 3)))
        if r.random() < 0.2:
            req["ConsistentRead"] = True
        return op, req

    def request(self, tables):
        r = self.r.random()
        if r < 0.3:
            return self.create()
        if r < 0.45:
            return self.update(tables)
        if r < 0.5:
            return "delete_table", {"TableName": self.table_name()}
        if r < 0.55:
            return "describe_table", {"TableName": self.table_name()}
        if r < 0.6:
            req = {}
            if self.r.random() < 0.7:
                req["Limit"] = self.r.choice([1, 2, 3, 100, 0, 101])
            if self.r.random() < 0.5:
                req["ExclusiveStartTableName"] = self.table_name()
            return "list_tables", req
        if r < 0.65:
            return "update_time_to_live", {"TableName": self.table_name(), "TimeToLiveSpecification":
                                           {"Enabled": self.r.random() < 0.7,
                                            "AttributeName": self.r.choice(["ttl", "pk", "x"])}}
        if r < 0.7:
            return "describe_time_to_live", {"TableName": self.table_name()}
        if r < 0.85:
            return self.read(tables)
        return "put_item", {"TableName": self.r.choice(self.names), "Item": self.item()}


def description(d, drop=VOLATILE):
    """A table's description without what differs by construction (dates, ARNs, ids),
    indexes in name order."""
    if isinstance(d, dict):
        # DynamoDB Local keeps a deleted index DELETING for a while; ours is gone at once (an
        # UpdateTable's answer lists the index it deletes as DELETING on both sides).
        d = {k: [g for g in v if g.get("IndexStatus") != "DELETING"]
             if k == "GlobalSecondaryIndexes" else v for k, v in d.items()}
        if not d.get("GlobalSecondaryIndexes", True):
            del d["GlobalSecondaryIndexes"]
        out = {k: description(v, drop) for k, v in d.items() if k not in drop}
        settled = "IndexStatus" not in drop  # not a table change's answer (see view())
        if settled and "GlobalSecondaryIndexes" in out:
            # A PAY_PER_REQUEST table's indexes: DynamoDB Local gives no ProvisionedThroughput,
            # or the one they had before the switch; we give 0 and 0 (as DynamoDB describes
            # them).
            on_demand = out.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
            for g in out["GlobalSecondaryIndexes"]:
                if on_demand or g.get("ProvisionedThroughput", {}).get("ReadCapacityUnits") == 0:
                    g.pop("ProvisionedThroughput", None)
        for k in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "AttributeDefinitions"):
            if k in out:
                out[k] = sorted(out[k], key=lambda x: x.get("IndexName") or x["AttributeName"])
        # DynamoDB describes an INCLUDE projection's attributes sorted by name (ack-api-quirks
        # DDB-TABLE-125; test_table_validation.py), DynamoDB Local in the order given.
        if isinstance(out.get("NonKeyAttributes"), list):
            out["NonKeyAttributes"] = sorted(out["NonKeyAttributes"])
        return out
    if isinstance(d, list):
        return [description(x, drop) for x in d]
    return d


def view(op, ans, prefix):
    if ans[0] == "error":
        return ans[:2]
    # A table change's answer: DynamoDB gives CREATING, UPDATING or DELETING (so do we, for a
    # moment); DynamoDB Local's tables are ACTIVE at once. DynamoDB Local also leaves out an
    # index's size and count (AWS's UpdateTable example shows 0 and 0 for a new index), and a
    # switch to PAY_PER_REQUEST still gives the indexes' old throughput (ours: 0 and 0). The
    # settled tables are described and compared whole after every change.
    changing = op in ("create_table", "update_table", "delete_table")
    out = description(ans[1], VOLATILE | ({"TableStatus", "IndexStatus", "IndexSizeBytes",
                                           "ItemCount"} if changing else set()))
    if changing:
        for g in out["TableDescription"].get("GlobalSecondaryIndexes", []):
            g.pop("ProvisionedThroughput", None)
    if op == "update_table":
        # DynamoDB answers a throughput change with the units before it (ack-api-quirks
        # DDB-TABLE-060; test_table_settings.py), DynamoDB Local with the new ones; the settled
        # table is compared whole afterwards.
        out["TableDescription"].pop("ProvisionedThroughput", None)
    if op in ("query", "scan") and "Items" in out:  # index ties and Scan have no set order
        out["Items"] = sort_items(out["Items"])
    if op == "delete_table":
        # The table's whole description (DynamoDB Local) or its name, status, throughput and
        # sizes (ours, as AWS's DeleteTable examples show): only the name is compared.
        return ("ok", out["TableDescription"]["TableName"])
    if op == "list_tables":  # other runs' tables may share the endpoint
        out["TableNames"] = [t for t in out.get("TableNames", []) if t.startswith(prefix)]
        if not out.get("LastEvaluatedTableName", prefix).startswith(prefix):
            out["LastEvaluatedTableName"] = "<another run's table>"
    return ("ok", canon(out))


# Requests DynamoDB refuses and DynamoDB Local accepts (each held, with its source, by a
# tests/conformance test): a part of our message for each.
SOURCED_REFUSALS = (
    # ProvisionedThroughput on a PAY_PER_REQUEST table or index (THROUGHPUT_IGNORED)
    "when BillingMode is PAY_PER_REQUEST",
    # BillingMode PROVISIONED alone, and a throughput equal to the current one
    # (TABLE_OPS_WORDING: test_table_validation.py)
    "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
    "will not change. The requested value equals the current value",
    # an index keyed on a table attribute the request does not define (observed against
    # DynamoDB, nubo-db/dynoxide#144)
    "Some index key attributes are not defined",
    # an empty index list, TableClass beside other changes (dynalite's and DynamoDB's words)
    "is empty", "must be the only operation in the request",
    # tags: DynamoDB Local ignores CreateTable's Tags (TAGGING)
    "Duplicate Tag Keys",
    # an unused definition beside an attribute that keys both an LSI and a GSI, which DynamoDB
    # Local counts twice (DynamoDB's refusal: LAB DDB-TABLE-127, test_table_validation.py)
    "Some AttributeDefinitions are not used",
    # leaving PAY_PER_REQUEST without each GSI's throughput: DynamoDB Local gives an index the
    # throughput it had before (dynalite's updateTable test, run against DynamoDB, is refused)
    "ProvisionedThroughput must be specified for index",
    # an on-demand table's index updated with throughput, and a new index of a PROVISIONED table
    # without it (LAB DDB-TABLE-152, test_table_settings.py)
    "when TableThroughputMode is PAY_PER_REQUEST",
    "WriteCapacityUnits must be specified for index",
)


def differences(x, y, path=""):
    """The paths where two answers differ, with both values: what a DIFF line shows."""
    if isinstance(x, dict) and isinstance(y, dict):
        out = []
        for k in sorted(set(x) | set(y), key=str):
            out += differences(x.get(k, "<absent>"), y.get(k, "<absent>"), f"{path}.{k}")
        return out
    if isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)) and len(x) == len(y):
        out = []
        for i, (u, v) in enumerate(zip(x, y)):
            out += differences(u, v, f"{path}[{i}]")
        return out
    return [] if x == y else [f"{path or '.'}: {short(x, 300)} | {short(y, 300)}"]


def known_deviation(op, a, b):
    """Answers that differ by a known choice, each with its source:
    - DynamoDB checks a request (its shape, then how its parameters combine) before it looks the
      table up, so an invalid request about a missing or existing table is a
      ValidationException (the constraint errors captured from DynamoDB in 2026, see
      tests/conformance/provenance.py CONSTRAINT_WORDING); DynamoDB Local looks the table up
      first;
    - DynamoDB Local keeps a deleted index DELETING long after we have dropped it, and refuses
      table changes meanwhile (and sometimes fails writes to the table: InternalFailure);
    - the constraints of the API's model (enums such as KeyType HASH or RANGE, lengths, ranges),
      which DynamoDB checks first (CONSTRAINT_WORDING) and DynamoDB Local not always;
    - DynamoDB Local answers some invalid requests with InternalFailure (an unknown BillingMode,
      an index Update of an index that does not exist): no answer to compare with;
    - an index Update or Delete naming an index the table does not have: ResourceNotFoundException
      from us, as for a missing table; DynamoDB Local says "Invalid global secondary index name"
      (ValidationException) or fails. No DynamoDB answer is known: unsettled;
    - a short name (1 or 2 characters) of a table that does not exist: DynamoDB takes a table
      name or ARN there (1 to 1024 characters, API reference) and looks it up; DynamoDB Local
      still holds names to 3 or more characters;
    - an UpdateTable redefining an existing key attribute with another type: DynamoDB accepts it
      and keeps the stored type (observed against DynamoDB, paritysuite/dynamodb-conformance#78);
      DynamoDB Local refuses it;
    - an UpdateTable creating an index keyed on an attribute defined on the table but not in the
      request's AttributeDefinitions: DynamoDB refuses it (observed against DynamoDB,
      nubo-db/dynoxide#144); DynamoDB Local accepts it;
    - the refusals of SOURCED_REFUSALS, which DynamoDB Local accepts."""
    if a[0] == "error" and a[1] in ("InternalFailure", "InternalServerError"):
        return True
    if a[0] == "error" and any(m in a[2] for m in (
            "while indexes are in DELETING status", "Index is being deleted",
            "Only 1 online index can be created or deleted simultaneously")):
        return True  # DynamoDB Local keeps deleted indexes for a while (see description())
    if (a[0] == "ok" and b[0] == "error" and b[1] == "ValidationException" and
            "validation error" in b[2] and "detected: Value" in b[2]):
        return True  # a constraint of the API's model that DynamoDB Local does not check
    if a[0] == "error" and b[0] == "error" and (
            (a[2] == "Invalid global secondary index name" and
             b[2].startswith("Requested resource not found: Index")) or
            (a[2].startswith("Invalid table/index name") and b[1] == "ResourceNotFoundException")):
        return True
    if a[0] == "error" and b[0] == "ok" and "SchemaElement redefined" in a[2]:
        return True
    if a[0] == "ok" and b[0] == "error" and any(m in b[2] for m in SOURCED_REFUSALS):
        return True
    if (a[0] == "error" and a[1] in ("ResourceNotFoundException", "ResourceInUseException")
            and b[0] == "error" and b[1] == "ValidationException"):
        return True
    return False


def settle(client, name, timeout=20.0):
    """Waits until `name` and its indexes are ACTIVE, or it is gone: DynamoDB Local creates
    and deletes indexes in the background even without -delayTransientStatuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = call(client, "describe_table", {"TableName": name})
        if d[0] == "error":
            return
        t = d[1]["Table"]
        if t["TableStatus"] == "ACTIVE" and all(
                g.get("IndexStatus") in ("ACTIVE", "DELETING")
                for g in t.get("GlobalSecondaryIndexes", [])):
            return
        time.sleep(0.1)


def unsettled(d):
    """Whether DynamoDB Local is still building one of the table's indexes (settle() gave up)."""
    return d[0] == "ok" and any(g.get("IndexStatus") == "CREATING"
                                for g in d[1]["Table"].get("GlobalSecondaryIndexes", []))


def mistyped_in_index(ref, name, d, ta, tb):
    """Whether the tables differ only in the ItemCount of indexes that DynamoDB Local filled
    with items whose index key has another type than the index's. DynamoDB leaves such an item
    out of the index (its "index key violations", Developer Guide), as we do; DynamoDB Local's
    backfill takes it in."""
    paths = differences(ta, tb)
    if not paths or not all(".GlobalSecondaryIndexes[" in p and ".ItemCount:" in p
                            for p in paths):
        return False
    types = {a["AttributeName"]: a["AttributeType"] for a in d[1]["Table"]["AttributeDefinitions"]}
    items = call(ref, "scan", {"TableName": name})
    if items[0] != "ok":
        return False
    for g in d[1]["Table"].get("GlobalSecondaryIndexes", []):
        keys = [k["AttributeName"] for k in g["KeySchema"]]
        mistyped = sum(1 for it in items[1]["Items"]
                       if all(k in it for k in keys) and
                       any(next(iter(it[k])) != types[k] for k in keys))
        ours = next(x for x in tb[1]["Table"]["GlobalSecondaryIndexes"]
                    if x["IndexName"] == g["IndexName"])
        if g.get("ItemCount", 0) - ours.get("ItemCount", 0) != mistyped:
            return False
    return True


def drop_all(gen, *clients):
    for c in clients:
        for t in gen.all_names:
            try:
                c.delete_table(TableName=t)
            except ClientError:
                pass


def main():
    # Named to sort after every other table, so that ListTables pages end alike on both sides.
    args = arguments(ops=1000, prefix="zzctl")
    ref, cand = (make_client(e, parameter_validation=False) for e in (args.reference,
                                                                      args.candidate))
    gen = Gen(random.Random(args.seed), args.prefix)
    drop_all(gen, ref, cand)
    # ListTables pages are compared only when both endpoints hold the same other tables.
    others = [set(call(c, "list_tables", {})[1]["TableNames"]) for c in (ref, cand)]
    compare_lists = others[0] == others[1]
    if not compare_lists:
        print(f"ListTables not compared: the endpoints hold different tables already "
              f"({sorted(others[0] ^ others[1])[:5]}...)")
    tables = {}  # the reference's descriptions of the tables that exist
    diffs = msgs = known = resyncs = 0
    counts = {"ok": 0, "error": 0}
    for i in range(args.ops):
        op, req = gen.request(tables)
        if op == "list_tables" and not compare_lists:
            continue
        a, b = call(ref, op, req), call(cand, op, req)
        counts[a[0]] += 1
        va, vb = view(op, a, args.prefix), view(op, b, args.prefix)
        agreed = va == vb
        if va != vb and known_deviation(op, a, b):
            known += 1
            if op == "put_item" and b[0] == "ok" and req["TableName"] in tables:
                # DynamoDB Local failed a write we took: take it back, to stay in step, unless
                # its failure (an InternalFailure of its SQLite jobs) wrote the item all the same.
                key = {k["AttributeName"]: req["Item"][k["AttributeName"]]
                       for k in tables[req["TableName"]]["KeySchema"]}
                there = call(ref, "get_item", {"TableName": req["TableName"], "Key": key,
                                               "ConsistentRead": True})
                if there[0] != "ok" or "Item" not in there[1]:
                    call(cand, "delete_item", {"TableName": req["TableName"], "Key": key})
            if os.environ.get("CONTROL_FUZZ_VERBOSE"):
                print(f"#{i} KNOWN {op} {short(req, 300)}\n  reference: {short(a, 300)}\n"
                      f"  candidate: {short(b, 300)}")
        elif va != vb:
            diffs += 1
            print(f"#{i} DIFF {op} {short(req)}")
            for line in differences(va, vb)[:8]:
                print(f"  {line}")
            if a[0] != b[0] or a[0] == "error":
                print(f"  reference: {short(a, 300)}\n  candidate: {short(b, 300)}")
        elif a[0] == "error" and a[2] != b[2]:
            msgs += 1
            print(f"#{i} MESSAGE {op} {a[1]} {short(req, 400)}\n  reference: {a[2]}\n"
                  f"  candidate: {b[2]}")
        if op in ("create_table", "update_table", "delete_table"):
            if op == "update_table" and a[0] == "ok":
                settle(ref, req["TableName"])
                settle(cand, req["TableName"])
            # Keep both sides on the same tables after a disagreement.
            for t in gen.all_names:
                da, db = call(ref, "describe_table", {"TableName": t}), \
                    call(cand, "describe_table", {"TableName": t})
                if da[0] == "ok":
                    tables[t] = da[1]["Table"]
                else:
                    tables.pop(t, None)
                ta, tb = view("describe_table", da, args.prefix), \
                    view("describe_table", db, args.prefix)
                if ta != tb and agreed and not unsettled(da) and \
                        not mistyped_in_index(ref, t, da, ta, tb):
                    # Both answered alike, yet the tables differ now.
                    diffs += 1
                    print(f"#{i} TABLE {t} differs after {op} {short(req)}")
                    for line in differences(ta, tb)[:8]:
                        print(f"  {line}")
                if ta != tb:
                    for c, d in ((cand, db), (ref, da)):
                        if d[0] == "ok":
                            c.delete_table(TableName=t)
                    tables.pop(t, None)
                    resyncs += 1
    if not os.environ.get("CONTROL_FUZZ_KEEP"):
        drop_all(gen, ref, cand)  # so that the next run's ListTables pages see the same tables
    print(f"seed {args.seed}: {args.ops} requests ({counts['ok']} answered, {counts['error']} "
          f"errors at the reference, {known} known deviations, {resyncs} tables dropped to "
          f"resynchronize): {diffs} differences, {msgs} differing messages")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
