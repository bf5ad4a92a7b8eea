"""API Gateway invoke URLs and Lambda runs on the practice cloud, with the function's output in CloudWatch Logs.

moto stores REST APIs, their resources, methods, integrations and stages, and Lambda functions with their code, but
it answers no invoke URL and runs no code (no Docker here). This module adds both, inside the practice cloud's own
server (graders/services/moto.py routes ``/graders-lab/execute-api/...`` here):

* ``GET|POST|... /graders-lab/execute-api/<region>/<api_id>/<stage>/<path>`` is the API's invoke URL (on AWS:
  ``https://<api_id>.execute-api.<region>.amazonaws.com/<stage>/<path>``). It finds the stage, the resource whose
  path matches (``{name}`` and ``{proxy+}`` parts too), its method (or ANY) and the method's integration, as API
  Gateway does, and answers as API Gateway answers when one is missing (403 "Missing Authentication Token", 500
  "Internal server error" ...). Only Lambda proxy integrations (``AWS_PROXY``) run; the function must allow
  ``apigateway.amazonaws.com`` to invoke it (``lambda add_permission``), as on AWS.
* The function runs as Lambda would run it: its deployed zip unpacked into a fresh folder, in a separate process
  with a memory limit and the lab's network guard (loopback only), its environment variables, its role's
  temporary credentials (only when the role trusts lambda.amazonaws.com), the practice cloud as the only endpoint,
  and a proxy event (format 1.0) built from the HTTP request.
* ``POST /graders-lab/lambda-invoke/<region>/<function>`` with ``{"events": [...]}`` runs the function on those
  events the same way (the console's *Test* button; the lab's checks use it) and answers
  ``{"init": {...}, "results": [{"ok": ..., "answer" | "error": ..., "log": ...}, ...]}``.
* What the function prints (stdout and stderr) lands in CloudWatch Logs, group ``/aws/lambda/<function name>``,
  one log stream per run, with Lambda's own START / END / REPORT lines and ``[ERROR]`` + traceback when the
  handler raises, written straight into moto's logs backend.

Every error answer also carries the header ``X-Practice-Cloud-Reason``: what went wrong, in one English line, for
the lab's checks (API Gateway writes the same facts to its execution log, which moto does not have).
"""
from __future__ import annotations

import fnmatch
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote

ROUTE = "execute-api/"
INVOKE_ROUTE = "lambda-invoke/"
ROUTES = (ROUTE, INVOKE_ROUTE)
REASON_HEADER = "X-Practice-Cloud-Reason"
REPO_ROOT = Path(__file__).resolve().parents[2]
URI_PATTERN = re.compile(r"^arn:aws:apigateway:([a-z0-9-]+):lambda:path/2015-03-31/functions/(.+)/invocations$")

RUNNER = r'''
import contextlib, io, json, os, signal, sys, time, traceback, types
sys.path.insert(0, os.environ["TASK_ROOT"])
from labs.aws import guard
guard.install("all")

def timed_out(signum, frame):
    raise TimeoutError("Task timed out")

signal.signal(signal.SIGALRM, timed_out)
out = io.StringIO()
results = []
module_name, function_name = os.environ["_HANDLER"].rsplit(".", 1)
try:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        handler = getattr(__import__(module_name), function_name)
    init = {"ok": True, "log": out.getvalue()}
except Exception as error:
    init = {"ok": False, "log": out.getvalue(), "error": type(error).__name__ + ": " + str(error),
            "trace": traceback.format_exc()}
    handler = None
if handler is not None:
    for event in json.loads(os.environ["EVENTS"]):
        out = io.StringIO()
        context = types.SimpleNamespace(function_name=os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                                        aws_request_id=event.get("requestContext", {}).get("requestId", "local"),
                                        memory_limit_in_mb=128, get_remaining_time_in_millis=lambda: 3000)
        started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, float(os.environ["TIMEOUT"]))
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                answer = handler(event, context)
            json.dumps(answer)
            result = {"ok": True, "answer": answer}
        except TimeoutError:
            result = {"ok": False, "timeout": True, "error": "Task timed out"}
        except Exception as error:   # the trace from the handler's own frames on, as Lambda shows it
            result = {"ok": False, "error": type(error).__name__ + ": " + str(error),
                      "trace": "".join(traceback.format_exception(type(error), error,
                                                                  error.__traceback__.tb_next))}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result["log"] = out.getvalue()
        result["ms"] = round((time.monotonic() - started) * 1000, 2)
        results.append(result)
print("@@RESULT@@" + json.dumps({"init": init, "results": results}, default=str))
'''


def invoke_url(endpoint_url: str, region: str, api_id: str, stage: str, path: str = "") -> str:
    """The practice cloud's invoke URL of a stage (on AWS: https://<api_id>.execute-api.<region>.amazonaws.com/...)."""
    return f"{endpoint_url.rstrip('/')}/graders-lab/{ROUTE}{region}/{api_id}/{stage}/{path.lstrip('/')}"


