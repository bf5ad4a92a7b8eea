"""CloudTrail on the practice cloud: every API call is recorded, and ``cloudtrail.lookup_events`` answers from it.

moto keeps no CloudTrail events. Here every request that moto authorizes (IAM is always enforced in the lab, so
that is every signed request) leaves a record in CloudTrail's own event format: ``eventName`` (the API action),
``eventSource`` (``ec2.amazonaws.com`` ...), ``userIdentity`` (the IAM user or assumed role behind the access key
that signed it), ``eventTime``, ``awsRegion``, ``sourceIPAddress``, ``requestParameters``, the resources it named,
and ``errorCode`` / ``errorMessage`` when it was refused or failed. As in CloudTrail's *Event history*:

* only management events are kept: data events (S3 object reads and writes, DynamoDB item calls, Lambda Invoke)
  need a trail with data events on AWS, and are left out here;
* each Region has its own history; calls to global services (IAM, STS) are in us-east-1;
* ``lookup_events`` takes one LookupAttribute (EventId, EventName, ReadOnly, Username, ResourceType, ResourceName,
  EventSource, AccessKeyId), StartTime/EndTime, MaxResults (up to 50) and NextToken, and lists newest first.

How: moto's IAM check (``IAMRequestBase.check_action_permitted``) notes who asks for what in the request's thread;
:func:`recorded` wraps the WSGI call and, once moto has answered, stores the event with the answer's status. The
lookup is a ``lookup_events`` method added to moto's CloudTrail handler, so moto itself authorizes it.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from urllib.parse import parse_qsl

MAX_EVENTS = 10000          # per practice account, oldest dropped first
GLOBAL_SERVICES = {"iam", "sts"}
DATA_EVENTS = {
    "s3": {"GetObject", "PutObject", "DeleteObject", "DeleteObjects", "HeadObject", "CopyObject",
           "GetObjectAcl", "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "ListObjects", "ListObjectsV2",
           "ListObjectVersions", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"},
    "dynamodb": {"GetItem", "PutItem", "DeleteItem", "UpdateItem", "Query", "Scan", "BatchGetItem",
                 "BatchWriteItem", "TransactGetItems", "TransactWriteItems"},
    "lambda": {"Invoke", "InvokeAsync", "InvokeWithResponseStream"},
}
RESOURCE_PARAMETERS = {   # request parameter -> CloudTrail resource type
    "GroupId": "AWS::EC2::SecurityGroup", "InstanceId": "AWS::EC2::Instance", "bucketName": "AWS::S3::Bucket",
    "UserName": "AWS::IAM::User", "RoleName": "AWS::IAM::Role", "PolicyArn": "AWS::IAM::Policy",
    "FunctionName": "AWS::Lambda::Function", "TableName": "AWS::DynamoDB::Table",
    "restApiId": "AWS::ApiGateway::RestApi", "logGroupName": "AWS::Logs::LogGroup", "TopicArn": "AWS::SNS::Topic",
}
SERVICE_RESOURCE_PARAMETERS = {"iam": {"GroupName": "AWS::IAM::Group"}, "ec2": {"GroupName": "AWS::EC2::SecurityGroup"}}
LOOKUP_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId"}
READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "Head", "Search", "Check")

_local = threading.local()
_lock = threading.Lock()
_events: dict[str, deque] = {}
_patched = False


def events_of(account_id: str) -> list[dict]:
    with _lock:
        return list(_events.get(account_id, ()))


def forget(account_id: str | None = None) -> None:
    """Empty one account's history (or every account's)."""
    with _lock:
        if account_id is None:
            _events.clear()
        else:
            _events.pop(account_id, None)


# --- noting who asks for what -----------------------------------------------------------------------------------------

def _identity(access_key, account_id: str, key_id: str) -> dict:
    arn = getattr(access_key, "arn", "")
    if getattr(access_key, "_owner_role_name", None):
        role = access_key._owner_role_name
        return {"type": "AssumedRole", "principalId": f"AROA{key_id[4:]}:{access_key._session_name}", "arn": arn,
                "accountId": account_id, "accessKeyId": key_id,
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn":
                                                     f"arn:aws:iam::{account_id}:role/{role}", "userName": role}},
                "_username": access_key._session_name}
    name = getattr(access_key, "_owner_user_name", None) or arn.rsplit("/", 1)[-1]
    return {"type": "IAMUser", "principalId": f"AIDA{key_id[4:]}", "arn": arn, "accountId": account_id,
            "accessKeyId": key_id, "userName": name, "_username": name}


def _unflatten(pairs: dict) -> dict:
    """EC2/IAM query parameters (IpPermissions.1.FromPort=22) as CloudTrail shows them (nested, camelCase)."""
    out: dict = {}
    for key, value in pairs.items():
        if key in ("Action", "Version"):
            continue
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            name = part[:1].lower() + part[1:] if not part.isdigit() else part
            if part.isdigit():
                items = node.setdefault("items", [])
                index = int(part) - 1
                while len(items) <= index:
                    items.append({})
                if last:
                    items[index] = value
                else:
                    node = items[index] if isinstance(items[index], dict) else {}
            elif last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
    return out


def _request_parameters(request) -> dict:
    body = request._body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    data = request._data if isinstance(request._data, dict) else {}
    if body and body.lstrip().startswith("{"):
        try:
            parsed = json.loads(body)
            return parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
    if data:
        flat = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in data.items()}
        return _unflatten(flat)
    if body and "=" in body and not body.lstrip().startswith("<"):
        return _unflatten(dict(parse_qsl(body)))
    return {}


def _note(request, resource: str, error: str = "", message: str = "") -> None:
    service, _, action = request._action.partition(":")
    key_id = getattr(request._access_key, "_access_key_id", "")
    params = _request_parameters(request)
    if service == "s3" and resource.startswith("arn:aws:s3:::"):
        bucket, _, key = resource[len("arn:aws:s3:::"):].partition("/")
        if bucket and bucket != "*":
            params = dict(params, bucketName=bucket, **({"key": key} if key else {}))
    if service == "lambda":
        match = re.search(r"/functions/([^/?]+)", request._path)
        if match:
            params = dict(params, FunctionName=match.group(1).split(":")[-1])
    if service == "apigateway":
        match = re.search(r"/restapis/([^/?]+)", request._path)
        if match:
            params = dict(params, restApiId=match.group(1))
    _local.pending = {"service": service, "action": action, "region": request._region,
                      "identity": _identity(request._access_key, request.account_id, key_id),
                      "params": params, "error": error, "message": message}


def patch() -> None:
    """Note every authorized (or refused) call; add lookup_events to moto's CloudTrail (once per process)."""
    global _patched
    if _patched:
        return
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.iam.access_control import IAMRequestBase

    original = IAMRequestBase.check_action_permitted

    def check_action_permitted(self, resource):
        try:
            original(self, resource)
        except Exception as error:
            try:
                _note(self, resource, getattr(error, "code", None) or "AccessDenied",
                      f"User: {getattr(self._access_key, 'arn', '')} is not authorized to perform: {self._action}")
            except Exception:
                pass
            raise
        try:
            _note(self, resource)
        except Exception:   # never let the record keeping break a call
            _local.pending = None

    def lookup_events(self) -> str:
        return json.dumps(lookup(self.current_account, self.region, json.loads(self.body or "{}")), default=str)

    IAMRequestBase.check_action_permitted = check_action_permitted
    CloudTrailResponse.lookup_events = lookup_events
    _patched = True


