"""`cruddur ddb schema-load | list-tables | delete | scan | seed | patterns ...` against every
target (conftest.py): the embedded engine, a `cruddur ddb serve` by URL and by its data dir's
lock, and dynalite."""

import datetime
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import boto_client, cruddur_bin, start_cruddur_server

GROUP = "5ae290ed-55d1-47a0-bc6d-fe2bc2700399"
FIRST_LINE = "Morning! Did you get a chance to look at"  # the seed's first 40 characters
LAST_LINE = "It took all of us. See you Saturday, I'l"   # and its last line's
LINE_RE = re.compile(r"^(\S+)\s*(\d{4}-\d\d-\d\d \d\d:\d\d [AP]M)\s+(.*)\.\.\.$")


def seeded(cli):
    cli.ok("ddb", "schema-load")
    out = cli.ok("ddb", "seed").stdout
    m = re.search(r"seeded (\d+) messages in 1 conversation into cruddur-messages", out)
    assert m, out
    return int(m.group(1))


def message_lines(stdout):
    """The message lines of get-conversation's output, and its last line."""
    lines = stdout.strip().split("\n")
    return lines[:-1], lines[-1]


def parse_line(line):
    m = LINE_RE.match(line)
    assert m, line
    handle, shown, text = m.groups()
    assert line.startswith(handle.ljust(12)) and line[12:].startswith(shown.ljust(22)), line
    return handle, datetime.datetime.strptime(shown, "%Y-%m-%d %I:%M %p"), text


# ---- schema-load, list-tables, delete ----------------------------------------------------------