# --- running a function -----------------------------------------------------------------------------------------------

def role_credentials(account_id: str, role_arn: str) -> dict | None:
    """The role's temporary credentials as Lambda gets them, or None when the role does not trust Lambda."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    from .moto import trusts_service
    try:
        role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
    except Exception:
        return None
    if not trusts_service(role.assume_role_policy_document, "lambda.amazonaws.com"):
        return None
    assumed = sts_backends[account_id]["aws"].assume_role(
        region_name="us-east-1", role_session_name="lambda", role_arn=role_arn, policy=None, duration=900,
        external_id=None)
    return {"AWS_ACCESS_KEY_ID": assumed.access_key_id, "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
            "AWS_SESSION_TOKEN": assumed.session_token}


def run_function(account_id: str, endpoint_url: str, function, events: list[dict]) -> dict:
    """Run a moto Lambda function's deployed code on ``events``; write its output to CloudWatch Logs.
    Answers {"init": {...}, "results": [{"ok", "answer" | "error", "log", ...}, ...]}."""
    region = function.region
    timeout = float(getattr(function, "timeout", 3) or 3)
    credentials = role_credentials(account_id, function.role)
    with tempfile.TemporaryDirectory(prefix="practice-lambda-") as task_root:
        try:
            with zipfile.ZipFile(io.BytesIO(function.code_bytes or b"")) as archive:
                archive.extractall(task_root)
        except zipfile.BadZipFile:
            pass
        # PYTHONPATH and AWS_SAFETY_LOG pass through: the safety test's audit hook watches the handler's process too
        python_path = os.pathsep.join([str(REPO_ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
               "PYTHONPATH": python_path, "HOME": task_root, "TASK_ROOT": task_root, "LAMBDA_TASK_ROOT": task_root,
               "_HANDLER": function.handler or "", "EVENTS": json.dumps(events), "TIMEOUT": str(timeout)}
        env.update({k: os.environ[k] for k in ("AWS_SAFETY_LOG",) if k in os.environ})
        env.update(function.environment_vars or {})
        env.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region, "AWS_ENDPOINT_URL": endpoint_url,
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
                    "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                    "AWS_LAMBDA_LOG_GROUP_NAME": log_group_of(function.function_name),
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        env.update(credentials or {"AWS_ACCESS_KEY_ID": "none", "AWS_SECRET_ACCESS_KEY": "none"})

        def limits():
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

        try:
            done = subprocess.run([sys.executable, "-c", RUNNER], env=env, cwd=task_root, capture_output=True,
                                  text=True, timeout=timeout + 15, preexec_fn=limits)
            output = next((line[len("@@RESULT@@"):] for line in reversed(done.stdout.splitlines())
                           if line.startswith("@@RESULT@@")), None)
            run = json.loads(output) if output else {
                "init": {"ok": False, "log": done.stderr[-2000:],
                         "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}, "results": []}
        except subprocess.TimeoutExpired:
            run = {"init": {"ok": False, "log": "", "error": "Task timed out", "timeout": True}, "results": []}
    write_logs(account_id, region, function.function_name, run, events, timeout)
    return run


def log_group_of(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def write_logs(account_id: str, region: str, function_name: str, run: dict, events: list[dict],
               timeout: float) -> None:
    """Lambda's log lines for one run, in a new log stream of /aws/lambda/<name> (moto's logs backend)."""
    from moto.logs.models import logs_backends

    logs = logs_backends[account_id][region]
    group = log_group_of(function_name)
    if group not in logs.groups:
        logs.create_log_group(group, {})
    stream = datetime.now(timezone.utc).strftime("%Y/%m/%d/") + "[$LATEST]" + uuid.uuid4().hex
    logs.create_log_stream(group, stream)
    lines: list[str] = ["INIT_START Runtime Version: python:3.12 (practice cloud)"]
    init = run.get("init", {})
    lines += _output_lines(init.get("log", ""))
    if not init.get("ok"):
        lines.append(_error_line(init))
    for event, result in zip(events, run.get("results", [])):
        request_id = event.get("requestContext", {}).get("requestId", str(uuid.uuid4()))
        lines.append(f"START RequestId: {request_id} Version: $LATEST")
        lines += _output_lines(result.get("log", ""))
        if result.get("timeout"):
            lines.append(f"{_stamp()} {request_id} Task timed out after {timeout:.2f} seconds")
        elif not result.get("ok"):
            lines.append(_error_line(result))
        lines.append(f"END RequestId: {request_id}")
        ms = float(result.get("ms", 0))
        lines.append(f"REPORT RequestId: {request_id}\tDuration: {ms:.2f} ms\tBilled Duration: {int(ms) + 1} ms\t"
                     "Memory Size: 128 MB\tMax Memory Used: 40 MB")
    now = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines if line.strip()])


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def _output_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _error_line(result: dict) -> str:
    error = result.get("error", "")
    name, _, message = error.partition(": ")
    trace = result.get("trace", "")
    return f"[ERROR] {name}: {message}" + ("\n" + trace.rstrip() if trace else "")


# --- the invoke URL ----------------------------------------------------------------------------------------------------

def _answer(start_response, status: int, body: dict | str, headers: dict | None = None, reason: str = ""):
    data = body if isinstance(body, str) else json.dumps(body)
    raw = data.encode("utf-8")
    phrase = {200: "OK", 201: "Created", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
              500: "Internal Server Error", 502: "Bad Gateway", 504: "Gateway Timeout"}.get(status, "Status")
    out = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    out.update({str(k): str(v) for k, v in (headers or {}).items()})
    if reason:
        out[REASON_HEADER] = reason
    out["Content-Length"] = str(len(raw))
    start_response(f"{status} {phrase}", list(out.items()))
    return [raw]


def _template_regex(path: str) -> re.Pattern:
    parts = []
    for piece in path.strip("/").split("/") if path.strip("/") else []:
        if piece.startswith("{") and piece.endswith("+}"):
            parts.append(f"(?P<{piece[1:-2]}>.+)")
        elif piece.startswith("{") and piece.endswith("}"):
            parts.append(f"(?P<{piece[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("^/" + "/".join(parts) + "$")


def find_resource(api, path: str):
    """The resource whose path matches (an exact path wins over a {parameter}), and the path parameters."""
    best = None
    for resource in api.resources.values():
        template = resource.get_path()
        match = _template_regex(template).match(path)
        if match:
            rank = template.count("{")
            if best is None or rank < best[0]:
                best = (rank, resource, match.groupdict())
    return (best[1], best[2]) if best else (None, {})


def invoke_allowed(policy: str | None, source_arn: str) -> bool:
    """Does the function's resource policy let API Gateway invoke it from this API (lambda add_permission)?"""
    try:
        document = json.loads(policy or "{}")
        if isinstance(document.get("Policy"), str):   # moto's get_policy answers {"Policy": "<the document>"}
            document = json.loads(document["Policy"])
    except ValueError:
        return False
    for statement in document.get("Statement", []):
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else principal
        services = services if isinstance(services, list) else [services]
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if statement.get("Effect") != "Allow" or "apigateway.amazonaws.com" not in services:
            continue
        if not any(fnmatch.fnmatchcase("lambda:invokefunction", str(a).lower()) for a in actions):
            continue
        condition = statement.get("Condition") or {}
        wanted = [v for test in condition.values() for key, v in test.items() if key.lower() == "aws:sourcearn"]
        if all(fnmatch.fnmatchcase(source_arn, v) for v in wanted):
            return True
    return False


