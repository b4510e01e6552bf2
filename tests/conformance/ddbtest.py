"""Helpers shared by the black-box DynamoDB conformance suite (see conftest.py).

The suite talks to a DynamoDB-compatible endpoint over the wire only. With DDB_ENDPOINT set it
uses that endpoint (any DynamoDB-compatible server); otherwise it starts
`cruddur ddb serve --in-memory` on a free loopback port for the whole session.
"""

import contextlib
import os
import socket
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def cruddur_bin():
    return os.environ.get("CRUDDUR_BIN", os.path.join(REPO_ROOT, "build", "cruddur"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_client(endpoint, service="dynamodb", **config):
    opts = {"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 5,
            "read_timeout": 30}
    opts.update(config)
    cfg = Config(**opts)
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=cfg)


def wait_until_answers(endpoint, proc=None, timeout=20.0):
    """Polls ListTables until the server answers; fails early if the process died."""
    client = make_client(endpoint)
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        try:
            client.list_tables()
            return
        except Exception as e:  # connection refused while starting up
            last = e
            time.sleep(0.05)
    raise RuntimeError(f"server at {endpoint} did not answer within {timeout}s: {last}")


class ServerProcess:
    """A `cruddur ddb serve` child process on a loopback port."""

    def __init__(self, args, log_path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [cruddur_bin(), "ddb", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + list(args),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=20.0):
        wait_until_answers(self.endpoint, self.proc, timeout)

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_server(args, log_path):
    binary = cruddur_bin()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not built (set CRUDDUR_BIN or DDB_ENDPOINT)")
    server = ServerProcess(args, log_path)
    try:
        server.wait_ready()
    except Exception:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def own_server(foreign_endpoint, tmp_path_factory, args, why):
    """A `cruddur ddb serve` started with flags of its own (for a module's fixture), stopped at
    the end; skipped with `why` when DDB_ENDPOINT names a server this suite did not start."""
    if foreign_endpoint:
        pytest.skip(why)
    server = start_server(args, tmp_path_factory.mktemp("server") / "cruddur-ddb.log")
    try:
        yield server
    finally:
        server.stop()


def unique_name(prefix="conf"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def wait_table_active(client, name, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        desc = client.describe_table(TableName=name)["Table"]
        busy = desc["TableStatus"] != "ACTIVE" or any(
            g.get("IndexStatus", "ACTIVE") != "ACTIVE"
            for g in desc.get("GlobalSecondaryIndexes", []))
        if not busy:
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} not ACTIVE after {timeout}s: {desc}")
        time.sleep(0.05)


def wait_backup_available(client, arn, timeout=30.0):
    """Polls DescribeBackup until the backup is AVAILABLE (CreateBackup answers CREATING and
    makes it in the background, as DynamoDB does); returns its BackupDescription."""
    deadline = time.monotonic() + timeout
    while True:
        desc = client.describe_backup(BackupArn=arn)["BackupDescription"]
        if desc["BackupDetails"]["BackupStatus"] == "AVAILABLE":
            return desc
        if time.monotonic() > deadline:
            raise AssertionError(f"backup {arn} not AVAILABLE after {timeout}s: {desc}")
        time.sleep(0.05)


def wait_table_gone(client, name, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.describe_table(TableName=name)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise
        time.sleep(0.05)
    raise AssertionError(f"table {name} still exists after {timeout}s")


def delete_table_quietly(client, name):
    for _ in range(200):
        try:
            client.delete_table(TableName=name)
            return
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "ResourceNotFoundException":
                return
            if code == "ResourceInUseException":  # still CREATING/UPDATING
                time.sleep(0.05)
                continue
            raise


class TableFactory:
    """Creates uniquely named tables and deletes them when the test ends."""

    def __init__(self, client):
        self.client = client
        self.names = []

    def create(self, hash_key=("pk", "S"), range_key=None, attrs=None, wait=True, **kwargs):
        name = kwargs.pop("TableName", None) or unique_name()
        key_schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
        defs = {hash_key[0]: hash_key[1]}
        if range_key:
            key_schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
            defs[range_key[0]] = range_key[1]
        for a, t in (attrs or {}).items():
            defs[a] = t
        kwargs.setdefault("BillingMode", "PAY_PER_REQUEST")
        self.client.create_table(
            TableName=name, KeySchema=key_schema,
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t}
                                  for a, t in defs.items()],
            **kwargs)
        self.names.append(name)
        if wait:
            wait_table_active(self.client, name)
        return name

    def track(self, name):
        self.names.append(name)
        return name

    def cleanup(self):
        for name in self.names:
            try:
                delete_table_quietly(self.client, name)
            except Exception:
                pass


def create_pk_table(client, name, gsi=False):
    """Sends CreateTable of an on-demand table keyed by pk (S), with the index by_g on g (S)
    when `gsi` (the tables the backup tests back up and restore); does not wait."""
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    kwargs = {}
    if gsi:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kwargs["GlobalSecondaryIndexes"] = [{
            "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=attrs,
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], **kwargs)


def create_error(client, tables, **kwargs):
    """(code, message) of the error refusing CreateTable(**kwargs); the table is tracked by
    `tables` (a TableFactory) in case the server wrongly makes it."""
    name = kwargs.setdefault("TableName", unique_name())
    tables.track(name)
    with pytest.raises(ClientError) as e:
        client.create_table(**kwargs)
    return err(e)


def err(excinfo):
    """(code, message) of a ClientError caught by pytest.raises."""
    e = excinfo.value.response["Error"]
    return e.get("Code"), e.get("Message")


def item_size(client, table, item):
    """Helper for capacity tests: consumed units of a PutItem."""
    r = client.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    return r["ConsumedCapacity"]["CapacityUnits"]


def signed_headers(endpoint, target, data, headers=None):
    """The header fields of a DynamoDB JSON request for `target` ("PutItem", or a whole
    "Prefix.Operation") with body `data`, with `headers` added, signed with SigV4."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="POST", url=endpoint + "/", data=data,
                     headers=request_headers(target, headers))
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", REGION).add_auth(req)
    return dict(req.headers.items())


def request_headers(target, headers=None):
    """The unsigned header fields of a DynamoDB JSON request for `target` (as signed_headers
    takes it; None for no X-Amz-Target), with `headers` added."""
    hdrs = {"Content-Type": "application/x-amz-json-1.0"}
    if target is not None:
        hdrs["X-Amz-Target"] = target if "." in target else "DynamoDB_20120810." + target
    hdrs.update(headers or {})
    return hdrs


def signed_request(endpoint, target, body, headers=None, sign=True):
    """Sends one raw DynamoDB JSON request (signed with SigV4 unless sign=False).

    Returns (status, headers dict with lower-case names, raw body bytes). Used for parameters
    that this botocore version does not know and for protocol-level checks.
    """
    import http.client
    import json
    from urllib.parse import urlparse

    data = body if isinstance(body, (bytes, bytearray)) else json.dumps(body).encode()
    hdrs = (signed_headers(endpoint, target, data, headers) if sign
            else request_headers(target, headers))
    u = urlparse(endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request("POST", "/", body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw
    finally:
        conn.close()


def raw_call(endpoint, target, body):
    """signed_request + JSON decoding of the answer: (status, decoded body)."""
    import json
    status, _, raw = signed_request(endpoint, target, body)
    return status, (json.loads(raw) if raw else {})


def error_type(body):
    """The short error type of a decoded error body ("...#ValidationException" -> ...)."""
    return body.get("__type", "").rsplit("#", 1)[-1]


def error_message(body):
    return body.get("message", body.get("Message"))


def scan_pages(client, **kw):
    """Every item a Scan returns, following LastEvaluatedKey page by page (in the order read)."""
    items, start = [], None
    for _ in range(10000):
        if start:
            kw["ExclusiveStartKey"] = start
        r = client.scan(**kw)
        items += r.get("Items", [])
        start = r.get("LastEvaluatedKey")
        if not start:
            return items
    raise AssertionError("scan did not finish")



def items_by_pk(client, table):
    """{pk: item} of the whole table (a consistent Scan, page by page)."""
    return {item["pk"]["S"]: item
            for item in scan_pages(client, TableName=table, ConsistentRead=True)}


def enable_pitr(client, table):
    return client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


# Statuses held for DELAY seconds by `--delay-transient-statuses` (the `delayed` fixture): long
# enough for the checks made meanwhile on a busy machine.
DELAY = 1.5
# boto3's DynamoDB waiters poll every 20 s (botocore waiters-2.json); poll faster here.
FAST = {"Delay": 0.2, "MaxAttempts": 100}

# --- today's SDKs -------------------------------------------------------------------------------
# Debian's boto3/botocore 1.29 and aws CLI 2.9 predate DynamoDB's newer members
# (OnDemandThroughput, WarmThroughput, DeletionProtectionEnabled): they cannot send them. The
# machines this project runs on also carry pip's boto3 1.43 and awscli 1.45 for Python 3.11
# (pyenv), whose model has them; these helpers drive those, in a child process.

_CURRENT_SDK_CHECK = (
    "import boto3, awscli, botocore.session as s; "
    "m = s.get_session().get_service_model('dynamodb'); "
    "assert 'OnDemandThroughput' in m.operation_model('CreateTable').input_shape.members")


def current_sdk_python():
    """A Python whose boto3 and awscli know today's DynamoDB API, or None.

    CURRENT_SDK_PYTHON names one; otherwise pyenv's and the PATH's python3 are tried."""
    import glob
    import shutil

    global _current_sdk
    if "_current_sdk" in globals():
        return _current_sdk
    candidates = [os.environ.get("CURRENT_SDK_PYTHON"), shutil.which("python3")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/*/bin/python3")))
    candidates += sorted(glob.glob("/root/.pyenv/versions/*/bin/python3"))
    _current_sdk = None
    for py in candidates:
        if not py or not os.access(py, os.X_OK):
            continue
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYENV")}
        ok = subprocess.run([py, "-c", _CURRENT_SDK_CHECK], capture_output=True, env=env,
                            timeout=60).returncode == 0
        if ok:
            _current_sdk = py
            break
    return _current_sdk


_BOTO3_RUNNER = r"""
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
req = json.load(sys.stdin)
client = boto3.client("dynamodb", endpoint_url=req["endpoint"], region_name=req["region"],
                      aws_access_key_id=req["key"], aws_secret_access_key=req["secret"],
                      config=Config(retries={"max_attempts": 1, "mode": "standard"}))
out = []
for op, kwargs in req["calls"]:
    try:
        answer = getattr(client, op)(**kwargs)
        answer.pop("ResponseMetadata", None)
        out.append(answer)
    except ClientError as e:
        out.append({"Error": {"Code": e.response["Error"]["Code"],
                              "Message": e.response["Error"]["Message"]}})
print(json.dumps(out, default=str))
"""


def current_boto3(endpoint, calls):
    """Runs [(method, kwargs), ...] with today's boto3 (client-side validation on, as an
    application has it); returns each answer, or {"Error": {"Code", "Message"}}."""
    import json

    py = current_sdk_python()
    if py is None:
        pytest.skip("no boto3 that knows today's DynamoDB API (see current_sdk_python)")
    req = {"endpoint": endpoint, "region": REGION, "key": ACCESS_KEY, "secret": SECRET_KEY,
           "calls": calls}
    p = subprocess.run([py, "-c", _BOTO3_RUNNER], input=json.dumps(req), capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("boto3 child failed: " + p.stderr[-2000:])
    return json.loads(p.stdout)


def aws_cli_runner(command, endpoint, tmp_path):
    """A function running the aws CLI `command` (a list) against the endpoint with this suite's
    credentials and a private config: run("get-item", ...) -> CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYENV"))}
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "HOME": str(tmp_path)})

    def run(*args, check=True):
        p = subprocess.run(list(command) + ["--endpoint-url", endpoint, "--output", "json",
                                            "dynamodb"] + list(args),
                           env=env, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (args, p.returncode, p.stderr))
        return p
    return run


def current_aws_cli(endpoint, tmp_path):
    """aws_cli_runner for today's aws CLI (`python -m awscli` of current_sdk_python)."""
    py = current_sdk_python()
    if py is None:
        pytest.skip("no aws CLI that knows today's DynamoDB API (see current_sdk_python)")
    return aws_cli_runner([py, "-m", "awscli"], endpoint, tmp_path)
