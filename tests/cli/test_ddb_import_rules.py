"""`cruddur ddb import DIR --only TABLE --rules FILE`: tables chosen among the exports in DIR,
and every item anonymised by the rules before it is written (src/anonymize/rules.h).

Each test exports real tables with `cruddur ddb export` from a `ddb serve`, imports them with
rules, and checks the result item by item against the source: what a rule names is masked,
faked, hashed or dropped as it says; every other attribute is equal to the source's. Hashes are
recomputed here with Python's own hmac module."""

import hashlib
import hmac
import json
import re

import pytest

from conftest import boto_client, start_cruddur_server

SECRET = "join-secret"
USERS = "users"
ORDERS = "orders"

RULES = {
    "seed": "test-seed",
    "rules": [
        {"tables": [USERS], "path": "id", "action": "hash"},
        {"tables": [ORDERS], "path": "user_id", "action": "hash"},
        {"path": "email", "action": "fake", "kind": "email"},
        {"path": "#n", "ExpressionAttributeNames": {"#n": "name"}, "action": "fake",
         "kind": "name"},
        {"path": "card", "action": "mask", "keep": 4, "maskChar": "X"},
        {"path": "ssn", "action": "drop", "ConditionExpression": "country = :us",
         "ExpressionAttributeValues": {":us": {"S": "US"}}},
        {"path": "profile.phones[0]", "action": "mask", "keep": 2},
        {"path": "profile.address", "action": "fake", "kind": "address"},
        {"path": "age", "action": "mask", "keep": 1},
    ],
}


def hashed(value, length=32):
    return hmac.new(SECRET.encode(), value.encode(), hashlib.sha256).hexdigest()[:length]


def user(i):
    return {
        "id": {"S": f"u-{i}"},
        # Two users share each address, to see that one value gets one fake.
        "email": {"S": f"person{i // 2}@corp.example"},
        "name": {"S": f"Person Number{i}"},
        "card": {"S": f"4111 1111 1111 {1000 + i}"},
        "country": {"S": "US" if i % 3 == 0 else "FR"},
        "ssn": {"S": f"123-45-{6000 + i}"},
        "profile": {"M": {"phones": {"L": [{"S": f"+1 415 555 01{i:02d}"},
                                           {"S": "+33 1 23 45 67 89"}]},
                          "address": {"S": f"{i} Rue de Rivoli, Paris"},
                          "since": {"N": "2019"}}},
        "age": {"N": str(20 + i)},
        "plan": {"S": "pro" if i % 2 else "free"},
        "active": {"BOOL": i % 2 == 0},
        "tags": {"SS": ["a", f"t{i}"]},
    }


def order(i):
    return {"order_id": {"S": f"o-{i}"}, "user_id": {"S": f"u-{i % 7}"},
            "amount": {"N": f"{10 + i}.5"}, "note": {"S": f"order {i}"}}


def make_tables(client):
    client.create_table(
        TableName=USERS, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                              {"AttributeName": "email", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-email",
                                 "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    client.create_table(
        TableName=ORDERS, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}])
    for i in range(12):
        client.put_item(TableName=USERS, Item=user(i))
    for i in range(20):
        client.put_item(TableName=ORDERS, Item=order(i))


def scan(client, table):
    items, start = [], {}
    while True:
        page = client.scan(TableName=table, **start)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


class Exported:
    """users and orders exported from one server into `out`, to import into another."""

    def __init__(self, cli, out, destination):
        self.cli, self.out, self.destination = cli, out, destination
        self.client = boto_client(destination.endpoint)  # the destination's

    def run(self, *args, env=None):
        return self.cli.run(*args, "--endpoint-url", self.destination.endpoint, target=False,
                            env=env)

    def imp(self, *args, env=None):
        return self.run("ddb", "import", str(self.out), *args, env=env)


@pytest.fixture
def exported(make_cli, tmp_path):
    cli = make_cli("serve-url", setup_users=False)
    make_tables(boto_client(cli.endpoint))
    out = tmp_path / "exports"
    for table in (USERS, ORDERS):
        cli.ok("ddb", "export", table, str(out))
    destination = start_cruddur_server(["--in-memory"], tmp_path / "destination.log", cli.env)
    yield Exported(cli, out, destination)
    destination.stop()


def write_rules(tmp_path, rules, name="rules.json"):
    path = tmp_path / name
    path.write_text(json.dumps(rules) if not isinstance(rules, str) else rules)
    return str(path)