def proxy_event(environ, api, stage: str, resource, path: str, path_parameters: dict, body: bytes) -> dict:
    headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD", "GET")
    request_id = str(uuid.uuid4())
    return {
        "resource": resource.get_path(), "path": path, "httpMethod": method,
        "headers": headers or None, "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters or None, "stageVariables": None,
        "requestContext": {"accountId": api.account_id, "apiId": api.id, "stage": stage,
                           "resourceId": resource.id, "resourcePath": resource.get_path(), "httpMethod": method,
                           "path": f"/{stage}{path}", "requestId": request_id, "protocol": "HTTP/1.1",
                           "requestTimeEpoch": int(time.time() * 1000),
                           "identity": {"sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"),
                                        "userAgent": environ.get("HTTP_USER_AGENT", "")}},
        "body": body.decode("utf-8", "replace") if body else None,
        "isBase64Encoded": False,
    }


def handle(account_id: str, endpoint_url: str, environ, start_response, rest: str):
    """Answer one request to an invoke URL (``rest`` = "<region>/<api_id>/<stage>/<path>")."""
    from moto.apigateway.models import apigateway_backends
    from moto.awslambda.utils import get_backend as lambda_backend

    pieces = unquote(rest).split("/", 3)
    if len(pieces) < 3:
        return _answer(start_response, 404, {"message": "Not Found"}, reason="The address has no API id or stage.")
    region, api_id, stage = pieces[:3]
    path = "/" + (pieces[3] if len(pieces) > 3 else "")
    path = path.rstrip("/") or "/"
    method = environ.get("REQUEST_METHOD", "GET").upper()
    try:
        api = apigateway_backends[account_id][region].apis.get(api_id)
    except Exception:
        api = None
    if api is None:
        return _answer(start_response, 404, {"message": "Not Found"},
                       reason=f"No REST API with id {api_id} in {region}.")
    if stage not in api.stages:
        return _answer(start_response, 403, {"message": "Forbidden"},
                       reason=f"The API has no stage {stage}: deploy it (create_deployment) first.")
    resource, path_parameters = find_resource(api, path)
    methods = getattr(resource, "resource_methods", None) or {}
    api_method = methods.get(method) or methods.get("ANY")
    if resource is None or api_method is None:
        return _answer(start_response, 403, {"message": "Missing Authentication Token"},
                       reason=f"No method {method} on a resource matching {path}.")
    integration = api_method.method_integration
    if integration is None:
        return _answer(start_response, 500, {"message": "Internal server error"},
                       reason=f"The method {method} {resource.get_path()} has no integration.")
    if integration.integration_type != "AWS_PROXY":
        return _answer(start_response, 500, {"message": "Internal server error"},
                       reason=f"The integration's type is {integration.integration_type}; the practice cloud runs "
                              "Lambda proxy integrations (AWS_PROXY) only.")
    match = URI_PATTERN.match(integration.uri or "")
    if not match:
        return _answer(start_response, 500, {"message": "Internal server error"},
                       reason=f"The integration's uri {integration.uri} does not name a Lambda function.")
    function_arn = match.group(2)
    function_region = function_arn.split(":")[3] if function_arn.startswith("arn:") else region
    lam = lambda_backend(account_id, function_region)   # moto's simple backend when Docker is off
    try:
        function = lam.get_function(function_arn.split(":")[6] if function_arn.startswith("arn:") else function_arn)
    except Exception:
        return _answer(start_response, 500, {"message": "Internal server error"},
                       reason=f"The integration points at {function_arn}, which does not exist.")
    source_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}{resource.get_path()}"
    try:
        policy = lam.get_policy(function.function_name)
    except Exception:
        policy = None
    if not invoke_allowed(policy, source_arn):
        return _answer(start_response, 500, {"message": "Internal server error"},
                       reason=f"Execution failed due to configuration error: Invalid permissions on Lambda function "
                              f"{function.function_name} (lambda add_permission for apigateway.amazonaws.com).")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    event = proxy_event(environ, api, stage, resource, path, path_parameters, body)
    run = run_function(account_id, endpoint_url, function, [event])
    extra = {"X-Practice-Cloud-Function": function.function_name}
    results = run.get("results") or [run.get("init", {})]
    result = results[0]
    if result.get("timeout"):
        return _answer(start_response, 504, {"message": "Endpoint request timed out"}, extra,
                       reason=f"The function {function.function_name} timed out.")
    if not result.get("ok"):
        return _answer(start_response, 502, {"message": "Internal server error"}, extra,
                       reason=f"The function {function.function_name} failed: {result.get('error', '')}")
    answer = result.get("answer")
    if not (isinstance(answer, dict) and isinstance(answer.get("statusCode"), int)
            and isinstance(answer.get("body", ""), (str, type(None)))
            and isinstance(answer.get("headers") or {}, dict)):
        return _answer(start_response, 502, {"message": "Internal server error"}, extra,
                       reason="Malformed Lambda proxy response: the function must return a dictionary with an "
                              f"integer statusCode and a body that is text; it returned {json.dumps(answer)[:200]}")
    headers = dict(extra)
    headers.update(answer.get("headers") or {})
    return _answer(start_response, answer["statusCode"], answer.get("body") or "", headers)


