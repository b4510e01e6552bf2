"""Local fakes of the two AWS wire protocols `cruddur cognito` and `cruddur rds` speak.

One http.server on 127.0.0.1:<free port> answers, like the real endpoints:
  - Cognito Identity Provider ListUsers: AWS JSON 1.1 (POST /, X-Amz-Target
    AWSCognitoIdentityProviderService.ListUsers), paged with PaginationToken;
  - EC2 ModifySecurityGroupRules: the EC2 Query protocol (form-encoded POST /, XML answers);
  - GET /checkip: a stand-in for https://checkip.amazonaws.com (the caller's address + newline).
Every AWS request must carry a SigV4 Authorization header whose signature botocore's own signer
(botocore.auth.SigV4Auth) reproduces for the same request, scoped to the right service; request
members are checked against botocore's service models. Error answers use the services' formats.
"""

import base64
import datetime
import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.session
from botocore import serialize
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDFAKEAWS000000001"
SECRET_KEY = "fake/aws+secret/key/for/cruddur/tests"

COGNITO_TARGET = "AWSCognitoIdentityProviderService.ListUsers"
AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)

_session = botocore.session.get_session()
_EC2_OP = _session.get_service_model("ec2").operation_model("ModifySecurityGroupRules")
_COGNITO_INPUT = _session.get_service_model("cognito-idp").operation_model("ListUsers").input_shape