# --- recording ---------------------------------------------------------------------------------------------------------

def _resources(service: str, params: dict) -> list[dict]:
    found = []
    names = dict(RESOURCE_PARAMETERS, **SERVICE_RESOURCE_PARAMETERS.get(service, {}))

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                kind = names.get(key) or names.get(key[:1].upper() + key[1:])
                if kind and isinstance(value, str):
                    found.append({"ResourceType": kind, "ResourceName": value})
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(params)
    unique = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique


def recorded(account_id: str, environ, start_response, app):
    """Call the WSGI ``app``; afterwards store the CloudTrail event of what moto noted for this request."""
    _local.pending = None
    status: list[str] = []

    def remember(code, headers, *rest):
        status.append(code)
        return start_response(code, headers, *rest)

    try:
        return app(environ, remember)
    finally:
        pending, _local.pending = getattr(_local, "pending", None), None
        if pending is not None:
            try:
                _store(account_id, environ, pending, status[0] if status else "500")
            except Exception:
                pass


def _store(account_id: str, environ, pending: dict, status: str) -> None:
    service, action = pending["service"], pending["action"]
    if action in DATA_EVENTS.get(service, ()):
        return
    code = int(status.split()[0]) if status.split()[0].isdigit() else 500
    error = pending["error"] or ("" if code < 400 else status.split(" ", 1)[-1].replace(" ", ""))
    region = "us-east-1" if service in GLOBAL_SERVICES else pending["region"]
    identity = dict(pending["identity"])
    username = identity.pop("_username")
    now = time.time()
    event_id = str(uuid.uuid4())
    params = pending["params"]
    record = {
        "eventVersion": "1.08", "userIdentity": identity,
        "eventTime": datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{service}.amazonaws.com", "eventName": action, "awsRegion": region,
        "sourceIPAddress": environ.get("REMOTE_ADDR", "127.0.0.1"),
        "userAgent": environ.get("HTTP_USER_AGENT", ""),
        "requestParameters": params or None, "responseElements": None,
        "requestID": str(uuid.uuid4()), "eventID": event_id,
        "readOnly": action.startswith(READ_PREFIXES), "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": account_id, "eventCategory": "Management",
    }
    if error:
        record["errorCode"] = error
        if pending["message"]:
            record["errorMessage"] = pending["message"]
    with _lock:
        _events.setdefault(account_id, deque(maxlen=MAX_EVENTS)).append(
            {"time": now, "username": username, "resources": _resources(service, params), "record": record})