def check_user(source, got):
    """`got` is `source` as the rules make it."""
    assert got["id"] == {"S": hashed(source["id"]["S"])}
    assert re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|org|net)", got["email"]["S"])
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", got["name"]["S"])
    assert got["name"] != source["name"]
    card = source["card"]["S"]
    assert got["card"] == {"S": "X" * (len(card) - 4) + card[-4:]}
    if source["country"]["S"] == "US":
        assert "ssn" not in got
    else:
        assert got["ssn"] == source["ssn"]
    phones = source["profile"]["M"]["phones"]["L"]
    got_profile = got["profile"]["M"]
    first = phones[0]["S"]
    assert got_profile["phones"]["L"] == [{"S": "*" * (len(first) - 2) + first[-2:]}, phones[1]]
    address = got_profile["address"]["S"]
    assert re.fullmatch(r"\d+ [A-Z][a-z]+ [A-Z][a-z]+, [A-Z][a-z]+", address), address
    assert got_profile["since"] == source["profile"]["M"]["since"]
    assert got["age"] == {"N": source["age"]["N"][-1]}
    untouched = set(source) - {"id", "email", "name", "card", "ssn", "profile", "age"}
    assert untouched == {"country", "plan", "active", "tags"}
    for name in untouched:
        assert got[name] == source[name], name
    assert set(got) == set(source) - ({"ssn"} if source["country"]["S"] == "US" else set())


def test_rules_anonymise_every_item_and_hashes_join_across_tables(exported, tmp_path):
    client = exported.client
    rules = write_rules(tmp_path, RULES)
    done = exported.imp("--rules", rules, "--rules-secret", SECRET, "--json")
    assert done.returncode == 0, done.stderr
    # One JSON object per table, in table-name order.
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"table": ORDERS, "importedItemCount": 20, "errorCount": 0},
        {"table": USERS, "importedItemCount": 12, "errorCount": 0}]

    sources = {u["id"]["S"]: u for u in (user(i) for i in range(12))}
    by_hash = {hashed(k): v for k, v in sources.items()}
    users = scan(client, USERS)
    assert len(users) == 12
    for got in users:
        check_user(by_hash[got["id"]["S"]], got)
    # One email, one fake; different emails, different fakes.
    fake_of = {}
    for got in users:
        fake_of.setdefault(by_hash[got["id"]["S"]]["email"]["S"], set()).add(got["email"]["S"])
    assert all(len(fakes) == 1 for fakes in fake_of.values())
    assert len({next(iter(f)) for f in fake_of.values()}) == len(fake_of)
    # The GSI is keyed by the fakes.
    some = users[0]
    found = client.query(TableName=USERS, IndexName="by-email",
                         KeyConditionExpression="email = :e",
                         ExpressionAttributeValues={":e": some["email"]})["Items"]
    assert some in found and len(found) == 2

    orders = {o["order_id"]["S"]: o for o in scan(client, ORDERS)}
    assert len(orders) == 20
    user_ids = {u["id"]["S"] for u in users}
    for i in range(20):
        source, got = order(i), orders[f"o-{i}"]
        assert got["user_id"] == {"S": hashed(source["user_id"]["S"])}
        assert got["user_id"]["S"] in user_ids  # the join still matches
        # The email/name/... rules name attributes orders do not have.
        assert {k: v for k, v in got.items() if k != "user_id"} == \
            {k: v for k, v in source.items() if k != "user_id"}


def test_reimport_is_stable_and_the_secret_can_come_from_the_environment(exported, tmp_path):
    client = exported.client
    rules = write_rules(tmp_path, RULES)
    env = {"CRUDDUR_RULES_SECRET": SECRET}
    assert exported.imp("--only", USERS, "--rules", rules, env=env).returncode == 0
    assert exported.imp("--only", USERS, "--table", "users-again", "--rules", rules,
                        env=env).returncode == 0
    first = sorted(scan(client, USERS), key=lambda i: i["id"]["S"])
    again = sorted(scan(client, "users-again"), key=lambda i: i["id"]["S"])
    assert first == again
    assert {i["id"]["S"] for i in first} == {hashed(f"u-{i}") for i in range(12)}
    assert ORDERS not in client.list_tables()["TableNames"]
    # Another seed gives other fakes for the same values.
    reseeded = dict(RULES, seed="other-seed")
    assert exported.imp("--only", USERS, "--table", "users-reseeded", "--rules",
                        write_rules(tmp_path, reseeded, "reseeded.json"), "--rules-secret",
                        SECRET).returncode == 0
    other = sorted(scan(client, "users-reseeded"), key=lambda i: i["id"]["S"])
    assert [i["id"] for i in other] == [i["id"] for i in first]
    assert [i["email"] for i in other] != [i["email"] for i in first]