class AuthFailure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def verify_sigv4(method, path, headers, body, service, secrets):
    """Checks the request's SigV4 signature with botocore; returns the region, raises AuthFailure."""
    auth = headers.get("Authorization")
    if not auth:
        raise AuthFailure("MissingAuthenticationTokenException", "Missing Authentication Token")
    m = AUTH_RE.match(auth)
    if not m:
        raise AuthFailure("IncompleteSignatureException", "malformed Authorization: " + auth)
    if m["service"] != service:
        raise AuthFailure("InvalidSignatureException",
                          f"Credential should be scoped to correct service: '{service}'.")
    if m["key"] not in secrets:
        raise AuthFailure("UnrecognizedClientException",
                          "The security token included in the request is invalid.")
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(m["date"]):
        raise AuthFailure("InvalidSignatureException", "X-Amz-Date does not match the scope date")
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    if abs((datetime.datetime.utcnow() - when).total_seconds()) > 15 * 60:
        raise AuthFailure("InvalidSignatureException", "Signature expired")
    signed = m["signed"].split(";")
    if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
        raise AuthFailure("InvalidSignatureException", "SignedHeaders must include host and x-amz-date")
    request_headers = {}
    for name in signed:
        if headers.get(name) is None:
            raise AuthFailure("InvalidSignatureException", f"signed header {name} is missing")
        request_headers[name] = headers.get(name)
    request = AWSRequest(method=method, url="http://" + headers["Host"] + path, data=body,
                         headers=request_headers)
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(m["key"], secrets[m["key"]], headers.get("X-Amz-Security-Token")),
                       service, m["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if expected != m["signature"]:
        raise AuthFailure(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.")
    return m["region"]


def make_user(handle, sub=None, email=None, status="CONFIRMED", enabled=True):
    """A UserType as ListUsers answers it (dates as epoch seconds, as JSON 1.1 sends them)."""
    sub = sub or str(uuid.uuid4())
    attributes = [{"Name": "sub", "Value": sub}]
    if handle is not None:
        attributes.append({"Name": "preferred_username", "Value": handle})
    attributes.append({"Name": "email", "Value": email or f"{handle or sub}@example.com"})
    return {"Username": sub, "Attributes": attributes, "UserCreateDate": 1678000000.123,
            "UserLastModifiedDate": 1678000100.5, "Enabled": enabled, "UserStatus": status}


class FakeAws:
    """The fake endpoint; use as a context manager. Records every AWS request it accepted."""

    def __init__(self, page_size=2):
        self.page_size = page_size  # at most this many users per ListUsers page
        self.pools = {}             # user pool id -> [UserType]
        self.security_groups = {}   # group id -> {rule id: rule dict}
        self.secrets = {ACCESS_KEY: SECRET_KEY}
        self.requests = []          # (kind, region, decoded body) of accepted requests
        self.forced_error = None    # (status, type, message): answer every AWS request with it
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/checkip":
                    self._send(200, "text/plain", "198.51.100.23\n".encode())
                else:
                    self._send(404, "text/plain", b"not found")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("X-Amz-Target"):
                    fake._cognito(self, body)
                else:
                    fake._ec2(self, body)

            def _send(self, status, content_type, payload, extra_headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra_headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def requests_of(self, kind):
        return [body for k, _, body in self.requests if k == kind]

    # --- Cognito (JSON 1.1) ---

    def _cognito_error(self, handler, status, error_type, message):
        payload = json.dumps({"__type": error_type, "message": message}).encode()
        handler._send(status, "application/x-amz-json-1.1", payload,
                      [("x-amzn-ErrorType", error_type), ("x-amzn-RequestId", str(uuid.uuid4()))])

    def _cognito(self, handler, body):
        try:
            region = verify_sigv4("POST", handler.path, handler.headers, body, "cognito-idp",
                                  self.secrets)
        except AuthFailure as e:
            return self._cognito_error(handler, 400 if "Signature" in e.code else 403, e.code,
                                       e.message)
        target = handler.headers.get("X-Amz-Target")
        if target != COGNITO_TARGET:
            return self._cognito_error(handler, 400, "UnknownOperationException", "")
        if handler.headers.get("Content-Type") != "application/x-amz-json-1.1":
            return self._cognito_error(handler, 400, "SerializationException",
                                       "Content-Type must be application/x-amz-json-1.1")
        try:
            request = json.loads(body)
        except ValueError:
            return self._cognito_error(handler, 400, "SerializationException", "not JSON")
        unknown = set(request) - set(_COGNITO_INPUT.members)
        if unknown:
            return self._cognito_error(handler, 400, "SerializationException",
                                       f"unknown members {sorted(unknown)}")
        self.requests.append(("ListUsers", region, request))
        if self.forced_error:
            return self._cognito_error(handler, *self.forced_error)
        limit = request.get("Limit", 60)
        if not isinstance(limit, int) or limit > 60 or limit < 0:
            return self._cognito_error(
                handler, 400, "InvalidParameterException",
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                "constraint: Member must have value less than or equal to 60")
        pool_id = request.get("UserPoolId")
        if pool_id not in self.pools:
            return self._cognito_error(handler, 400, "ResourceNotFoundException",
                                       f"User pool {pool_id} does not exist.")
        start = 0
        if "PaginationToken" in request:
            try:
                start = int(base64.b64decode(request["PaginationToken"]).decode().split(":")[1])
            except (ValueError, IndexError):
                return self._cognito_error(handler, 400, "InvalidParameterException",
                                           "Invalid pagination token")
        users = self.pools[pool_id]
        count = min(limit or 60, self.page_size)
        page = users[start:start + count]
        wanted = request.get("AttributesToGet")
        answer_users = []
        for user in page:
            user = dict(user)
            if wanted:
                user["Attributes"] = [a for a in user["Attributes"] if a["Name"] in wanted]
            answer_users.append(user)
        answer = {"Users": answer_users}
        if start + count < len(users):
            answer["PaginationToken"] = base64.b64encode(f"{pool_id}:{start + count}".encode()).decode()
        handler._send(200, "application/x-amz-json-1.1", json.dumps(answer).encode(),
                      [("x-amzn-RequestId", str(uuid.uuid4()))])

    # --- EC2 (Query protocol, XML answers) ---

    def _ec2_error(self, handler, status, code, message):
        payload = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{_xml(message)}</Message>"
            f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
        ).encode()
        handler._send(status, "text/xml;charset=UTF-8", payload)

    def _ec2(self, handler, body):
        try:
            region = verify_sigv4("POST", handler.path, handler.headers, body, "ec2", self.secrets)
        except AuthFailure as e:
            code = "AuthFailure" if e.code != "MissingAuthenticationTokenException" else \
                "MissingAuthenticationToken"
            return self._ec2_error(handler, 401, code, e.message)
        if not handler.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):
            return self._ec2_error(handler, 400, "InvalidParameterValue", "not a form")
        pairs = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            return self._ec2_error(handler, 400, "InvalidParameterValue", "duplicate parameter")
        if params.get("Action") != "ModifySecurityGroupRules":
            return self._ec2_error(handler, 400, "InvalidAction",
                                   f"The action {params.get('Action')} is not valid for this web service.")
        if params.get("Version") != "2016-11-15":
            return self._ec2_error(handler, 400, "MissingParameter", "Version 2016-11-15 expected")
        # The same call through botocore's own EC2 serializer must give exactly these parameters.
        rules = []
        n = 1
        while f"SecurityGroupRule.{n}.SecurityGroupRuleId" in params:
            prefix = f"SecurityGroupRule.{n}.SecurityGroupRule."
            inner = {}
            for key, value in params.items():
                if key.startswith(prefix):
                    name = key[len(prefix):]
                    inner[name] = int(value) if name in ("FromPort", "ToPort") else value
            rules.append({"SecurityGroupRuleId": params[f"SecurityGroupRule.{n}.SecurityGroupRuleId"],
                          "SecurityGroupRule": inner})
            n += 1
        structured = {"GroupId": params.get("GroupId", ""), "SecurityGroupRules": rules}
        try:
            expected = serialize.create_serializer("ec2").serialize_to_request(structured, _EC2_OP)
        except Exception as e:  # noqa: BLE001 - report any mismatch as EC2 would
            return self._ec2_error(handler, 400, "UnknownParameter", str(e))
        expected = {k: str(v) for k, v in expected["body"].items()}
        if expected != params:
            return self._ec2_error(handler, 400, "UnknownParameter",
                                   f"parameters {sorted(set(params) ^ set(expected))} are not valid")
        self.requests.append(("ModifySecurityGroupRules", region, structured))
        if self.forced_error:
            return self._ec2_error(handler, *self.forced_error)
        group = self.security_groups.get(structured["GroupId"])
        if group is None:
            return self._ec2_error(handler, 400, "InvalidGroup.NotFound",
                                   f"The security group '{structured['GroupId']}' does not exist")
        for rule in rules:
            if rule["SecurityGroupRuleId"] not in group:
                return self._ec2_error(
                    handler, 400, "InvalidSecurityGroupRuleId.NotFound",
                    f"The security group rule ID '{rule['SecurityGroupRuleId']}' does not exist")
        for rule in rules:
            group[rule["SecurityGroupRuleId"]] = rule["SecurityGroupRule"]
        payload = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ModifySecurityGroupRulesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n'
            f"    <requestId>{uuid.uuid4()}</requestId>\n"
            "    <return>true</return>\n"
            "</ModifySecurityGroupRulesResponse>"
        ).encode()
        handler._send(200, "text/xml;charset=UTF-8", payload)


def _xml(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("'", "&apos;").replace('"', "&quot;"))