def test_schema_load_creates_the_table_once(cli):
    done = cli.ok("ddb", "schema-load")
    assert "created table cruddur-messages" in done.stdout
    assert "key:     pk (HASH), sk (RANGE)" in done.stdout
    assert "index:   message-group-sk-index: message_group_uuid (HASH), sk (RANGE), " \
           "projection ALL" in done.stdout
    assert "billing: PROVISIONED, 5 RCU / 5 WCU" in done.stdout
    assert "(ACTIVE)" in done.stdout
    if cli.name != "dynalite":  # dynalite accepts the StreamSpecification but keeps no stream
        assert re.search(r"stream:  NEW_IMAGE arn:aws:dynamodb:\S+/stream/", done.stdout)
    if cli.endpoint:
        table = boto_client(cli.endpoint).describe_table(TableName="cruddur-messages")["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == \
            ["message-group-sk-index"]

    again = cli.run("ddb", "schema-load")
    assert again.returncode == 1
    assert again.stderr.startswith("cruddur: table cruddur-messages already exists")
    assert again.stderr.count("\n") == 1


def test_schema_load_json_and_table_name(cli):
    out = cli.json("ddb", "schema-load", "--table", "other-messages")
    assert out["TableDescription"]["TableName"] == "other-messages"
    cli.ok("ddb", "schema-load", env={"DDB_MESSAGE_TABLE": "env-messages"})
    names = cli.ok("ddb", "list-tables").stdout.split()
    assert names == ["env-messages", "other-messages"]
    assert cli.json("ddb", "list-tables") == {"TableNames": names}


def test_list_tables_reads_every_page(make_cli, tmp_path):
    # ListTables pages at 100 names: 105 tables need two pages (embedded engine: fast).
    cli = make_cli("serve-url", setup_users=False)
    client = boto_client(cli.endpoint)
    names = sorted(f"t{i:03}" for i in range(105))
    for name in names:
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    assert client.list_tables()["TableNames"] != names  # really paged
    assert cli.ok("ddb", "list-tables").stdout.split() == names


def test_delete_removes_the_table(cli):
    cli.ok("ddb", "schema-load")
    cli.ok("ddb", "schema-load", "--table", "keep-me")
    done = cli.ok("ddb", "delete", "cruddur-messages")
    assert "deleting table: cruddur-messages" in done.stdout
    assert "deleted table cruddur-messages" in done.stdout
    assert cli.ok("ddb", "list-tables").stdout.split() == ["keep-me"]

    again = cli.run("ddb", "delete", "cruddur-messages")
    assert again.returncode == 1
    assert again.stderr.startswith("cruddur: no table cruddur-messages in ")
    # The original script's name still works.
    cli.ok("ddb", "drop", "keep-me")
    assert cli.ok("ddb", "list-tables").stdout.strip() == ""


# ---- seed and scan -----------------------------------------------------------------------------

def test_seed_then_scan(cli):
    count = seeded(cli)
    assert 100 <= count <= 110
    done = cli.ok("ddb", "scan")
    items = [json.loads(line) for line in done.stdout.strip().split("\n")]
    assert len(items) == count + 2  # the messages and both members' group items
    assert f"{count + 2} items in cruddur-messages" in done.stderr
    groups = [i for i in items if i["pk"]["S"].startswith("GRP#")]
    assert len(groups) == 2
    assert {g["user_handle"]["S"] for g in groups} == {"andrewbrown", "bayko"}
    messages = [i for i in items if i["pk"]["S"] == f"MSG#{GROUP}"]
    assert len(messages) == count
    if cli.endpoint:  # the data really went to the server
        client = boto_client(cli.endpoint)
        assert client.scan(TableName="cruddur-messages", Select="COUNT")["Count"] == count + 2


def test_seed_many_messages_with_progress(cli):
    cli.ok("ddb", "schema-load")
    done = cli.ok("ddb", "seed", "--messages", "350", "--progress")
    assert "seeded 350 messages in 4 conversations" in done.stdout
    assert "350/350 messages" in done.stderr
    out = cli.ok("ddb", "scan")
    assert len(out.stdout.strip().split("\n")) == 350 + 2 * 4
    assert cli.json("ddb", "seed", "--messages", "0") == {
        "table": "cruddur-messages", "messages": 102, "groups": 1}


def test_scan_reads_every_page(make_cli):
    # Items of ~30 KB: 200 of them are over Scan's 1 MB page.
    cli = make_cli("embedded", setup_users=False)
    cli.ok("ddb", "schema-load")
    server = start_cruddur_server(["--data-dir", str(cli.data_dir)],
                                  cli.tmp_path / "bulk.log", cli.env)
    try:
        client = boto_client(server.endpoint)
        for i in range(200):
            client.put_item(TableName="cruddur-messages",
                            Item={"pk": {"S": f"MSG#{i}"}, "sk": {"S": "x"},
                                  "message": {"S": "m" * 30000}})
        assert "LastEvaluatedKey" in client.scan(TableName="cruddur-messages")
    finally:
        server.stop()
    lines = cli.ok("ddb", "scan").stdout.strip().split("\n")
    assert len(lines) == 200
    assert len({json.loads(line)["pk"]["S"] for line in lines}) == 200


# ---- patterns ----------------------------------------------------------------------------------

def test_get_conversation_pages_back_to_the_first_line(cli):
    count = seeded(cli)
    done = cli.ok("ddb", "patterns", "get-conversation")
    lines, last = message_lines(done.stdout)
    assert len(lines) == 20
    parsed = [parse_line(line) for line in lines]
    assert parsed[-1][2] == LAST_LINE  # ends with the newest message...
    times = [t for _, t, _ in parsed]
    assert times == sorted(times)      # ...oldest first
    assert {h for h, _, _ in parsed} == {"andrewbrown", "bayko"}
    m = re.fullmatch(r"older messages: cruddur ddb patterns get-conversation (\S+) --before (\S+)",
                     last)
    assert m and m.group(1) == GROUP, last

    # Follow the hint until the start: every message exactly once, the first one last.
    seen = list(lines)
    before = m.group(2)
    for _ in range(10):
        page = cli.ok("ddb", "patterns", "get-conversation", GROUP, "--before", before).stdout
        lines, last = message_lines(page)
        seen = lines + seen
        m = re.fullmatch(r"older messages: .* --before (\S+)", last)
        if not m:
            break
        before = m.group(1)
    assert last in ("(start of the conversation)",
                    f"(no messages in group {GROUP} match)")
    assert len(seen) == count
    assert parse_line(seen[0])[2] == FIRST_LINE
    assert parse_line(seen[0])[0] == "andrewbrown"


def test_get_conversation_filters_and_json(cli):
    count = seeded(cli)
    year = datetime.datetime.now(datetime.timezone.utc).year
    # The seed ends now: in the first 100 minutes of a year, part of it is in the last one.
    out = cli.json("ddb", "patterns", "get-conversation", "--year", str(year), "--limit", "100")
    assert 0 < len(out["items"]) <= count
    assert all(i["created_at"].startswith(str(year)) for i in out["items"])
    lines, last = message_lines(
        cli.ok("ddb", "patterns", "get-conversation", "--year", "1999").stdout)
    assert lines == [] and last == f"(no messages in group {GROUP} match)"

    page = cli.json("ddb", "patterns", "get-conversation", "--limit", "5")
    assert len(page["items"]) == 5 and page["next_cursor"]
    first = page["items"][0]
    assert first["user_handle"] in ("andrewbrown", "bayko")
    assert first["message_group_uuid"] == GROUP
    created = [i["created_at"] for i in page["items"]]
    assert created == sorted(created)
    older = cli.json("ddb", "patterns", "get-conversation", "--limit", "5",
                     "--cursor", page["next_cursor"])
    assert [i["created_at"] for i in older["items"]] == sorted(
        i["created_at"] for i in older["items"])
    assert older["items"][-1]["created_at"] < created[0]

    since = page["items"][2]["created_at"]
    recent = cli.json("ddb", "patterns", "get-conversation", "--since", since)
    assert [i["created_at"] for i in recent["items"]] == created[2:]
    assert recent["next_cursor"] is None

    both = cli.run("ddb", "patterns", "get-conversation", "--year", "2020", "--since", "2020")
    assert both.returncode != 0
    bad = cli.run("ddb", "patterns", "get-conversation", "--year", "20x1")
    assert bad.returncode == 2 and bad.stderr == "cruddur: year must have four digits\n"


def test_get_conversation_refuses_arguments_that_match_nothing(cli):
    seeded(cli)
    for flag in ("--since", "--before"):
        for value in ("garbage", "2026-13", "yesterday", "2026-11-01 09:00", "2026-11-01T25:00"):
            bad = cli.run("ddb", "patterns", "get-conversation", flag, value)
            assert bad.returncode == 2, (flag, value, bad.stdout, bad.stderr)
            assert bad.stderr == (f"cruddur: {flag} '{value}' is not a UTC time such as "
                                  "2026-11-01, 2026-11-01T09:00 or a created_at the command "
                                  "printed\n")
            assert bad.stdout == ""
    for group in ("not-a-uuid", GROUP[:-1], GROUP + "0", "GRP#andrewbrown"):
        bad = cli.run("ddb", "patterns", "get-conversation", group)
        assert bad.returncode == 2 and bad.stdout == ""
        assert bad.stderr == (f"cruddur: GROUP_UUID '{group}' is not a message group uuid (see "
                              "`cruddur ddb patterns list-conversations`)\n")
    # Every form a time may take still works.
    for value in ("2020", "2020-01", "2020-01-02", "2020-01-02T03", "2020-01-02T03:04",
                  "2020-01-02T03:04:05", "2020-01-02T03:04:05.123456Z"):
        cli.ok("ddb", "patterns", "get-conversation", "--since", value)


def test_list_conversations(cli):
    seeded(cli)
    done = cli.ok("ddb", "patterns", "list-conversations")
    lines = done.stdout.strip().split("\n")
    assert re.fullmatch(r"my-uuid: [0-9a-f-]{36}", lines[0])
    assert lines[1].startswith("bayko       ")
    assert parse_line(lines[1].rsplit("  ", 1)[0])[2] == LAST_LINE
    assert lines[1].endswith(GROUP)
    assert lines[2] == "(1 conversation)"

    out = cli.json("ddb", "patterns", "list-conversations", "bayko")
    assert out["my_uuid"] != lines[0].split()[1]
    assert [(g["user_handle"], g["message_group_uuid"]) for g in out["items"]] == \
        [("andrewbrown", GROUP)]

    missing = cli.run("ddb", "patterns", "list-conversations", "nobody")
    assert missing.returncode == 1
    assert missing.stderr.startswith("cruddur: no user nobody in sqlite ")


def test_list_conversations_reads_every_page(make_cli):
    # 130 conversations for one user: more than one page of ListMessageGroups.
    cli = make_cli("embedded")
    seeded(cli)
    me = cli.json("ddb", "patterns", "list-conversations")["my_uuid"]
    server = start_cruddur_server(["--data-dir", str(cli.data_dir)],
                                  cli.tmp_path / "bulk.log", cli.env)
    try:
        client = boto_client(server.endpoint)
        for i in range(130):
            client.put_item(TableName="cruddur-messages", Item={
                "pk": {"S": f"GRP#{me}"}, "sk": {"S": f"2020-01-01T00:{i // 60:02}:{i % 60:02}Z"},
                "message_group_uuid": {"S": f"group-{i}"}, "message": {"S": "hi"},
                "user_uuid": {"S": f"u{i}"}, "user_display_name": {"S": "U"},
                "user_handle": {"S": f"user{i}"}})
    finally:
        server.stop()
    out = cli.json("ddb", "patterns", "list-conversations")
    assert len(out["items"]) == 131
    assert out["items"][0]["user_handle"] == "bayko"  # most recent first


# ---- targets and failures ----------------------------------------------------------------------

def test_serve_publishes_its_endpoint_while_running(make_cli):
    cli = make_cli("serve-lock")
    endpoint_file = cli.data_dir / "ddb" / "endpoint"
    assert endpoint_file.read_text().strip() == cli.endpoint
    seeded(cli)
    cli.server.stop()
    assert not endpoint_file.exists()  # removed on a clean exit
    # Now the command opens the same data embedded and sees what it wrote through the server.
    assert len(cli.ok("ddb", "scan").stdout.strip().split("\n")) > 100


def test_second_serve_on_a_data_dir_names_the_first(make_cli):
    cli = make_cli("serve-lock")
    done = cli.run("ddb", "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir",
                   str(cli.data_dir), target=False, timeout=30)
    ddb_dir = (cli.data_dir / "ddb").resolve()
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"cruddur: data dir {ddb_dir} is in use by process "
                           f"{cli.server.proc.pid}, serving {cli.endpoint}; stop that one, or "
                           "give this one another --data-dir (or --in-memory)\n")