def test_only_chooses_tables_and_names_the_available_ones(exported, tmp_path):
    client, out = exported.client, exported.out
    unknown = exported.imp("--only", "customers")
    assert unknown.returncode == 2
    assert unknown.stderr == (f"cruddur: --only customers: no export of that table in {out} "
                              f"(it holds exports of: {ORDERS}, {USERS})\n")
    renamed = exported.imp("--table", "copy")
    assert renamed.returncode == 2
    assert "--table names one new table" in renamed.stderr and "choose one with --only" in \
        renamed.stderr
    assert client.list_tables()["TableNames"] == []

    done = exported.imp("--only", ORDERS, "--table", "orders-copy", "--json")
    assert json.loads(done.stdout) == {"table": "orders-copy", "importedItemCount": 20,
                                       "errorCount": 0}
    assert client.list_tables()["TableNames"] == ["orders-copy"]
    source = boto_client(exported.cli.endpoint)
    assert sorted(map(str, scan(client, "orders-copy"))) == sorted(map(str, scan(source, ORDERS)))
    # Several, as a list (or --only repeated).
    both = exported.imp("--only", f"{USERS},{ORDERS}", "--only", USERS, "--json")
    assert [json.loads(line)["table"] for line in both.stdout.splitlines()] == [USERS, ORDERS]
    assert client.list_tables()["TableNames"] == [ORDERS, "orders-copy", USERS]


@pytest.mark.parametrize("rules, message", [
    ("{not json", "not JSON (at byte 1)"),
    ({"rules": [{"path": "email", "action": "scramble"}]},
     'rule 1: unknown action "scramble" (mask, fake, hash or drop)'),
    ({"rules": [{"path": "email", "action": "fake", "kind": "pet"}]},
     'rule 1: unknown fake kind "pet"'),
    ({"rules": [{"path": "email", "action": "hash"}]}, "rule 1: hash needs a secret"),
    ({"rules": [{"path": "name", "action": "drop"}]},
     "rule 1: Invalid ProjectionExpression: Attribute name is a reserved keyword; "
     "reserved keyword: name"),
    ({"rules": [{"path": "ssn", "action": "drop", "ConditionExpression": "country = :us"}]},
     "rule 1: Invalid ConditionExpression: An expression attribute value used in expression "
     "is not defined; attribute value: :us"),
    ({"rules": [{"path": "card", "action": "drop"}, {"path": "id", "action": "drop"}]},
     "rule 2: drop on id, a key attribute of table users: its items could not be written"),
    ({"rules": [{"tables": [ORDERS], "path": "order_id", "action": "mask", "keep": 2}]},
     "rule 1: mask on order_id, a key attribute of table orders: masked keys collide"),
    # 48 first names for 20 orders: a fake of too few values makes keys collide.
    ({"seed": "x", "rules": [{"tables": [ORDERS], "path": "order_id", "action": "fake",
                              "kind": "first_name"}]},
     "give two items of orders the same key {\"order_id\":{\"S\":"),
])
def test_bad_rules_import_nothing(exported, tmp_path, rules, message):
    client = exported.client
    done = exported.imp("--rules", write_rules(tmp_path, rules))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"cruddur: --rules {tmp_path / 'rules.json'}"), done.stderr
    assert message in done.stderr
    assert client.list_tables()["TableNames"] == []


def test_a_mask_on_an_index_key_warns(exported, tmp_path):
    client = exported.client
    rules = write_rules(tmp_path, {"rules": [{"path": "email", "action": "mask", "keep": 3}]})
    done = exported.imp("--only", USERS, "--table", "masked", "--rules", rules)
    assert done.returncode == 0
    assert ("cruddur: warning: --rules rule 1: mask on email, an index key of table users: "
            "masked values merge in the index\n") in done.stderr
    for got in scan(client, "masked"):
        assert got["email"]["S"].endswith("ple") and set(got["email"]["S"][:-3]) == {"*"}


def test_progress_bar_only_on_request_and_never_on_stdout(exported, tmp_path):
    quiet = exported.imp("--only", ORDERS, "--table", "quiet", "--json")
    assert quiet.returncode == 0 and quiet.stderr == ""
    shown = exported.imp("--only", ORDERS, "--table", "shown", "--json", "--progress")
    assert shown.returncode == 0
    assert json.loads(shown.stdout) == {"table": "shown", "importedItemCount": 20,
                                        "errorCount": 0}
    # (\r reads as a line break in text mode)
    assert "\nimporting into shown [##############################] 100% 20/20 items" in \
        shown.stderr
    assert shown.stderr.endswith("\n")
    exported_bar = exported.cli.run("ddb", "export", ORDERS, str(tmp_path / "again"), "--json",
                                    "--progress")
    assert json.loads(exported_bar.stdout)["itemCount"] == 20
    assert "\nexporting orders" in exported_bar.stderr