# --- lookup_events ----------------------------------------------------------------------------------------------------

class LookupError_(ValueError):
    pass


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _matches(stored: dict, key: str, value: str) -> bool:
    record = stored["record"]
    if key == "EventId":
        return record["eventID"] == value
    if key == "EventName":
        return record["eventName"] == value
    if key == "ReadOnly":
        return str(record["readOnly"]).lower() == value.lower()
    if key == "Username":
        return stored["username"] == value
    if key == "EventSource":
        return record["eventSource"] == value
    if key == "AccessKeyId":
        return record["userIdentity"].get("accessKeyId") == value
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in stored["resources"])
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in stored["resources"])
    return False


def lookup(account_id: str, region: str, request: dict) -> dict:
    """CloudTrail LookupEvents on this account's history in ``region``."""
    from moto.core.exceptions import JsonRESTError

    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise JsonRESTError("InvalidLookupAttributesException",
                            "You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS:
            raise JsonRESTError("InvalidLookupAttributesException",
                                f"Lookup attribute key {attribute.get('AttributeKey')} is not valid.")
    limit = int(request.get("MaxResults") or 50)
    if not 1 <= limit <= 50:
        raise JsonRESTError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    start, end = _epoch(request.get("StartTime")), _epoch(request.get("EndTime"))
    chosen = [e for e in reversed(events_of(account_id)) if e["record"]["awsRegion"] == region
              and (start is None or e["time"] >= start) and (end is None or e["time"] <= end)
              and all(_matches(e, a["AttributeKey"], str(a.get("AttributeValue", ""))) for a in attributes)]
    token = request.get("NextToken")   # the id of the first event of the next page: newer events do not shift it
    offset = next((i for i, e in enumerate(chosen) if e["record"]["eventID"] == token), None) if token else 0
    if offset is None:
        raise JsonRESTError("InvalidNextTokenException", "Invalid NextToken.")
    page = chosen[offset:offset + limit]
    answer: dict = {"Events": [{
        "EventId": e["record"]["eventID"], "EventName": e["record"]["eventName"],
        "ReadOnly": str(e["record"]["readOnly"]).lower(), "AccessKeyId": e["record"]["userIdentity"].get("accessKeyId"),
        "EventTime": e["time"], "EventSource": e["record"]["eventSource"], "Username": e["username"],
        "Resources": e["resources"], "CloudTrailEvent": json.dumps(e["record"])} for e in page]}
    if offset + limit < len(chosen):
        answer["NextToken"] = chosen[offset + limit]["record"]["eventID"]
    return answer
