"""AWS notebook 9: an API in front of a Lambda function, its logs, and who did what (CloudTrail).

The practice cloud runs the function and answers the API's invoke URL (graders/services/apigateway.py), so these
checks do what a tester would do at work: run the function with a proxy event (9a), call the API's URL and look for
the note in DynamoDB (9b, when graded also with a request body the learner never sent), and compare what the
learner found in the logs (9c) and in CloudTrail (9d) with the story the notebook planted for this account.
Imported at the end of checks.py (one lab, one ``questions`` registry).
"""
from __future__ import annotations

import json
import re
import uuid

from botocore.exceptions import ClientError

from graders.checks import Check
from graders.i18n import Domain

from . import api
from .checks import HINTS as _LAB_HINTS
from .checks import account, questions
from .helper import HOME_REGION

M_ = Domain.beside(__file__)

VISIBLE_NOTE = {"note_id": "first-note", "text": "Hello, API"}

# --- 9a: the handler for a proxy event ----------------------------------------------------------------------------------
Q9A_OK = M_("aws.9a.ok", "Run with a proxy event, `notes-api` read the body, saved the note \"{note_id}\" and answered 201 with JSON: {body}")
Q9A_MISSING = M_("aws.9a.missing", "There is no Lambda function `notes-api` in Tokyo yet. Run the deploy cell after your %%writefile cell.")
Q9A_INIT = M_("aws.9a.init", "Lambda could not load your handler: {error}. Check the file name and the Handler setting (\"notes_api.lambda_handler\"), then run both cells again.")
Q9A_EVENT_KEYS = M_("aws.9a.event_keys", "Your handler stopped with {error}. Behind an API the event is not the note itself: the note is in event[\"body\"], as text. Read it with json.loads(event[\"body\"]) first.")
Q9A_RAISED = M_("aws.9a.raised", "Your handler stopped with an error: {error}. Read it in CloudWatch Logs, fix the file, then run both cells again.")
Q9A_STATUS = M_("aws.9a.status", "Your handler answered statusCode {status}. A new note was created, so answer 201 (Created).")
Q9A_NOT_PROXY = M_("aws.9a.not_proxy", "Your handler answered {answer}. Behind an API, Lambda must answer a dictionary with \"statusCode\" (a number) and \"body\" (text).")
Q9A_BODY_NOT_TEXT = M_("aws.9a.body_not_text", "The \"body\" of your answer is a {kind}, but API Gateway sends only text to the browser. Turn it into JSON text with json.dumps(...).")
Q9A_BODY_JSON = M_("aws.9a.body_json", "The \"body\" of your answer is {body}. It should be JSON text with the saved note_id, for example json.dumps({{\"note_id\": ...}}).")
Q9A_NOT_SAVED = M_("aws.9a.not_saved", "Your handler answered, but the note \"{note_id}\" is not in the table notes (found: {found}). Save the note_id and text from the body with put_item.")