def route(account_id: str, endpoint_url: str, environ, start_response, path: str):
    """Dispatch a lab route of this module (``path`` is what follows /graders-lab/)."""
    if path.startswith(ROUTE):
        return handle(account_id, endpoint_url, environ, start_response, path[len(ROUTE):])
    return handle_invoke(account_id, endpoint_url, environ, start_response, path[len(INVOKE_ROUTE):])


def handle_invoke(account_id: str, endpoint_url: str, environ, start_response, rest: str):
    from moto.awslambda.utils import get_backend as lambda_backend

    region, _, name = unquote(rest).partition("/")
    if environ.get("REQUEST_METHOD") != "POST" or not region or not name:
        return _answer(start_response, 404, {"error": "NotFound"})
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        events = json.loads(environ["wsgi.input"].read(length) or b"{}")["events"]
        assert isinstance(events, list) and all(isinstance(e, dict) for e in events)
    except (ValueError, KeyError, TypeError, AssertionError):
        return _answer(start_response, 400, {"error": "BadRequest"})
    try:
        function = lambda_backend(account_id, region).get_function(name)
    except Exception:
        return _answer(start_response, 404, {"error": "ResourceNotFoundException", "function": name})
    for event in events:
        event.setdefault("requestContext", {}).setdefault("requestId", str(uuid.uuid4()))
    return _answer(start_response, 200, run_function(account_id, endpoint_url, function, events))
