"""Notebook 9 (an API in front of a function, its logs, and who did what): the lab's helpers.

The practice cloud runs Lambda functions and answers API Gateway invoke URLs (graders/services/apigateway.py) and
records every call in CloudTrail (graders/services/trail.py). This module gives the notebook and the checks:

* :func:`prepare` what notebook 5 built (the table ``notes``) plus a role for the new function and a second,
  unrelated function ``hello`` (so that an integration can point at the wrong one, as at work);
* :func:`invoke_url` the practice cloud's address of a stage, :func:`call_api` a small HTTP client for it (what
  ``curl`` does at work), :func:`test_function` the console's *Test* button;
* :func:`plant_orders` the story of 9c: the shop's function ``price-calc`` (and its test copy) served a few orders,
  one of which failed; what it printed is in CloudWatch Logs;
* :func:`plant_trail` the story of 9d: two colleagues changed a security group with their own keys.

The values of the stories come from the account id, so each learner finds other ones.
"""
from __future__ import annotations

import hashlib
import io
import json
import time
import urllib.error
import urllib.request
import zipfile

from botocore.exceptions import ClientError

from graders.i18n import Domain

from .helper import HOME_REGION, PracticeAccount

M_ = Domain.beside(__file__)

TABLE, ROLE, FUNCTION, API, STAGE, RESOURCE = "notes", "notes-api-role", "notes-api", "notes-api", "prod", "notes"
DECOY_FUNCTION = "hello"
SHOP_FUNCTION, SHOP_TEST_FUNCTION = "price-calc", "price-calc-test"
TRAIL_GROUP = "office-web"
PEOPLE = ("mika", "taras")

PREPARED = M_("aws.api.prepared", "Ready: the table `notes`, the role `{role}` for your function, and another function, `hello`, that a colleague made earlier.")
ORDERS_DONE = M_("aws.api.orders_done", "Story: the shop's function `price-calc` has just handled this morning's orders. A customer writes: \"My order failed!\" She does not say which one.")
TRAIL_DONE = M_("aws.api.trail_done", "Story: this morning someone opened port 22 (SSH) of the security group `{group}` in Tokyo to the whole internet. Two colleagues, {first} and {second}, worked on that group with their own keys. Nobody remembers who did it.")
DEPLOYED = M_("aws.api.deployed", "Deployed {file} as the function `{name}` (handler {handler}).")
NO_FILE = M_("aws.api.no_file", "There is no file {file} next to this notebook yet: run the %%writefile cell above first.")
CALL_RESULT = M_("aws.api.call_result", "HTTP status {status}")

HELLO_CODE = '''def lambda_handler(event, context):
    print("hello was called")
    return {"statusCode": 200, "body": "Hello from the colleague's function"}
'''

SHOP_CODE = '''import json

PRICES = {"tea": 450, "coffee": 520, "cake": 380}


def lambda_handler(event, context):
    order = json.loads(event["body"])
    print("order", order["order_id"], "items", order["items"])
    if len(order["items"]) > 3:
        print("WARN order", order["order_id"], "is large, price lookup was slow")
    total = 0
    for item in order["items"]:
        if item not in PRICES:
            print("ERROR order", order["order_id"], "failed: no price for", item)
            return {"statusCode": 500, "body": json.dumps({"error": "could not price the order"})}
        total += PRICES[item]
    print("order", order["order_id"], "total", total)
    return {"statusCode": 200, "body": json.dumps({"order_id": order["order_id"], "total": total})}
'''


def _digest(account_id: str, salt: str) -> int:
    return int(hashlib.sha256(f"{salt}:{account_id}".encode()).hexdigest(), 16)


def shop_orders(account_id: str) -> dict:
    """The orders of 9c: which one failed in price-calc, which one failed in the test copy, which one was slow."""
    base = 1000 + _digest(account_id, "orders") % 8000
    ids = [f"ORD-{base + 7 * i}" for i in range(6)]
    turn = _digest(account_id, "order-turn") % 3
    failing, warned = ids[1 + turn], ids[4 - turn]
    return {"ids": ids, "failing": failing, "warned": warned, "test_failing": f"ORD-{base + 3}"}


def trail_people(account_id: str) -> tuple[str, str]:
    """(who opened port 22 to the world, the colleague who only made the group and opened 443 from the office)."""
    return PEOPLE if _digest(account_id, "trail") % 2 == 0 else PEOPLE[::-1]


# --- what the notebook uses ---------------------------------------------------------------------------------------------

def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _exists(call, *args, **kwargs) -> bool:
    try:
        call(*args, **kwargs)
        return True
    except ClientError:
        return False


def _function(aws: PracticeAccount, name: str, code: str, role_arn: str, module: str = "handler") -> None:
    lam = aws.client("lambda")
    if not _exists(lam.get_function_configuration, FunctionName=name):
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler=f"{module}.lambda_handler",
                            Code={"ZipFile": _zip({f"{module}.py": code})}, Timeout=10)


def prepare(aws: PracticeAccount) -> str:
    """The table notes, the role notes-api-role (PutItem/GetItem on notes, CloudWatch Logs) and the decoy function."""
    dynamodb, iam = aws.client("dynamodb"), aws.client("iam")
    if not _exists(dynamodb.describe_table, TableName=TABLE):
        dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "note_id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "note_id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST",   # tagged as notebook 5 asks (6d reads the tags)
                              Tags=[{"Key": "Project", "Value": "workshop"}, {"Key": "CostCenter", "Value": "training"}])
    table_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    if not _exists(iam.get_role, RoleName=ROLE):
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "lambda.amazonaws.com"}}]}
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        permissions = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": table_arn},
            {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "*"}]}
        iam.put_role_policy(RoleName=ROLE, PolicyName="notes-and-logs", PolicyDocument=json.dumps(permissions))
    role_arn = iam.get_role(RoleName=ROLE)["Role"]["Arn"]
    _function(aws, DECOY_FUNCTION, HELLO_CODE, role_arn)
    print(PREPARED.render(aws.lang, role=ROLE))
    return role_arn