# --- 9b: the API --------------------------------------------------------------------------------------------------------
Q9B_OK_SETUP = M_("aws.9b.ok_setup", "REST API notes-api: POST /notes goes to the function notes-api (Lambda proxy integration), API Gateway may invoke it, and the stage prod is deployed.")
Q9B_OK_CALL = M_("aws.9b.ok_call", "POST {url} answered {status} with {body}, and the note \"{note_id}\" is in the table notes.")
Q9B_MISSING = M_("aws.9b.missing", "There is no REST API named `notes-api` in Tokyo. Create it with apigateway.create_rest_api(name=\"notes-api\").")
Q9B_NO_RESOURCE = M_("aws.9b.no_resource", "The API has no resource /notes (it has: {paths}). Create it under the root resource with create_resource(..., pathPart=\"notes\").")
Q9B_NO_METHOD = M_("aws.9b.no_method", "The resource /notes has no POST method (it has: {methods}). Sending a note is a POST: put_method(..., httpMethod=\"POST\", authorizationType=\"NONE\").")
Q9B_NO_INTEGRATION = M_("aws.9b.no_integration", "POST /notes has no integration yet, so API Gateway does not know where to send the request. Add one with put_integration.")
Q9B_NOT_PROXY = M_("aws.9b.not_proxy", "The integration of POST /notes has type {type}. To hand the whole request to a function and its answer back, use type=\"AWS_PROXY\" (Lambda proxy integration) with integrationHttpMethod=\"POST\".")
Q9B_WRONG_FUNCTION = M_("aws.9b.wrong_function", "The integration of POST /notes points at the function `{function}`, not at notes-api. Put the ARN of notes-api in the uri.")
Q9B_NO_PERMISSION = M_("aws.9b.no_permission", "API Gateway is not allowed to invoke notes-api, so every call answers 500 \"Internal server error\". Give it permission with lambda_client.add_permission(..., Principal=\"apigateway.amazonaws.com\", Action=\"lambda:InvokeFunction\").")
Q9B_NO_STAGE = M_("aws.9b.no_stage", "The API has no stage `prod` (it has: {stages}). Nothing is reachable until you deploy: create_deployment(restApiId=..., stageName=\"prod\").")
Q9B_CALL_FAILED = M_("aws.9b.call_failed", "POST {url} with {sent} answered {status} {body}. The practice cloud says: {reason}")
Q9B_CALL_STATUS = M_("aws.9b.call_status", "POST {url} answered {status} with {body}; a new note should answer 201.")
Q9B_BODY = M_("aws.9b.body", "POST {url} with {sent} answered {status}, but its body is not JSON with the note_id: {body}. Build the body with json.dumps(...), never by gluing text together.")
Q9B_NOT_SAVED = M_("aws.9b.not_saved", "POST {url} answered {status}, but the note \"{note_id}\" is not in the table notes. The API must save the note it was sent, whatever its note_id.")

# --- 9c: the logs -------------------------------------------------------------------------------------------------------
Q9C_OK = M_("aws.9c.ok", "Right: order {order} failed in price-calc. You found it in the function's log group, /aws/lambda/price-calc.")
Q9C_EMPTY = M_("aws.9c.empty", "`failing_order` is still empty. Search the log group of price-calc for the word ERROR, then copy the order number (it starts with ORD-).")
Q9C_TEST_COPY = M_("aws.9c.test_copy", "Order {value} failed in the test copy, price-calc-test: you searched the wrong log group. The customer used the shop's function, price-calc: its log group is /aws/lambda/price-calc.")
Q9C_WARNED = M_("aws.9c.warned", "Order {value} was only slow (a WARN line): it was priced and served. Look for the line with ERROR.")
Q9C_SERVED = M_("aws.9c.served", "Order {value} was served without an error. Search for the ERROR line with filter_log_events and filterPattern=\"ERROR\".")
Q9C_UNKNOWN = M_("aws.9c.unknown", "`failing_order` is \"{value}\", but no order with that number was handled today. Copy the order number exactly as the log line shows it (ORD- and four digits).")

# --- 9d: who did this? --------------------------------------------------------------------------------------------------
Q9D_OK = M_("aws.9d.ok", "Right: {user} opened port 22 to the whole internet ({event} in the CloudTrail event history of Tokyo).")
Q9D_EMPTY = M_("aws.9d.empty", "`who_opened_port` is still empty. Look up the events named AuthorizeSecurityGroupIngress in Tokyo and read who made each one.")
Q9D_OTHER = M_("aws.9d.other", "{value} did change the group, but opened port 443, and only to the office network 203.0.113.0/24. Look at the ports in each event's requestParameters: you are looking for port 22 and 0.0.0.0/0.")
Q9D_ADMIN = M_("aws.9d.admin", "lab-admin is the lab's own administrator: it set up the story and created the users, but did not open the port. Look only at the events named AuthorizeSecurityGroupIngress.")
Q9D_ARN = M_("aws.9d.arn", "`who_opened_port` is an ARN. Write only the user name, as the event's Username shows it.")
Q9D_NOT_STORY = M_("aws.9d.not_story", "{value} is a user of this account, but not one of the two colleagues in this story ({first} and {second}). Earlier notebooks opened ports too: look for the event that opened port 22 to 0.0.0.0/0, and read its Username.")
Q9D_UNKNOWN = M_("aws.9d.unknown", "`who_opened_port` is \"{value}\", but no user of this account has that name. Copy the Username of the event that opened port 22.")


