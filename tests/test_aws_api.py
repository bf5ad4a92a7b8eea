"""The practice cloud's API Gateway, Lambda runs, CloudWatch Logs and CloudTrail (graders/services/apigateway.py,
graders/services/trail.py): what notebook 9-api relies on, against one real moto server on 127.0.0.1."""
import io
import json
import time
import zipfile

import pytest

from graders.services.registry import ServiceHandle
from graders.services.moto import MotoService

# the tests share one deployed API and build on each other (the logs test reads what the first test's calls printed):
# one worker runs them all, in file order
pytestmark = pytest.mark.xdist_group("aws-api")

REGION = "ap-northeast-1"

HANDLER = '''import json, os, socket
import boto3

print("cold start")
table = boto3.client("dynamodb")


def lambda_handler(event, context):
    print("path", event["path"], "params", json.dumps(event["pathParameters"]), "query",
          json.dumps(event["queryStringParameters"]))
    if event["path"].endswith("/outside"):
        socket.create_connection(("192.0.2.10", 80), timeout=2)
    note = json.loads(event["body"] or "{}")
    table.put_item(TableName=os.environ["TABLE_NAME"], Item={"note_id": {"S": note["note_id"]}})
    return {"statusCode": 201, "headers": {"X-Shop": "yes"}, "body": json.dumps({"note_id": note["note_id"]})}
'''


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    from labs.aws.helper import PracticeAccount
    with MotoService() as service:
        handle = ServiceHandle("moto", service.url, service.info())
        yield service, PracticeAccount.from_handle(handle, tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def deployed(cloud):
    """A table, a role Lambda may take, the function, and a REST API with POST /notes/{id} (not yet allowed to
    invoke the function)."""
    _, aws = cloud
    ddb, iam, lam, gw = (aws.client(s) for s in ("dynamodb", "iam", "lambda", "apigateway"))
    ddb.create_table(TableName="notes", KeySchema=[{"AttributeName": "note_id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "note_id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="fn", PolicyName="put", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}]}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    arn = lam.create_function(FunctionName="notes-fn", Runtime="python3.12", Role=role, Handler="app.lambda_handler",
                              Code={"ZipFile": buffer.getvalue()}, Environment={"Variables": {"TABLE_NAME": "notes"}},
                              Timeout=5)["FunctionArn"]
    api_id = gw.create_rest_api(name="notes")["id"]
    root = gw.get_resources(restApiId=api_id)["items"][0]["id"]
    notes = gw.create_resource(restApiId=api_id, parentId=root, pathPart="notes")["id"]
    one = gw.create_resource(restApiId=api_id, parentId=notes, pathPart="{id}")["id"]
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
    for resource in (notes, one):
        gw.put_method(restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
        gw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="POST", type="AWS_PROXY",
                           integrationHttpMethod="POST", uri=uri)
    return api_id


def _call(aws, api_id, path, body=None, stage="prod"):
    from labs.aws import api
    return api.call_api(api.invoke_url(aws, api_id, stage, path), body)


def _reason(answer) -> str:
    return next((v for k, v in answer["headers"].items() if k.lower() == "x-practice-cloud-reason"), "")


def test_the_invoke_url_answers_as_api_gateway_does_and_runs_the_function(cloud, deployed):
    _, aws = cloud
    api_id = deployed
    missing_stage = _call(aws, api_id, "notes", {"note_id": "n1"})
    assert missing_stage["status"] == 403 and "stage prod" in _reason(missing_stage)
    aws.client("apigateway").create_deployment(restApiId=api_id, stageName="prod")
    not_allowed = _call(aws, api_id, "notes", {"note_id": "n1"})
    assert not_allowed["status"] == 500 and "Invalid permissions on Lambda function" in _reason(not_allowed)
    aws.client("lambda").add_permission(
        FunctionName="notes-fn", StatementId="gw", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{aws.account_id}:{api_id}/*")
    assert _call(aws, api_id, "nowhere", {"note_id": "n1"})["body"] == {"message": "Missing Authentication Token"}
    saved = _call(aws, api_id, "notes/n7?sort=new", {"note_id": "n7"})
    assert saved["status"] == 201 and saved["body"] == {"note_id": "n7"}, saved
    assert saved["headers"].get("X-Shop") == "yes"
    item = aws.client("dynamodb").get_item(TableName="notes", Key={"note_id": {"S": "n7"}})
    assert item.get("Item") == {"note_id": {"S": "n7"}}   # written with the role's own credentials
    failed = _call(aws, api_id, "notes", {"text": "no id"})
    assert failed["status"] == 502 and "KeyError: 'note_id'" in _reason(failed)


def test_the_function_reaches_nothing_but_this_computer(cloud, deployed):
    _, aws = cloud
    outside = _call(aws, deployed, "notes/outside", {"note_id": "n8"})
    assert outside["status"] == 502 and "OutsideConnectionBlocked" in _reason(outside), outside


def test_what_the_function_prints_lands_in_cloudwatch_logs(cloud, deployed):
    _, aws = cloud
    logs = aws.client("logs")
    lines = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/notes-fn")["events"]]
    text = "\n".join(lines)
    assert "cold start" in text and "START RequestId:" in text and "REPORT RequestId:" in text
    assert 'path /notes/n7 params {"id": "n7"} query {"sort": "new"}' in text
    errors = logs.filter_log_events(logGroupName="/aws/lambda/notes-fn", filterPattern="ERROR")["events"]
    assert errors and all(e["message"].startswith("[ERROR]") for e in errors)
    assert "KeyError: 'note_id'" in errors[0]["message"] and "app.py" in errors[0]["message"]
    assert len(logs.describe_log_streams(logGroupName="/aws/lambda/notes-fn")["logStreams"]) >= 3


def test_cloudtrail_records_who_did_what_and_lookup_events_finds_it(cloud):
    from botocore.exceptions import ClientError
    _, aws = cloud
    iam, ec2, trail = aws.client("iam"), aws.client("ec2"), aws.client("cloudtrail")
    iam.create_user(UserName="kira")
    iam.put_user_policy(UserName="kira", PolicyName="sg", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="kira")["AccessKey"]
    kira = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    group = ec2.create_security_group(GroupName="g", Description="g")["GroupId"]
    aws.client("ec2", credentials=kira).authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    with pytest.raises(ClientError):
        aws.client("s3", credentials=kira).list_buckets()
    aws.client("dynamodb").list_tables()
    opened = trail.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "AuthorizeSecurityGroupIngress"}])["Events"]
    assert [e["Username"] for e in opened] == ["kira"]
    record = json.loads(opened[0]["CloudTrailEvent"])
    assert record["eventSource"] == "ec2.amazonaws.com" and record["awsRegion"] == REGION
    assert record["userIdentity"]["type"] == "IAMUser" and record["userIdentity"]["accessKeyId"] == key["AccessKeyId"]
    assert record["requestParameters"]["groupId"] == group and "0.0.0.0/0" in opened[0]["CloudTrailEvent"]
    assert record["sourceIPAddress"] == "127.0.0.1" and record["eventTime"].endswith("Z")
    assert {"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": group} in opened[0]["Resources"]
    by_kira = trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "kira"}])["Events"]
    assert [e["EventName"] for e in by_kira] == ["ListBuckets", "AuthorizeSecurityGroupIngress"]   # newest first
    assert json.loads(by_kira[0]["CloudTrailEvent"])["errorCode"] == "AccessDenied"
    by_resource = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": group}])
    assert [e["EventName"] for e in by_resource["Events"]] == ["AuthorizeSecurityGroupIngress"]
    created = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceType",
                                                     "AttributeValue": "AWS::EC2::SecurityGroup"}])["Events"]
    assert {e["EventName"] for e in created} == {"CreateSecurityGroup", "AuthorizeSecurityGroupIngress"}
    # IAM is global: its calls are in us-east-1's history, not Tokyo's
    tokyo_names = {e["EventName"] for e in trail.lookup_events(MaxResults=50)["Events"]}
    assert "CreateUser" not in tokyo_names and "ListTables" in tokyo_names
    virginia = aws.client("cloudtrail", "us-east-1").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}])["Events"]
    assert [e["Username"] for e in virginia] == ["lab-admin"]
    page = trail.lookup_events(MaxResults=1)
    assert len(page["Events"]) == 1 and page["NextToken"]
    assert trail.lookup_events(MaxResults=1, NextToken=page["NextToken"])["Events"][0]["EventId"] != \
        page["Events"][0]["EventId"]
    with pytest.raises(ClientError) as two:
        trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "kira"},
                                              {"AttributeKey": "EventName", "AttributeValue": "ListBuckets"}])
    assert two.value.response["Error"]["Code"] == "InvalidLookupAttributesException"


def test_data_events_are_not_in_the_event_history(cloud):
    _, aws = cloud
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="trail-data", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="trail-data", Key="a.txt", Body=b"x")
    s3.delete_object(Bucket="trail-data", Key="a.txt")
    time.sleep(0.01)
    names = [e["EventName"] for e in aws.client("cloudtrail").lookup_events(LookupAttributes=[
        {"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}])["Events"]]
    assert "CreateBucket" in names and "PutObject" not in names and "DeleteObject" not in names
