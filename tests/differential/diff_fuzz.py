"""Differential fuzzing: the same random requests to two DynamoDB endpoints, answers compared.

    diff_fuzz.py REFERENCE_ENDPOINT CANDIDATE_ENDPOINT [--seed N] [--ops N] [--prefix NAME]

Both endpoints get the same tables and the same sequence of requests (PutItem, UpdateItem,
DeleteItem, GetItem, Query, Scan, batches and transactions, with random condition, update,
filter, key-condition and projection expressions over values of every type; see README.md).
After each request the two answers are compared: the result (items, attributes, counts,
LastEvaluatedKey) or the error's type and cancellation reasons. Error
messages are compared too but reported apart, since DynamoDB Local's wording is often not the
service's. Every few requests the two tables are compared whole. A difference is printed with
the request that produced it; the run goes on (the candidate's table is then re-synced from the
reference so one difference does not cascade).

Exit status: 0 when results and error types all agreed, 1 otherwise.
"""

import argparse
import decimal
import json
import os
import random
import re
import sys

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
from ddbtest import make_client  # noqa: E402

NAMES = ["a", "b", "c", "d", "l", "m", "s", "n"]  # attribute names the expressions use
# The tables every run creates: (name suffix, sort key type, index): "gsi" is the GSI "byg" on
# g and sk, "lsi" the LSI "byt" on pk and t.
TABLES = [("n", "N", "lsi"), ("s", "S", "gsi"), ("b", "B", None)]
INDEX_NAMES = {"gsi": "byg", "lsi": "byt"}
PATHS = ["a", "b", "c", "d", "l", "m", "s", "n", "l[0]", "l[1]", "l[5]", "m.x", "m.y", "m.x.z",
         "l[0].x", "m.l[0]"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def number(self):
        r = self.r
        k = r.randrange(9)
        if k == 0:
            return str(r.randint(-5, 5))
        if k == 1:
            return str(r.randint(-10**6, 10**6))
        if k == 2:
            return f"{r.randint(-999, 999)}.{r.randint(0, 999):03d}"
        if k == 3:
            return f"{r.randint(1, 9)}E{r.randint(-130, 125)}"
        if k == 4:
            return "-" + f"{r.randint(1, 9)}e{r.randint(-120, 120)}"
        if k == 5:
            digits = "".join(r.choice("0123456789") for _ in range(r.randint(1, 38)))
            return digits.lstrip("0") or "0"
        if k == 6:
            return r.choice(["0", "-0", "0.0", "00", "1.0", "1.50", "0.001", "+5", ".5", "5."])
        if k == 7:
            return r.choice(["1E126", "1E-131", "9.9999999999999999999999999999999999999E+125",
                             "1" * 39, "0.00000000000000000000000000000000000000001"])
        return str(r.randint(0, 20))

    def string(self):
        r = self.r
        return r.choice(["", "x", "y", "ab", "abc", "a b", "é", "😀", "Z", "a\u0000b",
                         "".join(r.choice("abcxyz") for _ in range(r.randint(1, 6)))])

    def binary(self):
        return bytes(self.r.randrange(256) for _ in range(self.r.randint(0, 4)))

    def value(self, depth=0):
        r = self.r
        kinds = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"]
        if depth < 2:
            kinds += ["L", "M", "L", "M"]
        k = r.choice(kinds)
        if k == "S":
            return {"S": self.string()}
        if k == "N":
            return {"N": self.number()}
        if k == "B":
            return {"B": self.binary()}
        if k == "BOOL":
            return {"BOOL": r.random() < 0.5}
        if k == "NULL":
            return {"NULL": r.random() < 0.9}
        if k == "SS":
            return {"SS": [self.string() for _ in range(0 if self.rare() else r.randint(1, 3))]}
        if k == "NS":
            return {"NS": [self.number() for _ in range(0 if self.rare() else r.randint(1, 3))]}
        if k == "BS":
            return {"BS": [self.binary() for _ in range(0 if self.rare() else r.randint(1, 3))]}
        if k == "L":
            return {"L": [self.value(depth + 1) for _ in range(r.randint(0, 3))]}
        return {"M": {r.choice(["x", "y", "z", "l"]): self.value(depth + 1)
                      for _ in range(r.randint(0, 3))}}

    def rare(self, p=0.04):
        """True now and then: for the invalid inputs each run should try a few of."""
        return self.r.random() < p

    def pk(self):
        return {"S": "" if self.rare() else self.r.choice(["p1", "p2", "p3", "ppp"])}

    def sk(self, sk_type="N"):
        if sk_type == "T":  # the LSI's sort key t
            return self.t()
        if sk_type == "B":
            return {"B": b"" if self.rare() else
                    self.r.choice([b"\x00", b"\x01", b"\x01\x02", b"\x7f", b"\x80", b"\xff", b"a"])}
        if sk_type == "S":
            return {"S": "" if self.rare() else
                    self.r.choice(["a", "b", "ab", "abc", "b1", "z", "é"])}
        return {"N": self.r.choice(["1", "2", "3", "10", "-1", "0.5", "1E2", self.number()])}

    def key(self, sk_type="N"):
        return {"pk": self.pk(), "sk": self.sk(sk_type)}

    def g(self):
        """A value for the GSI's partition key g: mostly good, sometimes empty or mistyped."""
        if self.rare(0.1):
            return self.r.choice([{"S": ""}, {"N": "1"}])
        return self.r.choice([{"S": "g1"}, {"S": "g2"}])

    def t(self):
        """A value for the LSI's sort key t: mostly good, sometimes empty or mistyped."""
        if self.rare(0.1):
            return self.r.choice([{"S": ""}, {"N": "1"}])
        return {"S": self.r.choice(["t1", "t2", "t3", "u"])}

    def item(self, sk_type="N", index=None):
        it = self.key(sk_type)
        for n in self.r.sample(NAMES, self.r.randint(0, 5)):
            it[n] = self.value()
        if index and self.r.random() < 0.6:
            it["g" if index == "gsi" else "t"] = self.g() if index == "gsi" else self.t()
        return it


class Conditions:
    """What expressions and PartiQL conditions share: operands and the functions, over a
    subclass's path() and val() (a placeholder or ? parameter for a value, or a literal)."""

    TYPES = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS", "X"]  # attribute_type's

    def operand(self):
        r = self.r.random()
        if r < 0.45:
            return self.path()
        if r < 0.9:
            return self.val()
        return f"size({self.path()})"

    def prefix(self):
        """A begins_with operand."""
        return {"S": self.g.string()}

    def function(self, k):
        """One of the five condition functions (k: 0 to 4)."""
        if k == 0:
            return f"attribute_exists({self.path()})"
        if k == 1:
            return f"attribute_not_exists({self.path()})"
        if k == 2:
            t = self.r.choice(self.TYPES)
            return f"attribute_type({self.path()}, {self.val({'S': t})})"
        if k == 3:
            prefix = self.prefix()
            return f"begins_with({self.path()}, {self.val(prefix)})"
        return f"contains({self.path()}, {self.val()})"


class Expr(Conditions):
    """Builds one expression with its placeholders."""

    def __init__(self, gen):
        self.g = gen
        self.r = gen.r
        self.names = {}
        self.values = {}

    def path(self, paths=PATHS):
        p = self.r.choice(paths)
        if self.r.random() < 0.3:
            head = p.split(".")[0].split("[")[0]
            ph = "#" + head
            self.names[ph] = head
            p = ph + p[len(head):]
        return p

    def val(self, v=None):
        ph = f":v{len(self.values)}"
        self.values[ph] = v if v is not None else self.g.value()
        return ph

    def prefix(self):
        return self.r.choice([{"S": self.g.string()}, {"B": self.g.binary()}, self.g.value()])

    def condition(self, depth=0):
        r = self.r
        k = r.randrange(12 if depth < 2 else 8)
        if k < 5:
            return self.function(k)
        if k in (5, 6):
            op = r.choice(["=", "<>", "<", "<=", ">", ">="])
            return f"{self.operand()} {op} {self.operand()}"
        if k == 7:
            return f"{self.operand()} BETWEEN {self.operand()} AND {self.operand()}"
        if k == 8:
            listed = ", ".join(self.operand() for _ in range(r.randint(1, 3)))
            return f"{self.operand()} IN ({listed})"
        if k == 9:
            return f"NOT {self.condition(depth + 1)}"
        if k == 10:
            return f"({self.condition(depth + 1)}) AND ({self.condition(depth + 1)})"
        return f"{self.condition(depth + 1)} OR {self.condition(depth + 1)}"

    def update(self):
        r = self.r
        clauses = {}
        used = set()

        def fresh(paths=PATHS):
            for _ in range(5):
                p = r.choice(paths)
                if p not in used:
                    used.add(p)
                    return self.path([p])
            return None

        for _ in range(r.randint(1, 3)):
            kind = r.choice(["SET", "SET", "SET", "REMOVE", "ADD", "DELETE"])
            if kind == "SET":
                p = fresh()
                if p is None:
                    continue
                k = r.randrange(6)
                if k == 0:
                    rhs = self.val()
                elif k == 1:
                    rhs = f"{self.operand()} {r.choice('+-')} {self.operand()}"
                elif k == 2:
                    rhs = f"if_not_exists({self.path()}, {self.val()})"
                elif k == 3:
                    rhs = f"list_append({self.operand()}, {self.operand()})"
                elif k == 4:
                    rhs = self.path()
                else:
                    rhs = f"{self.val({'N': self.g.number()})} + {self.path()}"
                clauses.setdefault("SET", []).append(f"{p} = {rhs}")
            elif kind == "REMOVE":
                p = fresh()
                if p is not None:
                    clauses.setdefault("REMOVE", []).append(p)
            else:
                p = fresh(NAMES)
                if p is not None:
                    clauses.setdefault(kind, []).append(f"{p} {self.val()}")
        if not clauses:
            clauses["SET"] = [f"{fresh(['a'])} = {self.val()}"]
        return " ".join(f"{k} {', '.join(v)}" for k, v in clauses.items())

    def projection(self):
        return ", ".join(self.path() for _ in range(self.r.randint(1, 3)))

    def key_condition(self, sk_type="N", index=None):
        r = self.r
        pk = f"g = {self.val(self.g.g())}" if index == "gsi" else f"pk = {self.val(self.g.pk())}"
        if index == "lsi":  # the LSI's sort key t, an S
            sk_type = "T"
        k = r.randrange(5)
        sk_name = "t" if index == "lsi" else "sk"
        sk = "#sk" if r.random() < 0.5 else sk_name
        if sk == "#sk":
            self.names["#sk"] = sk_name
        if k == 0:
            return pk
        if k == 1:
            op = r.choice(['=', '<', '<=', '>', '>='])
            return f"{pk} AND {sk} {op} {self.val(self.g.sk(sk_type))}"
        if k == 2:
            low, high = self.val(self.g.sk(sk_type)), self.val(self.g.sk(sk_type))
            return f"{pk} AND {sk} BETWEEN {low} AND {high}"
        if k == 3:
            return f"{pk} AND begins_with({sk}, {self.val(self.g.sk(sk_type))})"
        return f"{sk} = {self.val(self.g.sk(sk_type))} AND {pk}"

    def apply(self, req):
        if self.names:
            req["ExpressionAttributeNames"] = self.names
        if self.values:
            req["ExpressionAttributeValues"] = self.values
        return req


def item_request(gen, table, sk_type, index, op=None):
    """One random single-item request or Query/Scan on `table`: (operation, parameters)."""
    r = gen.r
    op = op or r.choice(["put_item", "put_item", "update_item", "update_item", "update_item",
                         "delete_item", "get_item", "query", "query", "scan"])
    e = Expr(gen)
    req = {"TableName": table}
    if op == "put_item":
        req["Item"] = gen.item(sk_type, index)
        if r.random() < 0.5:
            req["ConditionExpression"] = e.condition()
        req["ReturnValues"] = r.choice(["NONE", "ALL_OLD"])
    elif op == "update_item":
        req["Key"] = gen.key(sk_type)
        req["UpdateExpression"] = e.update()
        if index and r.random() < 0.3 and "SET" not in req["UpdateExpression"]:
            attr, value = ("g", gen.g()) if index == "gsi" else ("t", gen.t())
            req["UpdateExpression"] += f" SET {attr} = {e.val(value)}"
        if r.random() < 0.4:
            req["ConditionExpression"] = e.condition()
        req["ReturnValues"] = r.choice(["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
    elif op == "delete_item":
        req["Key"] = gen.key(sk_type)
        if r.random() < 0.6:
            req["ConditionExpression"] = e.condition()
        req["ReturnValues"] = r.choice(["NONE", "ALL_OLD"])
    elif op == "get_item":
        req["Key"] = gen.key(sk_type)
        if r.random() < 0.5:
            req["ProjectionExpression"] = e.projection()
    else:
        on_index = index if index and op == "query" and r.random() < 0.4 else None
        if op == "query":
            req["KeyConditionExpression"] = e.key_condition(sk_type, on_index)
            req["ScanIndexForward"] = r.random() < 0.5
            if on_index:
                req["IndexName"] = INDEX_NAMES[on_index]
        if r.random() < 0.5:
            req["FilterExpression"] = e.condition()
        if r.random() < 0.3:
            req["ProjectionExpression"] = e.projection()
        if r.random() < 0.2:
            req["Select"] = r.choice(["COUNT", "COUNT", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES"])
        # Scan's order is DynamoDB Local's own, and items that tie on an index key have none.
        if op == "query" and not on_index and r.random() < 0.3:
            req["Limit"] = r.randint(1, 4)
        if op == "scan" and r.random() < 0.25:  # a parallel Scan, read whole (parallel_scan)
            req["TotalSegments"], req["Segment"] = r.randint(1, 4), "*"
            if gen.rare(0.2):  # or one invalid segment request, for its error
                req["Segment"], req["TotalSegments"] = r.choice(
                    [(4, 4), (3, 2), (0, 1000001), (1, None), (None, 3)])
                req = {k: v for k, v in req.items() if v is not None}
    if r.random() < 0.3:
        req["ReturnConsumedCapacity"] = r.choice(["TOTAL", "INDEXES"])
    return op, e.apply(req)


def transact_request(gen, tables):
    """TransactWriteItems of 1-4 actions, or TransactGetItems."""
    r = gen.r
    if r.random() < 0.25:
        items = []
        for _ in range(r.randint(1, 4)):
            table, sk_type, _ = r.choice(tables)
            get = {"TableName": table, "Key": gen.key(sk_type)}
            if r.random() < 0.3:
                e = Expr(gen)
                get["ProjectionExpression"] = e.projection()
                e.apply(get)
                get.pop("ExpressionAttributeValues", None)
            items.append({"Get": get})
        return "transact_get_items", {"TransactItems": items}
    actions = []
    for _ in range(r.randint(1, 4)):
        table, sk_type, index = r.choice(tables)
        kind = r.choice(["Put", "Update", "Delete", "ConditionCheck"])
        op = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item",
              "ConditionCheck": "delete_item"}[kind]
        _, one = item_request(gen, table, sk_type, index, op)
        one.pop("ReturnValues", None)
        one.pop("ReturnConsumedCapacity", None)
        if kind == "ConditionCheck" and "ConditionExpression" not in one:
            e = Expr(gen)
            one["ConditionExpression"] = e.condition()
            e.apply(one)
        if r.random() < 0.3 and "ConditionExpression" in one:
            one["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        actions.append({kind: one})
    return "transact_write_items", {"TransactItems": actions}


def batch_request(gen, tables):
    """BatchWriteItem of 1-5 puts and deletes, or BatchGetItem."""
    r = gen.r
    table, sk_type, index = r.choice(tables)
    if r.random() < 0.4:
        keys = [gen.key(sk_type) for _ in range(r.randint(1, 5))]
        return "batch_get_item", {"RequestItems": {table: {"Keys": keys, "ConsistentRead": True}}}
    writes = []
    for _ in range(r.randint(1, 5)):
        if r.random() < 0.7:
            writes.append({"PutRequest": {"Item": gen.item(sk_type, index)}})
        else:
            writes.append({"DeleteRequest": {"Key": gen.key(sk_type)}})
    return "batch_write_item", {"RequestItems": {table: writes}}


LEGACY_OPERATORS = ["EQ", "NE", "LE", "LT", "GE", "GT", "NOT_NULL", "NULL", "CONTAINS",
                    "NOT_CONTAINS", "BEGINS_WITH", "IN", "BETWEEN"]


def legacy_conditions(gen, names, operators=LEGACY_OPERATORS):
    """Expected / QueryFilter / ScanFilter: {name: {ComparisonOperator, AttributeValueList}},
    with about as many values as the operator takes (sometimes not: DynamoDB's errors)."""
    r = gen.r
    out = {}
    for name in r.sample(names, r.randint(1, 2)):
        op = r.choice(operators)
        count = {"NOT_NULL": 0, "NULL": 0, "BETWEEN": 2, "IN": r.randint(1, 3)}.get(op, 1)
        if gen.rare(0.05):
            count += 1
        values = [gen.value() if r.random() < 0.5 else gen.r.choice(
            [{"N": gen.number()}, {"S": gen.string()}]) for _ in range(count)]
        cond = {"ComparisonOperator": op}
        if values or r.random() < 0.5:
            cond["AttributeValueList"] = values
        out[name] = cond
    return out


def legacy_request(gen, table, sk_type):
    """The parameters DynamoDB had before expressions: Expected, AttributeUpdates,
    KeyConditions, QueryFilter, ScanFilter, AttributesToGet."""
    r = gen.r
    op = r.choice(["put_item", "update_item", "delete_item", "query", "scan"])
    req = {"TableName": table}
    if op in ("put_item", "update_item", "delete_item"):
        if op == "put_item":
            req["Item"] = gen.item(sk_type)
        else:
            req["Key"] = gen.key(sk_type)
        if op == "update_item":
            req["AttributeUpdates"] = {
                n: ({"Action": "DELETE"} if r.random() < 0.2 else
                    {"Action": r.choice(["PUT", "ADD", "DELETE"]), "Value": gen.value()})
                for n in r.sample(NAMES, r.randint(1, 3))}
            req["ReturnValues"] = r.choice(["NONE", "ALL_NEW", "UPDATED_OLD"])
        if r.random() < 0.6:
            if r.random() < 0.3:
                name = r.choice(NAMES)
                exp = {"Exists": r.random() < 0.5}
                if exp["Exists"] or r.random() < 0.2:
                    exp["Value"] = gen.value()
                req["Expected"] = {name: exp}
            else:
                req["Expected"] = legacy_conditions(gen, NAMES)
                if len(req["Expected"]) > 1:
                    req["ConditionalOperator"] = r.choice(["AND", "OR"])
        return op, req
    if op == "query":
        sk_op = r.choice(["EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN", None])
        req["KeyConditions"] = {"pk": {"ComparisonOperator": "EQ",
                                       "AttributeValueList": [gen.pk()]}}
        if sk_op:
            count = 2 if sk_op == "BETWEEN" else 1
            req["KeyConditions"]["sk"] = {"ComparisonOperator": sk_op, "AttributeValueList":
                                          [gen.sk(sk_type) for _ in range(count)]}
        req["ScanIndexForward"] = r.random() < 0.5
    if r.random() < 0.5:
        req["QueryFilter" if op == "query" else "ScanFilter"] = legacy_conditions(gen, NAMES)
    if r.random() < 0.3:
        req["AttributesToGet"] = r.sample(NAMES + ["pk"], r.randint(1, 3))
    return op, req


# PartiQL paths: nested, indexed and quoted names (never the key attributes, whose equality
# decides whether a SELECT is a Query).
PARTIQL_PATHS = ["a", "b", "c", "d", "l", "m", "s", "n", "l[0]", "l[1]", "m.x", "m.y", "m.x.z",
                 '"a"', 'm."x"', "m.l[0]"]


class Partiql(Conditions):
    """Builds one PartiQL statement's parts, with its ? parameters."""

    TYPES = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "X"]

    def __init__(self, gen):
        self.g = gen
        self.r = gen.r
        self.params = []

    def p(self, v):
        self.params.append(v)
        return "?"

    def literal(self, v, depth=0):
        """v written as a PartiQL literal (binary has none: a parameter)."""
        (t, x), = v.items()
        if t == "S":
            return "'" + x.replace("'", "''") + "'"
        if t == "N":
            return x if self.r.random() < 0.5 or depth else self.p(v)
        if t == "BOOL":
            return "true" if x else "false"
        if t == "NULL":
            return "null"
        if t == "L":
            return "[" + ", ".join(self.literal(e, depth + 1) for e in x) + "]"
        if t == "M":
            return "{" + ", ".join(f"'{k}': {self.literal(e, depth + 1)}" for k, e in x.items()) + "}"
        if t in ("SS", "NS") and x:
            return "<<" + ", ".join(self.literal({t[0]: e}, depth + 1) for e in x) + ">>"
        return self.p(v)

    def number_literal(self):
        return self.r.choice(["0", "1", "2", "-3", "1.5", "10", "1E2", "0.001"])

    def val(self, v=None):
        """A value as a ? parameter or as a literal."""
        v = v if v is not None else self.g.value()
        if "N" in v and not all(c in "0123456789.-E" for c in v["N"]):
            return self.p(v)  # the generator's odd number texts go as parameters
        return self.p(v) if self.r.random() < 0.5 else self.literal(v)

    def path(self):
        return self.r.choice(PARTIQL_PATHS)

    def condition(self, depth=0):
        r = self.r
        k = r.randrange(13 if depth < 2 else 9)
        if k < 5:
            return self.function(k)
        if k in (5, 6):
            op = r.choice(["=", "<>", "!=", "<", "<=", ">", ">="])
            return f"{self.operand()} {op} {self.operand()}"
        if k == 7:
            neg = "NOT " if r.random() < 0.2 else ""
            return f"{self.path()} {neg}BETWEEN {self.operand()} AND {self.operand()}"
        if k == 8:
            what = r.choice(["MISSING", "NOT MISSING", "NULL", "NOT NULL", "STRING", "NUMERIC",
                             "BOOLEAN", "LIST", "STRUCT", "BLOB"])
            return f"{self.path()} IS {what}"
        if k == 9:
            listed = ", ".join(self.operand() for _ in range(r.randint(1, 3)))
            brackets = "[]" if r.random() < 0.5 else "()"
            return f"{self.path()} IN {brackets[0]}{listed}{brackets[1]}"
        if k == 10:
            return f"NOT {self.condition(depth + 1)}"
        if k == 11:
            return f"({self.condition(depth + 1)}) AND ({self.condition(depth + 1)})"
        return f"({self.condition(depth + 1)} OR {self.condition(depth + 1)})"

    def set_value(self):
        r = self.r
        k = r.randrange(5)
        if k == 0:
            return self.val()
        if k == 1:
            return f"{self.operand()} {r.choice('+-')} {self.operand()}"
        if k == 2:
            return f"{self.path()} + {self.number_literal()}"
        if k == 3:
            return f"list_append({self.path()}, {self.val({'L': [self.g.value(1)]})})"
        return self.path()

    def update(self):
        r = self.r
        parts, used = [], set()
        for _ in range(r.randint(1, 3)):
            name = r.choice(PARTIQL_PATHS)
            if name in used:
                continue
            used.add(name)
            k = r.random()
            if k < 0.6:
                parts.append(f"SET {name} = {self.set_value()}")
            elif k < 0.8:
                parts.append(f"REMOVE {name}")
            else:
                fn = r.choice(["set_add", "set_delete"])
                parts.append(f"SET {name} = {fn}({name}, {self.val({'SS': ['x', 'y']})})")
        return " ".join(parts) or f"SET a = {self.val()}"


def partiql_key(q, sk_type):
    return f"pk = {q.p(q.g.pk())} AND sk = {q.p(q.g.sk(sk_type))}"


def partiql_statement(gen, table, sk_type, index=None, kinds=None):
    """One statement of the richer kind: (text, parameters)."""
    r = gen.r
    q = Partiql(gen)
    kind = r.choice(kinds or ["select", "select", "insert", "update", "update", "delete"])
    returning = ""
    if kind == "select":
        what = "*" if r.random() < 0.6 else ", ".join(r.sample(PARTIQL_PATHS + ["pk", "sk"], 2))
        source = f'"{table}"'
        where = []
        k = r.random()
        if k < 0.5:
            where.append(f"pk = {q.p(gen.pk())}")
            if r.random() < 0.3:
                where.append(f"sk {r.choice(['=', '<', '>=', '<>'])} {q.p(gen.sk(sk_type))}")
        elif k < 0.6 and index == "gsi":
            source += '."byg"'
            what = "*"
            where.append(f"g = {q.p(gen.g())}")
        if r.random() < 0.7:
            where.append(f"({q.condition()})")
        text = f"SELECT {what} FROM {source}" + (" WHERE " + " AND ".join(where) if where else "")
    elif kind == "insert":
        attrs = {"pk": gen.pk(), "sk": gen.sk(sk_type)}
        for n in r.sample(NAMES, r.randint(0, 3)):
            attrs[n] = gen.value()
        body = ", ".join(f"'{n}': {q.val(v)}" for n, v in attrs.items())
        text = f'INSERT INTO "{table}" VALUE {{{body}}}'
    elif kind == "update":  # parameters in the order of their ?s
        changes = q.update()
        key = partiql_key(q, sk_type)
        extra = f" AND ({q.condition()})" if r.random() < 0.3 else ""
        text = f'UPDATE "{table}" {changes} WHERE {key}{extra}'
        if r.random() < 0.3:
            returning = " RETURNING " + r.choice(["ALL OLD *", "MODIFIED OLD *", "ALL NEW *",
                                                  "MODIFIED NEW *"])
    elif kind == "exists":
        text = f'EXISTS(SELECT * FROM "{table}" WHERE {partiql_key(q, sk_type)}' + (
            f" AND ({q.condition()})" if r.random() < 0.5 else "") + ")"
    elif kind == "get":  # a SELECT of one item by its whole key, as batches take
        text = f'SELECT * FROM "{table}" WHERE {partiql_key(q, sk_type)}'
    else:
        key = partiql_key(q, sk_type)
        extra = f" AND ({q.condition()})" if r.random() < 0.4 else ""
        text = f'DELETE FROM "{table}" WHERE {key}{extra}'
        if r.random() < 0.3:
            returning = " RETURNING ALL OLD *"
    return text + returning, q.params


def partiql_request(gen, table, sk_type, index=None, tables=None):
    """ExecuteStatement: SELECT, INSERT, UPDATE and DELETE with ? parameters; half of them with
    literals, nested paths, IS / IN / BETWEEN / functions, SET arithmetic and RETURNING; or
    BatchExecuteStatement, or ExecuteTransaction."""
    r = gen.r
    if tables and r.random() < 0.25:
        batch = r.random() < 0.5
        reads = r.random() < 0.3
        kinds = (["get"] if reads else (["insert", "update", "delete"] if batch else
                                         ["insert", "update", "delete", "exists"]))
        statements = []
        for _ in range(r.randint(1, 4)):
            t, t_sk, t_index = r.choice(tables)
            text, params = partiql_statement(gen, t, t_sk, t_index, kinds)
            one = {"Statement": text}
            if params:
                one["Parameters"] = params
            statements.append(one)
        if batch:
            return "batch_execute_statement", {"Statements": statements}
        return "execute_transaction", {"TransactStatements": statements}
    if r.random() < 0.5:
        text, params = partiql_statement(gen, table, sk_type, index)
        req = {"Statement": text}
        if params:
            req["Parameters"] = params
        if text.startswith("SELECT") and r.random() < 0.3:
            req["ConsistentRead"] = True
        return "execute_statement", req
    kind = r.choice(["select", "select", "insert", "update", "delete"])
    params = []

    def p(v):
        params.append(v)
        return "?"
    if kind == "select":
        where = []
        if r.random() < 0.8:
            where.append(f"pk = {p(gen.pk())}")
        if r.random() < 0.5:
            sk_op = r.choice(["=", "<", "<=", ">", ">="])
            where.append(f"sk {sk_op} {p(gen.sk(sk_type))}")
        if r.random() < 0.3:
            where.append(f"{r.choice(NAMES)} {r.choice(['=', '<>', '<', '>'])} {p(gen.value())}")
        if r.random() < 0.2:
            where.append(f"begins_with({r.choice(NAMES)}, {p({'S': gen.string()})})")
        what = "*" if r.random() < 0.7 else ", ".join(r.sample(NAMES + ["pk", "sk"], 2))
        text = f'SELECT {what} FROM "{table}"' + (" WHERE " + " AND ".join(where) if where else "")
    elif kind == "insert":
        attrs = {"pk": gen.pk(), "sk": gen.sk(sk_type)}
        for n in r.sample(NAMES, r.randint(0, 3)):
            attrs[n] = gen.value()
        body = ", ".join(f"'{n}': {p(v)}" for n, v in attrs.items())
        text = f'INSERT INTO "{table}" VALUE {{{body}}}'
    elif kind == "update":
        name = r.choice(NAMES)
        change = f"SET {name} = {p(gen.value())}" if r.random() < 0.7 else f"REMOVE {name}"
        pk, sk = p(gen.pk()), p(gen.sk(sk_type))
        text = f'UPDATE "{table}" {change} WHERE pk = {pk} AND sk = {sk}'
    else:
        pk, sk = p(gen.pk()), p(gen.sk(sk_type))
        text = f'DELETE FROM "{table}" WHERE pk = {pk} AND sk = {sk}'
    req = {"Statement": text}
    if params:
        req["Parameters"] = params
    if kind == "select" and r.random() < 0.3:
        req["ConsistentRead"] = True
    return "execute_statement", req


def request(gen, tables):
    r = gen.r.random()
    if r < 0.1:
        return transact_request(gen, tables)
    if r < 0.2:
        return batch_request(gen, tables)
    table, sk_type, index = gen.r.choice(tables)
    if r < 0.3:
        return legacy_request(gen, table, sk_type)
    if r < 0.4:
        return partiql_request(gen, table, sk_type, index, tables)
    return item_request(gen, table, sk_type, index)


def canon(v):
    """A comparable form of an answer: numbers by value, sets unordered."""
    if isinstance(v, dict):
        if set(v) == {"N"}:
            return ("N", decimal.Decimal(v["N"]).normalize())
        if set(v) == {"NS"}:
            return ("NS", sorted(decimal.Decimal(x).normalize() for x in v["NS"]))
        if set(v) in ({"SS"}, {"BS"}):
            return (next(iter(v)), sorted(next(iter(v.values()))))
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canon(x) for x in v]
    return v


def call(client, op, req):
    if op == "scan" and req.get("Segment") == "*":
        return parallel_scan(client, req)
    try:
        out = getattr(client, op)(**req)
        out.pop("ResponseMetadata", None)
        return ("ok", out)
    except ClientError as e:
        # A transaction's reasons, or the item a failed condition returns (ALL_OLD).
        detail = e.response.get("CancellationReasons") or e.response.get("Item")
        return ("error", e.response["Error"].get("Code"), e.response["Error"].get("Message"),
                detail)


def parallel_scan(client, req):
    """Every segment of a parallel Scan (`TotalSegments` of them), each read to its end: the
    items of all, counts summed, or the first error. Which segment holds an item is each
    server's own (DynamoDB Local's split is not DynamoDB's), so only the whole is compared."""
    whole = {"Count": 0, "ScannedCount": 0}
    for segment in range(req["TotalSegments"]):
        page = dict(req, Segment=segment)
        while True:
            ans = call(client, "scan", page)
            if ans[0] == "error":
                return ans
            out = ans[1]
            if "Items" in out:
                whole.setdefault("Items", []).extend(out["Items"])
            whole["Count"] += out["Count"]
            whole["ScannedCount"] += out["ScannedCount"]
            if "LastEvaluatedKey" not in out:
                break
            page["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    return ("ok", whole)


def sort_items(items):
    return sorted(items, key=lambda i: json.dumps(canon(i), default=str, sort_keys=True))


def result_view(op, req, ans):
    if ans[0] == "error":
        detail = ans[3]
        if isinstance(detail, list):  # which actions failed and why, and their old items
            detail = [{k: v for k, v in x.items() if k != "Message"} for x in detail]
        return ("error", ans[1], canon(detail) if detail else None)
    out = dict(ans[1])
    # ConsumedCapacity is compared, but not where DynamoDB Local meters otherwise: transactions,
    # batches and PartiQL; a Query or Scan that read nothing (0 from DynamoDB Local; we charge
    # the minimum read, as for a GetItem of a missing item: unsettled); and a DeleteItem that
    # did not ask for it (DynamoDB Local gives it anyway).
    if (op.startswith(("transact_", "batch_")) or op == "execute_statement" or
            out.get("ScannedCount") == 0 or req.get("ReturnConsumedCapacity", "NONE") == "NONE"):
        out.pop("ConsumedCapacity", None)
    unordered = op == "scan" or (op == "query" and "IndexName" in req) or (
        op == "execute_statement" and "WHERE pk = " not in req["Statement"])
    if unordered and "LastEvaluatedKey" not in out and "Items" in out:
        out["Items"] = sort_items(out["Items"])
    if op == "batch_execute_statement":  # each statement's error by its code, not its wording
        out["Responses"] = [dict(x, Error={k: v for k, v in x["Error"].items() if k != "Message"})
                            if "Error" in x else x for x in out.get("Responses", [])]
    if op in ("batch_get_item", "batch_write_item"):
        out.pop("ItemCollectionMetrics", None)
        out["Responses"] = {t: sort_items(v) for t, v in out.get("Responses", {}).items()}
    return ("ok", canon(out))


def scan_all(client, table):
    items, start = [], None
    while True:
        req = {"TableName": table, "ConsistentRead": True}
        if start:
            req["ExclusiveStartKey"] = start
        out = client.scan(**req)
        items += out["Items"]
        start = out.get("LastEvaluatedKey")
        if not start:
            return sort_items(items)


def make_table(client, table, sk_type, index):
    try:
        client.delete_table(TableName=table)
        client.get_waiter("table_not_exists").wait(TableName=table)
    except ClientError:
        pass
    attrs = [{"AttributeName": "pk", "AttributeType": "S"},
             {"AttributeName": "sk", "AttributeType": sk_type}]
    extra = {}
    if index == "lsi":
        attrs.append({"AttributeName": "t", "AttributeType": "S"})
        extra["LocalSecondaryIndexes"] = [{
            "IndexName": "byt", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "t", "KeyType": "RANGE"}]}]
    if index == "gsi":  # its changes are compared as stream records too (stream_records)
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": "byg", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}]}]
        extra["StreamSpecification"] = {"StreamEnabled": True,
                                        "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=attrs,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}], **extra)
    client.get_waiter("table_exists").wait(TableName=table)


def empty_maps_typed(av):
    """DynamoDB Local's stream records write an empty map as {} (no type); DynamoDB and we as
    {"M": {}}."""
    if av == {}:
        return {"M": {}}
    if "M" in av:
        return {"M": {k: empty_maps_typed(v) for k, v in av["M"].items()}}
    if "L" in av:
        return {"L": [empty_maps_typed(v) for v in av["L"]]}
    return av


def stream_records(client, streams, table):
    """Every record of the table's stream, by item (DynamoDB orders an item's records as its
    changes; the records of a batch or transaction's several items have no order), without
    what differs by construction (ids, sequence numbers, times, the region)."""
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = {}
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while it:
            out = streams.get_records(ShardIterator=it, Limit=1000)
            for r in out["Records"]:
                d = {k: v for k, v in r["dynamodb"].items()
                     if k not in ("SequenceNumber", "ApproximateCreationDateTime")}
                for image in ("Keys", "NewImage", "OldImage"):
                    if image in d:
                        d[image] = {n: empty_maps_typed(v) for n, v in d[image].items()}
                key = json.dumps(canon(d["Keys"]), sort_keys=True, default=str)
                records.setdefault(key, []).append(canon({"eventName": r["eventName"],
                                                          "dynamodb": d}))
            if not out["Records"]:
                break
            it = out.get("NextShardIterator")
    return records


def resync(ref, cand, table):
    for it in scan_all(cand, table):
        cand.delete_item(TableName=table, Key={"pk": it["pk"], "sk": it["sk"]})
    for it in scan_all(ref, table):
        cand.put_item(TableName=table, Item=it)


def known_deviation(ref, op, req):
    """Requests whose answers differ by a choice documented in tests/conformance/provenance.py:
    an update that only REMOVEs or DELETEs on a missing item creates nothing in DynamoDB, while
    DynamoDB Local creates the key-only item (MISSING_ITEM_NOT_CREATED)."""
    if op == "transact_write_items":
        # Two actions on one item: DynamoDB refuses the request (its TransactWriteItems
        # reference: "you cannot both ConditionCheck and Update the same item"); DynamoDB Local
        # runs such a transaction when a condition fails first.
        targets = [json.dumps([b["TableName"], b.get("Key") or {k: b["Item"][k] for k in
                                                               ("pk", "sk") if k in b["Item"]}],
                              sort_keys=True, default=repr)
                   for a in req["TransactItems"] for b in a.values()]
        if len(set(targets)) < len(targets):
            return True
        updates = [a["Update"] for a in req["TransactItems"] if "Update" in a]
    else:
        updates = [req] if op == "update_item" else []
    for u in updates:
        # An UpdateItem giving the LSI's sort key t another type: refused, as for every index
        # key of another type (DynamoDB's answer for a GSI key captured in
        # tests/conformance/test_transactions.py); DynamoDB Local 3.3.1 stores it, and the item
        # could then not be copied over.
        lsi_set = re.search(r"SET t = (:v\d+)", u.get("UpdateExpression", ""))
        if lsi_set and "S" not in u.get("ExpressionAttributeValues", {}).get(lsi_set.group(1), {}):
            return True
        if "AttributeUpdates" in u:  # legacy: only DELETE actions create nothing either
            if any(a["Action"] != "DELETE" for a in u["AttributeUpdates"].values()):
                continue
        elif any(w in u["UpdateExpression"] for w in ("SET ", "ADD ")):
            continue
        try:
            if "Item" not in ref.get_item(TableName=u["TableName"], Key=u["Key"],
                                          ConsistentRead=True):
                return True
        except ClientError:
            pass
    return False


UPDATE_APPLY_ERRORS = ("The document path provided in the update expression is invalid for update",
                      "The provided expression refers to an attribute that does not exist in the "
                      "item", "An operand in the update expression has an incorrect data type",
                      # a sum or difference of more than 38 digits (DynamoDB: "Number overflow")
                      "DynamoDB only supports precision up to 38 digits")


def partiql_statement_key(one):
    """The table and key a generated statement names ({"table", "pk", "sk"}, values in
    AttributeValue form), or None: its "pk = X AND sk = Y" or INSERT VALUE {'pk': X, 'sk': Y},
    each X and Y a literal or a ? parameter."""
    text, params = one["Statement"], one.get("Parameters", [])
    table = re.search(r'(?:FROM|INTO|UPDATE) "([^"]+)"', text)
    key = {}
    for name in ("pk", "sk"):
        m = (re.search(r"\b%s = ('(?:[^']|'')*'|[-0-9.E]+|\?)" % name, text) or
             re.search(r"'%s': ('(?:[^']|'')*'|[-0-9.E]+|\?)" % name, text))
        if not table or not m:
            return None
        literal = m.group(1)
        if literal == "?":
            at = text[:m.start(1)].count("?")
            if at >= len(params):  # a ? inside a string literal before it
                return None
            value = params[at]
        elif literal.startswith("'"):
            value = {"S": literal[1:-1].replace("''", "'")}
        else:
            value = {"N": literal}
        key[name] = value
    key["table"] = table.group(1)
    return key


def part_of(sub, whole):
    """sub is whole with some members of its maps left out, at any depth."""
    if isinstance(sub, dict) and isinstance(whole, dict):
        return set(sub) <= set(whole) and all(part_of(v, whole[k]) for k, v in sub.items())
    return sub == whole


def narrowed_item(ours, ref):
    """Whether item `ours` is item `ref` with members of its nested maps left out: the same
    top-level attributes, each a part of ref's (an update's projection on a nested path, where
    DynamoDB Local returns the whole top-level attribute)."""
    return (isinstance(ours, dict) and isinstance(ref, dict) and set(ours) == set(ref) and
            part_of(ours, ref))


def modified_member_part_of(req, ref, ours):
    """Whether a PartiQL answer differs from DynamoDB Local's only in the items returned by
    UPDATEs with RETURNING MODIFIED that change a nested map member (each of ours a part of its
    item) or a list element (ours the item projected on the element's path), with the same
    top-level attributes (see known_answer_deviation)."""
    def changes(statement):
        found = re.search(r"\b(?:SET|REMOVE)\b(.*)\bWHERE\b", statement)  # SET/REMOVE ... WHERE
        return found.group(1) if found and "RETURNING MODIFIED" in statement else None

    def item_part_of(statement, r, o):
        changed = changes(statement)
        if r == o or changed is None:
            return r == o
        if re.search(r'[A-Za-z_"]\[\d', changed) is not None:  # a list element
            return isinstance(o, dict) and isinstance(r, dict) and set(o) == set(r)
        return (re.search(r'[A-Za-z_"]\.[A-Za-z_"]', changed) is not None and
                narrowed_item(o, r))

    if "Statement" in req:
        r, o = ref.get("Items", []), ours.get("Items", [])
        return (len(r) == len(o) == 1 and dict(ref, Items=None) == dict(ours, Items=None) and
                item_part_of(req["Statement"], r[0], o[0]))
    if "Statements" in req:
        r, o = ref.get("Responses", []), ours.get("Responses", [])
        if len(r) != len(o) or len(r) != len(req["Statements"]):
            return False
        return all(
            dict(x, Item=None) == dict(y, Item=None) and
            item_part_of(one["Statement"], x.get("Item"), y.get("Item"))
            for one, x, y in zip(req["Statements"], r, o))
    return False


def known_answer_deviation(req, va, vb, a, b):
    """Answers that differ by a known choice:
    - a page that stops at exactly Limit items: DynamoDB returns its LastEvaluatedKey without
      looking further (tests/conformance/test_query.py); DynamoDB Local omits it when it can see
      that nothing follows in the key range;
    - a transaction's Update that cannot apply to its item (a bad path, a missing operand, a
      sum of more than 38 digits):
      DynamoDB cancels with the action's ValidationError (its answer for a missing operand is
      quoted in aws/aws-sdk-net#1292; tests/conformance/test_transactions.py), while DynamoDB
      Local refuses the whole request;
    - a PartiQL INSERT of an existing key: DuplicateItemException in AWS's API reference and
      botocore's model (tests/conformance/test_partiql.py), DuplicateItem from DynamoDB Local;"""
    if va[:2] == ("error", "DuplicateItem") and vb[:2] == ("error", "DuplicateItemException"):
        return True
    # - an ExecuteTransaction INSERT of an existing key: DuplicateItem as its cancellation reason
    #   (tests/conformance/test_partiql.py), where DynamoDB Local says ValidationError with the
    #   same message;
    # - an ExecuteTransaction read or EXISTS with an empty key value: the request refused, as a
    #   write's is (DynamoDB Local cancels it instead, with a ValidationError reason for a read
    #   and ConditionalCheckFailed for an EXISTS; unsettled).
    # - a BatchExecuteStatement naming one item twice: refused whole; DynamoDB Local first drops
    #   the statements that fail their own validation (an empty key, a type error the statement
    #   shows) and refuses only when two valid ones remain (not built yet);
    if ("Statements" in req and va[0] == "ok" and vb[:2] == ("error", "ValidationException") and
            b[2] == "Provided list of item keys contains duplicates"):
        return True
    if "TransactStatements" in req and va[0] == "error" and vb[0] == "error":
        codes = [[x.get("Code") for x in v[3] or []] if v[1] == "TransactionCanceledException"
                 else v[1] for v in (a, b)]
        if isinstance(codes[0], list) and isinstance(codes[1], list) and len(codes[0]) == len(
                codes[1]) and all(x == y or (x, y) == ("ValidationError", "DuplicateItem")
                                  for x, y in zip(*codes)):
            return True
        if (isinstance(codes[0], list) and codes[1] == "ValidationException" and
                "The AttributeValue for a key attribute cannot contain an empty" in b[2]):
            return True
    # - a TransactWriteItems with an action whose key does not fit the table: DynamoDB cancels
    #   at the first such action, every other reason None and no condition evaluated (ScyllaDB's
    #   Alternator tests, run against DynamoDB; tests/conformance/test_transactions.py), while
    #   DynamoDB Local reports every action's reason;
    if ("TransactItems" in req and a[:2] == b[:2] == ("error", "TransactionCanceledException")):
        ref_codes = [x.get("Code") for x in a[3] or []]
        our_codes = [x.get("Code") for x in b[3] or []]
        if (len(ref_codes) == len(our_codes) and our_codes.count("ValidationError") == 1 and
                our_codes.count("None") == len(our_codes) - 1):
            first = our_codes.index("ValidationError")
            if "ValidationError" in ref_codes and ref_codes.index("ValidationError") == first:
                return True
    # - an ExecuteTransaction naming one item twice, its number key written two ways ("1E2" and
    #   "100", or a literal and a ? parameter): one item, so the request is refused, as it is when
    #   both are written alike; DynamoDB Local then misses the duplicate and runs the statements
    #   (numbers compared as written, as with BatchGetItem's keys below).
    if ("TransactStatements" in req and
            b[:3] == ("error", "ValidationException",
                      "Transaction request cannot include multiple operations on one item") and
            a[:2] != b[:2]):
        keys = [partiql_statement_key(one) for one in req["TransactStatements"]]
        by_value = [json.dumps(canon(k), sort_keys=True, default=str) for k in keys if k]
        if len(set(by_value)) < len(by_value):
            return True
    # - a PartiQL SELECT comparing a key attribute with an empty value: refused, as DynamoDB
    #   Local refuses it in a WHERE of one or two conditions (tests/conformance/test_partiql.py);
    #   with a third condition beside it, DynamoDB Local answers instead.
    if ("Statement" in req and va[0] == "ok" and vb[:2] == ("error", "ValidationException") and
            "The AttributeValue for a key attribute cannot contain an empty" in b[2]):
        return True
    # - UPDATED_NEW after a REMOVE of a list element: DynamoDB projects the new item on the
    #   removed path, which then holds the element shifted into it (ScyllaDB's Alternator tests,
    #   run against DynamoDB; tests/conformance/test_update_expressions.py); DynamoDB Local
    #   returns the whole list.
    #   The same for UPDATED_OLD or UPDATED_NEW after any change of a list element: DynamoDB
    #   projects the item on the element's path; DynamoDB Local returns the whole list.
    if (req.get("ReturnValues") in ("UPDATED_NEW", "UPDATED_OLD") and
            "[" in req.get("UpdateExpression", "") and va[0] == "ok" and vb[0] == "ok"):
        return True
    #   And after a change of a nested map's member (SET m.k): DynamoDB projects the item on
    #   m.k, DynamoDB Local (3.3.1, whatever the value) returns all of m; so ours must be a part
    #   of its answer, with the same top-level attributes.
    if (req.get("ReturnValues") in ("UPDATED_NEW", "UPDATED_OLD") and
            "." in req.get("UpdateExpression", "") and va[0] == "ok" and vb[0] == "ok" and
            narrowed_item(vb[1].get("Attributes", {}), va[1].get("Attributes", {})) and
            part_of(vb[1], va[1])):
        return True
    #   The same for a PartiQL UPDATE's RETURNING MODIFIED OLD / NEW * (UPDATED_OLD /
    #   UPDATED_NEW) after SET m.k or a change of a list element (SET or REMOVE l[i]), in
    #   ExecuteStatement's Items or BatchExecuteStatement's Responses.
    if va[0] == "ok" and vb[0] == "ok" and modified_member_part_of(req, va[1], vb[1]):
        return True
    # - CONTAINS or NOT_CONTAINS in a legacy ScanFilter or QueryFilter with a Binary operand that
    #   is not UTF-8 text: DynamoDB compares bytes (tests/conformance/test_query.py); DynamoDB
    #   Local decodes them as UTF-8, so every invalid byte is U+FFFD and matches any other.
    if va[0] == "ok" and vb[0] == "ok":
        for conditions in (req.get("ScanFilter"), req.get("QueryFilter")):
            for c in (conditions or {}).values():
                if c.get("ComparisonOperator") in ("CONTAINS", "NOT_CONTAINS") and any(
                        "B" in v and "\ufffd" in v["B"].decode("utf-8", "replace")
                        for v in c.get("AttributeValueList", [])):
                    return True
    # - a legacy AttributeUpdates value that no action takes (ADD of NULL, DELETE of a list, an
    #   empty set): refused up front, before Expected is evaluated, as dynalite (written against
    #   DynamoDB) does; DynamoDB Local checks Expected first.
    if ("AttributeUpdates" in req and va[:2] == ("error", "ConditionalCheckFailedException") and
            vb[:2] == ("error", "ValidationException")):
        return True
    if (va[0] == "error" and va[1] == "ValidationException" and a[2] in UPDATE_APPLY_ERRORS and
            vb[0] == "error" and vb[1] == "TransactionCanceledException" and
            any(r.get("Code") == "ValidationError" for r in vb[2])):
        return True
    if va[0] != "ok" or vb[0] != "ok" or "Limit" not in req:
        return False
    a, b = dict(va[1]), dict(vb[1])
    lek = b.pop("LastEvaluatedKey", None)
    return lek is not None and "LastEvaluatedKey" not in a and a == b and \
        b.get("ScannedCount") == req["Limit"]


def short(x, n=600):
    s = json.dumps(x, default=lambda o: repr(o), ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "..."


def arguments(ops, prefix):
    """The command line both fuzzers take: REFERENCE CANDIDATE [--seed N] [--ops N]
    [--prefix NAME], with their own defaults for the last two."""
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("candidate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", type=int, default=ops)
    ap.add_argument("--prefix", default=prefix)
    return ap.parse_args()


def main():
    args = arguments(ops=2000, prefix="difffuzz")
    ref, cand = make_client(args.reference), make_client(args.candidate)
    tables = [(f"{args.prefix}-{suffix}", sk_type, index) for suffix, sk_type, index in TABLES]
    for c in (ref, cand):
        for t in tables:
            make_table(c, *t)
    gen = Gen(random.Random(args.seed))
    diffs = msgs = known = 0
    counts = {"ok": 0, "error": 0}
    resynced = False  # tables copied over after a known deviation: their streams differ
    for i in range(args.ops):
        op, req = request(gen, tables)
        if known_deviation(ref, op, req):
            known += 1
            continue
        a, b = call(ref, op, req), call(cand, op, req)
        counts[a[0]] += 1
        va, vb = result_view(op, req, a), result_view(op, req, b)
        if va != vb and known_answer_deviation(req, va, vb, a, b):
            known += 1
            if op == "batch_execute_statement":  # the reference wrote what we refused
                resynced = True
                for t, _, _ in tables:
                    resync(ref, cand, t)
        elif va != vb:
            diffs += 1
            print(f"#{i} DIFF {op} {short(req)}\n  reference: {short(a)}\n  candidate: {short(b)}")
            for t, _, _ in tables:
                resync(ref, cand, t)
        elif a[0] == "error" and a[2] != b[2]:
            msgs += 1
            print(f"#{i} MESSAGE {op} {a[1]} {short(req, 400)}\n  reference: {a[2]}\n"
                  f"  candidate: {b[2]}")
        # A BatchExecuteStatement refused for naming one item twice: DynamoDB Local has already
        # run the statements before the second mention; the refusal writes nothing here, as a
        # request-level ValidationException. A table those statements changed is copied over
        # (and the stream comparison skipped if it is the one with the stream).
        if (op == "batch_execute_statement" and
                a[:3] == ("error", "ValidationException",
                          "Provided list of item keys contains duplicates")):
            for t, _, index in tables:
                if canon(scan_all(ref, t)) != canon(scan_all(cand, t)):
                    resync(ref, cand, t)
                    resynced = resynced or index == "gsi"
        if i % 50 == 49:
            for t, _, _ in tables:
                ta, tb = scan_all(ref, t), scan_all(cand, t)
                if canon(ta) != canon(tb):
                    diffs += 1
                    print(f"#{i} TABLE {t} differs after {op}: reference {len(ta)} items, "
                          f"candidate {len(tb)}")
                    resync(ref, cand, t)
    # The table with a stream: the same changes in the same order, each with the same keys,
    # images and SizeBytes (unless a difference made the candidate's table be copied over).
    if not diffs and not resynced:
        streams = [make_client(e, service="dynamodbstreams")
                   for e in (args.reference, args.candidate)]
        t = next(t for t, _, index in tables if index == "gsi")
        ra, rb = (stream_records(c, s, t) for c, s in zip((ref, cand), streams))
        if ra != rb:
            diffs += 1
            key = next(k for k in sorted(set(ra) | set(rb)) if ra.get(k) != rb.get(k))
            print(f"STREAM {t}: the records of item {key} differ:\n"
                  f"  reference: {short(ra.get(key))}\n  candidate: {short(rb.get(key))}")
        else:
            print(f"stream of {t}: {sum(map(len, ra.values()))} records of {len(ra)} items alike")
    for c in (ref, cand) if not os.environ.get("DIFF_FUZZ_KEEP") else ():
        for t, _, _ in tables:  # so that the next run (control_fuzz.py's ListTables) sees the
            c.delete_table(TableName=t)  # same tables; DIFF_FUZZ_KEEP=1 keeps them to look at
    print(f"seed {args.seed}: {args.ops} requests ({counts['ok']} answered, {counts['error']} "
          f"errors at the reference, {known} skipped as known deviations): {diffs} differences, "
          f"{msgs} differing messages")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