def deploy(aws: PracticeAccount, name: str, file_name: str, role_arn: str, variables: dict | None = None) -> str:
    """Notebook 5's deploy cell in one call: zip the file and create the function, or, when it exists already,
    put the new code in it (update_function_code)."""
    from pathlib import Path
    path = Path(file_name)
    if not path.is_file():
        print(NO_FILE.render(aws.lang, file=file_name))
        return ""
    code = _zip({path.name: path.read_text(encoding="utf-8")})
    handler = f"{path.stem}.lambda_handler"
    lam = aws.client("lambda")
    if _exists(lam.get_function_configuration, FunctionName=name):
        lam.update_function_code(FunctionName=name, ZipFile=code)
    else:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler=handler,
                            Code={"ZipFile": code}, Environment={"Variables": variables or {}}, Timeout=10)
    print(DEPLOYED.render(aws.lang, file=file_name, name=name, handler=handler))
    return lam.get_function_configuration(FunctionName=name)["FunctionArn"]


def invoke_url(aws: PracticeAccount, api_id: str, stage: str = STAGE, path: str = "", region: str = HOME_REGION) -> str:
    """The invoke URL of a stage on the practice cloud (on AWS: https://<api_id>.execute-api.<region>.amazonaws.com/<stage>)."""
    from graders.services.apigateway import invoke_url as url
    return url(aws.endpoint_url, region, api_id, stage, path)


class Answer(dict):
    """What an HTTP call answered: ``status``, ``body`` (JSON read into Python when it is JSON), ``headers``."""

    def __repr__(self) -> str:
        body = self["body"]
        shown = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
        return f"{CALL_RESULT.render('en', status=self['status'])}: {shown}"


def call_api(url: str, body=None, method: str = "POST", timeout: float = 30) -> Answer:
    """Send one HTTP request, as a browser, an app or ``curl`` would, and return what came back."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            status, raw, headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), dict(error.headers)
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return Answer(status=status, body=parsed, headers=headers)


def test_function(aws: PracticeAccount, name: str, events: list[dict], region: str = HOME_REGION) -> dict:
    """Run a function on these events now (the console's Test button); its output goes to CloudWatch Logs too."""
    request = urllib.request.Request(f"{aws.endpoint_url}/graders-lab/lambda-invoke/{region}/{name}",
                                     data=json.dumps({"events": events}).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise LookupError(name) from None
        raise


def proxy_event(body: dict, path: str = "/notes", method: str = "POST") -> dict:
    """A small API Gateway proxy event (format 1.0) with this JSON body, as API Gateway would send it."""
    return {"resource": path, "path": path, "httpMethod": method, "headers": {"Content-Type": "application/json"},
            "queryStringParameters": None, "pathParameters": None, "requestContext": {"stage": STAGE},
            "body": json.dumps(body, ensure_ascii=False), "isBase64Encoded": False}


def plant_orders(aws: PracticeAccount) -> None:
    """9c: price-calc (and its test copy) handle the day's orders; one fails, one is slow; all of it is logged."""
    role_arn = aws.client("iam").get_role(RoleName=ROLE)["Role"]["Arn"]
    _function(aws, SHOP_FUNCTION, SHOP_CODE, role_arn, module="shop")
    _function(aws, SHOP_TEST_FUNCTION, SHOP_CODE, role_arn, module="shop")
    story = shop_orders(aws.account_id)
    orders = []
    for order_id in story["ids"]:
        items = ["tea", "cake"]
        if order_id == story["failing"]:
            items = ["coffee", "matcha latte"]
        elif order_id == story["warned"]:
            items = ["tea", "tea", "coffee", "cake", "cake"]
        orders.append(proxy_event({"order_id": order_id, "items": items}, "/orders"))
    test_orders = [proxy_event({"order_id": story["test_failing"], "items": ["tea", "scone"]}, "/orders")]
    test_function(aws, SHOP_TEST_FUNCTION, test_orders)
    time.sleep(0.01)
    test_function(aws, SHOP_FUNCTION, orders)
    print(ORDERS_DONE.render(aws.lang))


def plant_trail(aws: PracticeAccount) -> None:
    """9d: two colleagues with their own keys; one makes the group and opens 443 from the office, the other opens
    22 to the world. CloudTrail (graders/services/trail.py) records who did what."""
    iam, ec2 = aws.client("iam"), aws.client("ec2")
    opener, other = trail_people(aws.account_id)
    keys = {}
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
        "ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:DescribeSecurityGroups"],
        "Resource": "*"}]}
    for name in PEOPLE:
        if not _exists(iam.get_user, UserName=name):
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="security-groups", PolicyDocument=json.dumps(policy))
        keys[name] = iam.create_access_key(UserName=name)["AccessKey"]

    def as_user(name):
        key = keys[name]
        return aws.client("ec2", credentials={"aws_access_key_id": key["AccessKeyId"],
                                              "aws_secret_access_key": key["SecretAccessKey"]})

    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [TRAIL_GROUP]}])["SecurityGroups"]
    if groups:
        group_id = groups[0]["GroupId"]
    else:
        group_id = as_user(other).create_security_group(GroupName=TRAIL_GROUP,
                                                        Description="Office web server")["GroupId"]
        as_user(other).authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
        as_user(opener).authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    for name, key in keys.items():   # the keys were only for the story
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    print(TRAIL_DONE.render(aws.lang, group=TRAIL_GROUP, first=PEOPLE[0], second=PEOPLE[1]))