def test_stale_endpoint_file_is_a_clear_error(make_cli):
    cli = make_cli("serve-lock")
    endpoint_file = cli.data_dir / "ddb" / "endpoint"
    endpoint_file.write_text("http://127.0.0.1:9\n")  # nothing listens on the discard port
    done = cli.run("ddb", "list-tables")
    assert done.returncode == 1
    assert done.stderr.startswith(f"cruddur: the DynamoDB data dir {cli.data_dir}/ddb is locked")
    assert "does not answer" in done.stderr and done.stderr.count("\n") == 1
    endpoint_file.unlink()
    done = cli.run("ddb", "list-tables")
    assert done.returncode == 1
    assert "publishes no endpoint" in done.stderr and done.stderr.count("\n") == 1


def test_left_over_endpoint_file_of_a_killed_server_is_ignored(make_cli):
    cli = make_cli("serve-lock")
    cli.ok("ddb", "schema-load")
    cli.server.proc.send_signal(signal.SIGKILL)
    cli.server.proc.wait()
    assert (cli.data_dir / "ddb" / "endpoint").exists()
    assert cli.ok("ddb", "list-tables").stdout.split() == ["cruddur-messages"]
    assert not (cli.data_dir / "ddb" / "endpoint").exists()


def test_aws_endpoint_url_environment(make_cli):
    cli = make_cli("serve-url")
    url = cli.target_args[1]
    cli.target_args = []
    cli.ok("ddb", "schema-load", env={"AWS_ENDPOINT_URL": url})
    assert boto_client(url).list_tables()["TableNames"] == ["cruddur-messages"]
    # Nothing went to the embedded engine: it has no data at all, and a read does not create it.
    done = cli.run("ddb", "list-tables")
    assert done.returncode == 1 and done.stderr.startswith("cruddur: no DynamoDB data in ")
    assert not (cli.data_dir / "ddb").exists()
    # --endpoint-url wins over the environment.
    done = cli.run("ddb", "list-tables", "--endpoint-url", url,
                   env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.stdout.split() == ["cruddur-messages"]


def test_unreachable_endpoint(make_cli):
    cli = make_cli("embedded", setup_users=False)
    done = cli.run("ddb", "list-tables", "--endpoint-url", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert done.stderr.startswith("cruddur: cannot reach DynamoDB: ")
    assert done.stderr.count("\n") == 1
    bad = cli.run("ddb", "scan", "--endpoint-url", "ftp://x")
    assert bad.returncode == 1 and bad.stderr.startswith("cruddur: bad endpoint URL: ")


def test_seed_needs_the_users_database(make_cli):
    cli = make_cli("embedded", setup_users=False)
    cli.ok("ddb", "schema-load")
    done = cli.run("ddb", "seed")
    assert done.returncode == 1
    assert done.stderr == (f"cruddur: no users database at {cli.data_dir}/users.db: run "
                           "`cruddur db setup` first\n")
    assert not (cli.data_dir / "users.db").exists()  # not created empty by the failed seed
    cli.ok("db", "create")  # a database without the users table
    done = cli.run("ddb", "seed")
    assert done.returncode == 1 and "run `cruddur db setup` first" in done.stderr


def test_reads_do_not_create_a_data_dir(make_cli, tmp_path):
    cli = make_cli("embedded", setup_users=False)
    elsewhere = tmp_path / "wrong-directory"
    elsewhere.mkdir()
    for args in (["ddb", "list-tables"], ["ddb", "scan"], ["ddb", "patterns", "get-conversation"],
                 ["ddb", "patterns", "list-conversations"]):
        done = subprocess.run([cruddur_bin()] + args, capture_output=True, text=True,
                              cwd=elsewhere, env={k: v for k, v in cli.env.items()
                                                  if k != "CRUDDUR_DATA_DIR"},
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 1, (args, done.stderr)
        if args[1] != "patterns" or args[2] != "list-conversations":  # that one needs users first
            assert done.stderr == (f"cruddur: no DynamoDB data in {elsewhere}/.cruddur (the data "
                                   "dir: --data-dir, else $CRUDDUR_DATA_DIR, else ./.cruddur); "
                                   "`cruddur ddb schema-load` creates the table there\n"), args
    assert list(elsewhere.iterdir()) == []


def test_commands_need_the_table(make_cli):
    cli = make_cli("embedded")
    for args in (["ddb", "seed"], ["ddb", "scan"], ["ddb", "patterns", "get-conversation"],
                 ["ddb", "patterns", "list-conversations"]):
        done = cli.run(*args)
        assert done.returncode == 1, args
        assert done.stderr == ("cruddur: ResourceNotFoundException: Requested resource not "
                               "found (table cruddur-messages: run `cruddur ddb schema-load` "
                               "first)\n"), (args, done.stderr)


@pytest.mark.parametrize("form", [["prod"], ["--prod"]])
def test_prod_seed_refuses_local_users(make_cli, form):
    # Bug #12 of the original: prod DynamoDB seeded with local users. The users must come from
    # PROD_CONNECTION_URL, checked before anything is contacted.
    cli = make_cli("serve-url")
    done = cli.run("ddb", "seed", *form, env={"AWS_REGION": "us-east-1"})
    assert done.returncode == 1
    assert done.stderr == ("cruddur: production mode reads users from PROD_CONNECTION_URL, "
                           "which is not set; refusing to pair production DynamoDB with local "
                           "users\n")
    assert boto_client(cli.endpoint).list_tables()["TableNames"] == []


def test_prod_needs_a_region_and_credentials(make_cli):
    cli = make_cli("embedded", setup_users=False)
    done = cli.run("ddb", "list-tables", "prod")
    assert done.returncode == 1 and "production mode needs a region" in done.stderr
    done = cli.run("ddb", "list-tables", "--prod", env={"AWS_REGION": "eu-west-1"})
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "credentials" in done.stderr.lower()


HELP_COMMANDS = [["ddb"], ["ddb", "schema-load"], ["ddb", "list-tables"], ["ddb", "delete"],
                 ["ddb", "scan"], ["ddb", "seed"], ["ddb", "patterns"],
                 ["ddb", "patterns", "get-conversation"],
                 ["ddb", "patterns", "list-conversations"], ["ddb", "serve"]]


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=lambda a: " ".join(a))
def test_help(args):
    done = subprocess.run([cruddur_bin()] + args + ["--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert f"Usage: cruddur {' '.join(args)} " in done.stdout, done.stdout
    # The global --data-dir is named in every command's help, not only the top level's.
    assert "--data-dir DIR" in done.stdout, done.stdout


def subcommands(args):
    """The subcommand names that `cruddur ARGS --help` lists (its "Subcommands:" section)."""
    done = subprocess.run([cruddur_bin()] + args + ["--help"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
    names, listing = [], False
    for line in done.stdout.splitlines():
        if line == "Subcommands:":
            listing = True
        elif listing and line.startswith("  ") and not line.startswith("   "):
            names.append(line.split()[0].rstrip(","))
        elif listing and line.strip() == "":
            listing = False
    return names


def test_every_command_builds_and_answers_help():
    # A run builds only the commands its arguments name and parses again with all of them when
    # that fails (--help, usage errors): every command's help must come out whole either way, and
    # building all of them checks main's and ddb's command lists (cli.h's CommandSet).
    seen, todo = 0, [[]]
    while todo:
        args = todo.pop()
        for name in subcommands(args):
            todo.append(args + [name])
            seen += 1
    assert seen >= 40, seen


def test_bad_arguments_are_one_line(make_cli):
    cli = make_cli("embedded", setup_users=False)
    done = cli.run("ddb", "delete")
    assert done.returncode != 0 and "TABLE is required" in done.stderr
    done = cli.run("ddb", "seed", "--messages", "-3")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    done = cli.run("ddb", "patterns", "get-conversation", GROUP, "nonsense")
    assert done.returncode == 1 and done.stderr == "cruddur: unexpected argument 'nonsense'\n"


@pytest.mark.parametrize("args,reason,known", [
    ([], "`cruddur` needs a command", "ddb, db, auth, cognito, rds, serve, stream-worker"),
    (["frob"], "unknown command `cruddur frob`",
     "ddb, db, auth, cognito, rds, serve, stream-worker"),
    (["ddb"], "`cruddur ddb` needs a command",
     "serve, schema-load, list-tables, delete, scan, stats, seed, patterns, trigger, export, "
     "import, backup, fault, mcp"),
    (["ddb", "frobnicate"], "unknown command `cruddur ddb frobnicate`",
     "serve, schema-load, list-tables, delete, scan, stats, seed, patterns, trigger, export, "
     "import, backup, fault, mcp"),
    (["ddb", "patterns", "x"], "unknown command `cruddur ddb patterns x`",
     "get-conversation, list-conversations"),
])
def test_missing_or_unknown_command_lists_the_commands(args, reason, known):
    done = subprocess.run([cruddur_bin()] + args, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"cruddur: {reason}; one of: {known} (see --help)\n"


@pytest.mark.parametrize("args,env,reason", [
    (["ddb", "serve", "--in-memory", "--shard-rotation-records", "x"], {},
     "--shard-rotation-records / CRUDDUR_SHARD_ROTATION_RECORDS expects a number of records "
     "(0 to 999999999), got 'x'"),
    (["ddb", "serve", "--in-memory"], {"CRUDDUR_SHARD_ROTATION_INTERVAL": "2d"},
     "--shard-rotation-interval / CRUDDUR_SHARD_ROTATION_INTERVAL expects a duration such as "
     "30s, 5m or 4h (at most a day), got '2d'"),
    (["serve", "--port", "0", "--data-dir", "{tmp}", "--endpoint-url", "http://127.0.0.1:9",
      "--shard-rotation-records", "3"], {},
     "--shard-rotation-records/-interval apply to the embedded engine, but the target is "
     "http://127.0.0.1:9 (--endpoint-url)"),
])
def test_bad_shard_rotation_bounds_are_one_line(tmp_path, args, env, reason):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([cruddur_bin()] + args,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
                          env={**os.environ, **env})
    assert done.returncode == 1 and done.stderr == f"cruddur: {reason}\n"