def _short(value, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _saved_text(aws, note_id: str):
    item = aws.client("dynamodb").get_item(TableName=api.TABLE, Key={"note_id": {"S": note_id}}).get("Item")
    return item, (item or {}).get("text", {}).get("S")


def _probe_9a(check: Check, aws, note: dict) -> None:
    try:
        run = api.test_function(aws, api.FUNCTION, [api.proxy_event(note)])
    except LookupError:
        check.stop(Q9A_MISSING)
    if not run["init"].get("ok"):
        check.stop(Q9A_INIT, error=run["init"].get("error", ""))
    result = run["results"][0]
    if not result.get("ok"):
        error = result.get("error", "")
        if re.match(r"(KeyError: '(note_id|text)'|TypeError: .*(subscript|indices))", error):
            check.stop(Q9A_EVENT_KEYS, error=error)
        check.stop(Q9A_RAISED, error=error)
    answer = result.get("answer")
    if not (isinstance(answer, dict) and isinstance(answer.get("statusCode"), int) and "body" in answer):
        check.stop(Q9A_NOT_PROXY, answer=_short(answer))
    body = answer["body"]
    if not isinstance(body, str):
        check.stop(Q9A_BODY_NOT_TEXT, kind=type(body).__name__)
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not (isinstance(parsed, dict) and parsed.get("note_id") == note["note_id"]):
        check.stop(Q9A_BODY_JSON, body=_short(body))
    item, text = _saved_text(aws, note["note_id"])
    if text != note["text"]:
        check.stop(Q9A_NOT_SAVED, note_id=note["note_id"], found=_short(item) if item else "—")
    if answer["statusCode"] != 201:
        check.stop(Q9A_STATUS, status=answer["statusCode"])
    check.ok(Q9A_OK, note_id=note["note_id"], body=_short(body))


@questions("9a", evidence="outside")
def q9a(check: Check) -> None:
    aws = account(check)
    _probe_9a(check, aws, dict(VISIBLE_NOTE, note_id=f"check-{uuid.uuid4().hex[:8]}"))
    if check.hidden:
        with check.hidden_part():
            for note in check.hidden.get("notes", []):
                _probe_9a(check, aws, dict(note, note_id=f"{note['note_id']}-{uuid.uuid4().hex[:6]}"))


def _function_of(uri: str) -> str:
    match = re.search(r"function:([^:/]+)", uri or "")
    return match.group(1) if match else (uri or "—")


def _call_9b(check: Check, aws, url: str, note: dict) -> None:
    answer = api.call_api(url, note)
    status, body = answer["status"], answer["body"]
    if status >= 400:
        reason = next((v for k, v in answer["headers"].items() if k.lower() == "x-practice-cloud-reason"), "—")
        check.stop(Q9B_CALL_FAILED, url=url, sent=_short(note), status=status, body=_short(body), reason=reason)
    if status != 201:
        check.stop(Q9B_CALL_STATUS, url=url, status=status, body=_short(body))
    if not (isinstance(body, dict) and body.get("note_id") == note["note_id"]):
        check.stop(Q9B_BODY, url=url, sent=_short(note), status=status, body=_short(body))
    _, text = _saved_text(aws, note["note_id"])
    if text != note["text"]:
        check.stop(Q9B_NOT_SAVED, url=url, status=status, note_id=note["note_id"])
    check.ok(Q9B_OK_CALL, url=url, status=status, body=_short(body), note_id=note["note_id"])


@questions("9b", evidence="outside")
def q9b(check: Check) -> None:
    aws = account(check)
    gateway = aws.client("apigateway")
    apis = [a for a in gateway.get_rest_apis().get("items", []) if a.get("name") == api.API]
    if not apis:
        check.stop(Q9B_MISSING)
    api_id = apis[-1]["id"]
    resources = gateway.get_resources(restApiId=api_id).get("items", [])
    notes = next((r for r in resources if r.get("path") == "/" + api.RESOURCE), None)
    if notes is None:
        check.stop(Q9B_NO_RESOURCE, paths=", ".join(sorted(r.get("path", "?") for r in resources)) or "—")
    methods = sorted((notes.get("resourceMethods") or {}).keys())
    if "POST" not in methods and "ANY" not in methods:
        check.stop(Q9B_NO_METHOD, methods=", ".join(methods) or "—")
    method = "POST" if "POST" in methods else "ANY"
    try:
        integration = gateway.get_integration(restApiId=api_id, resourceId=notes["id"], httpMethod=method)
    except ClientError:
        check.stop(Q9B_NO_INTEGRATION)
    if integration.get("type") != "AWS_PROXY":
        check.stop(Q9B_NOT_PROXY, type=integration.get("type", "—"))
    target = _function_of(integration.get("uri", ""))
    if target != api.FUNCTION:
        check.stop(Q9B_WRONG_FUNCTION, function=target)
    try:
        policy = aws.client("lambda").get_policy(FunctionName=api.FUNCTION)["Policy"]
    except ClientError:
        policy = None
    from graders.services.apigateway import invoke_allowed
    source = f"arn:aws:execute-api:{HOME_REGION}:{aws.account_id}:{api_id}/{api.STAGE}/POST/{api.RESOURCE}"
    if not invoke_allowed(policy, source):
        check.stop(Q9B_NO_PERMISSION)
    stages = [s["stageName"] for s in gateway.get_stages(restApiId=api_id).get("item", [])]
    if api.STAGE not in stages:
        check.stop(Q9B_NO_STAGE, stages=", ".join(stages) or "—")
    check.ok(Q9B_OK_SETUP)
    url = api.invoke_url(aws, api_id, path=api.RESOURCE)
    _call_9b(check, aws, url, dict(VISIBLE_NOTE, note_id=f"check-{uuid.uuid4().hex[:8]}"))
    if check.hidden:   # grading: request bodies the learner never sent
        with check.hidden_part():
            for note in check.hidden.get("notes", []):
                _call_9b(check, aws, url, dict(note, note_id=f"{note['note_id']}-{uuid.uuid4().hex[:6]}"))


@questions("9c")   # the learner's answer is a variable in the kernel
def q9c(check: Check) -> None:
    aws = account(check)
    story = api.shop_orders(aws.account_id)
    value = check.value("failing_order", str).strip().strip("\"'")
    if not value:
        check.stop(Q9C_EMPTY)
    if value.upper() == story["failing"]:
        check.ok(Q9C_OK, order=story["failing"])
    elif value.upper() == story["test_failing"]:
        check.fail(Q9C_TEST_COPY, value=value)
    elif value.upper() == story["warned"]:
        check.fail(Q9C_WARNED, value=value)
    elif value.upper() in story["ids"]:
        check.fail(Q9C_SERVED, value=value)
    else:
        check.fail(Q9C_UNKNOWN, value=value)


@questions("9d")   # the learner's answer is a variable in the kernel
def q9d(check: Check) -> None:
    aws = account(check)
    opener, other = api.trail_people(aws.account_id)
    value = check.value("who_opened_port", str).strip()
    if not value:
        check.stop(Q9D_EMPTY)
    if value.startswith("arn:"):
        check.stop(Q9D_ARN)
    if value == opener:
        check.ok(Q9D_OK, user=opener, event="AuthorizeSecurityGroupIngress")
    elif value == other:
        check.fail(Q9D_OTHER, value=value)
    elif value == "lab-admin":
        check.fail(Q9D_ADMIN)
    elif _is_user(aws, value):
        check.fail(Q9D_NOT_STORY, value=value, first=api.PEOPLE[0], second=api.PEOPLE[1])
    else:
        check.fail(Q9D_UNKNOWN, value=value)


def _is_user(aws, name: str) -> bool:
    try:
        aws.client("iam").get_user(UserName=name)
    except Exception:
        return False
    return True


HINTS = {
    "9a": [M_("aws.9a.hint1", "Three steps in the handler: read the note out of the event's body, save it as in notebook 5, answer with a status code and a body that is text."),
           M_("aws.9a.hint2", "event[\"body\"] is text such as '{\"note_id\": \"a\", \"text\": \"b\"}'. json.loads turns JSON text into a dictionary; json.dumps turns a dictionary into JSON text."),
           M_("aws.9a.hint3", "The same shape with other data: order = json.loads(event[\"body\"]); then return {\"statusCode\": 200, \"body\": json.dumps({\"order_id\": order[\"order_id\"]})}."),
           M_("aws.9a.hint4", "note = json.loads(event[\"body\"]); dynamodb.put_item(TableName=table_name, Item={\"note_id\": {\"S\": note[\"note_id\"]}, \"text\": {\"S\": note[\"text\"]}}); return {\"statusCode\": 201, \"headers\": {\"Content-Type\": \"application/json\"}, \"body\": json.dumps({\"note_id\": note[\"note_id\"]})}")],
    "9b": [M_("aws.9b.hint1", "Five calls, in the order of the list: the API, the resource, the method, the integration, then the permission and the deployment."),
           M_("aws.9b.hint2", "Keep what each call answers: create_rest_api gives the API's \"id\", get_resources the root resource (path \"/\") and its \"id\", create_resource the new resource's \"id\". The integration's uri is the pattern shown above, with the function's ARN in the middle (function_arn from the deploy cell)."),
           M_("aws.9b.hint3", "The same chain for another path, /orders with GET: orders = apigateway.create_resource(restApiId=api_id, parentId=root_id, pathPart=\"orders\"), then apigateway.put_method(restApiId=api_id, resourceId=orders[\"id\"], httpMethod=\"GET\", authorizationType=\"NONE\")."),
           M_("aws.9b.hint4", "api_id = apigateway.create_rest_api(name=\"notes-api\")[\"id\"]; root_id = apigateway.get_resources(restApiId=api_id)[\"items\"][0][\"id\"]; notes = apigateway.create_resource(restApiId=api_id, parentId=root_id, pathPart=\"notes\"); apigateway.put_method(restApiId=api_id, resourceId=notes[\"id\"], httpMethod=\"POST\", authorizationType=\"NONE\"); apigateway.put_integration(restApiId=api_id, resourceId=notes[\"id\"], httpMethod=\"POST\", type=\"AWS_PROXY\", integrationHttpMethod=\"POST\", uri=uri); lambda_client.add_permission(FunctionName=\"notes-api\", StatementId=\"api-gateway\", Action=\"lambda:InvokeFunction\", Principal=\"apigateway.amazonaws.com\"); apigateway.create_deployment(restApiId=api_id, stageName=\"prod\")")],
    "9c": [M_("aws.9c.hint1", "Which function did the customer use? Its log group is /aws/lambda/ followed by the function's name."),
           M_("aws.9c.hint2", "logs.filter_log_events(logGroupName=..., filterPattern=\"ERROR\") answers a dictionary; the lines are in its \"events\" list, each line's text under \"message\"."),
           M_("aws.9c.hint3", "found = logs.filter_log_events(logGroupName=\"/aws/lambda/price-calc\", filterPattern=\"ERROR\"), then for event in found[\"events\"]: print(event[\"message\"]), and copy the order number into failing_order.")],
    "9d": [M_("aws.9d.hint1", "Opening a port is the API call AuthorizeSecurityGroupIngress, and it happened in Tokyo: ask Tokyo's event history for events with that name."),
           M_("aws.9d.hint2", "lookup_events takes LookupAttributes: a list with one small dictionary, its AttributeKey (here EventName) and its AttributeValue (the call's name). The answer is a list under \"Events\". Each event has a \"Username\", and the whole record as JSON text under \"CloudTrailEvent\"; json.loads it and look at \"requestParameters\"."),
           M_("aws.9d.hint3", "for event in found[\"Events\"]: record = json.loads(event[\"CloudTrailEvent\"]); print(event[\"Username\"], record[\"requestParameters\"]). The event whose requestParameters show port 22 and 0.0.0.0/0 names the person.")],
}

_LAB_HINTS.update(HINTS)   # one HINTS table for the lab (checks.py)
