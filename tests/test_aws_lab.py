"""The AWS lab beyond the generic harness (tests/test_labs.py runs its reference and variants):

* SAFETY: with real-looking AWS credentials, AWS_PROFILE, a ~/.aws folder and proxy variables in the environment,
  every reference notebook runs to full marks while an audit hook in the kernel refuses (and records) any connection
  or name lookup outside 127.0.0.1, before a packet could leave. Nothing is recorded, and the fake secret appears
  nowhere. The kernels run as nbgrader runs them, so each starts its own practice cloud inside the guarded process.
* the practice cloud (graders/services/moto.py): loopback only, quiet, one account per instance, IAM enforced, one
  clear error for an operation moto lacks, the host's AWS_PROFILE harmless;
* the lab helper and guard (labs/aws/helper.py, guard.py), and the policy reader;
* outside evidence: the verdicts a grader recomputes in its own process equal the ones the learner saw.
"""
from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import nbformat
import pytest

import graders.lab  # noqa: F401  (registers the core messages)
from graders.labdef import load_lab
from graders.services.registry import ServiceHandle
from graders.testing import execute, lab_services, learner_notebook, prepare_dir, results

REPO = Path(__file__).resolve().parents[1]
LAB = "aws"


def _lab():
    lab = load_lab(LAB)
    lab.checks  # registers the lab's messages
    return lab


# --- SAFETY ----------------------------------------------------------------------------------------------------------

GUARD = textwrap.dedent('''
    # Installed by tests/test_aws_lab.py: refuses and records any connection or name lookup off this machine.
    import ipaddress, json, os, socket, sys

    _LOG = os.environ["AWS_SAFETY_LOG"]

    def _loopback(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).strip("[]").lower()
        if host in ("localhost", "") or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def _hook(event, args):
        if event == "socket.connect":
            if getattr(args[0], "family", None) not in (socket.AF_INET, socket.AF_INET6):
                return
            host = args[1][0] if isinstance(args[1], tuple) else args[1]
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
            host = args[0] if args else None
        else:
            return
        if _loopback(host):
            return
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": event, "host": str(host), "pid": os.getpid(), "argv": sys.argv[:3]}) + "\\n")
        raise ConnectionRefusedError("test guard refused " + str(host))

    sys.addaudithook(_hook)
''')


def _real_looking_key() -> tuple[str, str]:
    upper = string.ascii_uppercase + "234567"
    key_id = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return key_id, secret


@pytest.fixture(scope="module")
def hostile_env(tmp_path_factory):
    """An environment like a developer's laptop with a real AWS account, plus the test's connection guard."""
    root = tmp_path_factory.mktemp("hostile")
    site = root / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    key_id, secret = _real_looking_key()
    (home / ".aws" / "credentials").write_text(
        f"[production]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n", encoding="utf-8")
    (home / ".aws" / "config").write_text("[profile production]\nregion = eu-west-1\noutput = json\n",
                                          encoding="utf-8")
    log = root / "refused.jsonl"
    log.touch()
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p]),
        "AWS_SAFETY_LOG": str(log),
        "HOME": str(home),
        "AWS_PROFILE": "production",
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "eu-west-1",
        # a corporate proxy on a documentation address: using it would be a connection off this machine
        "HTTPS_PROXY": "http://192.0.2.10:3128",
        "HTTP_PROXY": "http://192.0.2.10:3128",
    }
    return env, log, secret


def _all_text(nb: nbformat.NotebookNode) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"], ensure_ascii=False)


BARE_CLIENT = '''import boto3, os
print("BARE", boto3.client("sts").get_caller_identity()["Arn"])
print("ENV", sorted(k for k in os.environ if k.startswith("AWS_")))'''


@pytest.mark.slow
@pytest.mark.xdist_group("aws-safety")
@pytest.mark.parametrize("notebook", load_lab(LAB).notebooks)
def test_safety_nothing_leaves_loopback_while_the_reference_runs(notebook, hostile_env, tmp_path):
    env, log, secret = hostile_env
    lab = _lab()
    nb = learner_notebook(lab, notebook, "en")
    if notebook == lab.notebooks[0]:
        nb.cells.append(nbformat.v4.new_code_cell(BARE_CLIENT))
    before = log.read_text(encoding="utf-8")
    executed = execute(nb, prepare_dir(lab, tmp_path / LAB), grading="autograde", env=env, timeout=180)
    got = results(executed)
    assert {q: r.passed for q, r in got.items()} == {q.id: True for q in lab.questions_in(notebook)}, \
        {q: (r.failed_ids, r.errors) for q, r in got.items()}
    refused = log.read_text(encoding="utf-8")[len(before):]
    assert refused == "", f"connections off this machine were attempted:\n{refused}"
    text = _all_text(executed)
    assert secret not in text and env["AWS_ACCESS_KEY_ID"] not in text
    assert "192.0.2.10" not in text
    if notebook == lab.notebooks[0]:
        last = "".join(o.get("text", "") for o in executed.cells[-1].get("outputs", []))
        assert "BARE arn:aws:iam::" in last and ":user/lab-admin" in last, last  # even a bare client
        assert "'AWS_PROFILE'" not in last and "'AWS_ACCESS_KEY_ID'" not in last, last


@pytest.mark.slow
@pytest.mark.xdist_group("aws-safety")
def test_the_safety_hook_really_refuses_and_records(hostile_env, tmp_path):
    """The control: the same kernel environment without the lab, aiming boto3 at real AWS, is refused and recorded
    (so an empty record above means nothing tried)."""
    env, log, _ = hostile_env
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent('''
        import boto3
        try:
            boto3.client("sts", region_name="us-east-1").get_caller_identity()
        except Exception as error:
            print("REFUSED", type(error).__name__)
    '''))])
    before = log.read_text(encoding="utf-8")
    executed = execute(nb, tmp_path, env=env)
    assert "REFUSED" in _all_text(executed)
    refused = [json.loads(line) for line in log.read_text(encoding="utf-8")[len(before):].splitlines()]
    assert refused and any("amazonaws.com" in r["host"] or r["host"].startswith("192.0.2.") for r in refused)


GUARD_PROBE = textwrap.dedent('''
    import json, os, sys
    from labs.aws import guard
    guard.install("aws")              # the lab's guard first ...
    leaks = []
    def safety_net(event, args):      # ... then a net that catches (and blocks) anything the guard let through
        if event in ("socket.getaddrinfo", "socket.connect") and not guard.is_loopback(
                args[0] if event == "socket.getaddrinfo" else (args[1][0] if isinstance(args[1], tuple) else None)):
            leaks.append(event)
            raise ConnectionRefusedError("safety net")
    sys.addaudithook(safety_net)
    import boto3
    outcome = {}
    try:
        boto3.client("sts", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLEEXAMPLE12",
                     aws_secret_access_key="x" * 40).get_caller_identity()
    except Exception as error:
        chain, seen = [], error
        while seen is not None:
            chain.append(type(seen).__name__)
            seen = seen.__cause__ or seen.__context__
        outcome["aws"] = chain
    import socket
    try:
        socket.getaddrinfo("example.org", 443)     # not from boto3: the "aws" mode leaves it to the process ...
        outcome["other"] = "allowed by the lab guard"
    except ConnectionRefusedError as error:
        outcome["other"] = str(error)
    guard.install("all")                           # ... the kernel's "all" mode does not
    try:
        socket.getaddrinfo("example.org", 443)
    except guard.OutsideConnectionBlocked:
        outcome["all"] = "blocked"
    outcome["leaks"] = leaks
    print(json.dumps(outcome))
''')


def test_the_lab_guard_refuses_aws_requests_before_they_leave():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", GUARD_PROBE], env=env, capture_output=True, text=True, timeout=60)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert "OutsideConnectionBlocked" in " ".join(outcome["aws"]), outcome
    assert outcome["other"] == "safety net"   # the lab guard in "aws" mode let a non-AWS lookup pass; the net caught it
    assert outcome["all"] == "blocked"
    assert outcome["leaks"] == ["socket.getaddrinfo"]  # only that deliberate non-AWS lookup reached the net


# --- the practice cloud ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cloud():
    from graders.services.moto import MotoService
    with MotoService() as service:
        yield service


def _account(service, workdir: Path):
    from labs.aws.helper import PracticeAccount
    handle = ServiceHandle("moto", service.url, service.info())
    return PracticeAccount.from_handle(handle, workdir)


def test_the_cloud_listens_on_loopback_only_and_answers(cloud):
    from graders.services.moto import MotoService
    assert cloud.url.startswith("http://127.0.0.1:")
    with pytest.raises(ValueError):
        MotoService(host="0.0.0.0")
    assert urllib.request.urlopen(cloud.url + cloud.health_path, timeout=10).status == 200


def test_each_instance_is_its_own_account_with_iam_enforced(cloud, tmp_path):
    from botocore.exceptions import ClientError
    from graders.services.moto import MotoService

    with MotoService() as other:
        mine, theirs = _account(cloud, tmp_path / "a"), _account(other, tmp_path / "b")
        assert mine.account_id != theirs.account_id
        mine.client("iam").create_user(UserName="only-here")
        assert "only-here" in [u["UserName"] for u in mine.client("iam").list_users()["Users"]]
        assert "only-here" not in [u["UserName"] for u in theirs.client("iam").list_users()["Users"]]
        arn = mine.client("sts").get_caller_identity()["Arn"]
        assert arn == f"arn:aws:iam::{mine.account_id}:user/lab-admin"
        stranger = mine.client("sts", credentials={"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
        with pytest.raises(ClientError) as refused:
            stranger.get_caller_identity()
        assert refused.value.response["Error"]["Code"] in ("InvalidClientTokenId", "InvalidAccessKeyId")
        mine.client("iam").delete_user(UserName="only-here")


def test_an_operation_moto_lacks_fails_once_with_a_clear_message(cloud, tmp_path):
    from botocore.exceptions import ClientError
    ec2 = _account(cloud, tmp_path).client("ec2")
    attempts = []
    ec2.meta.events.register("before-send.ec2.*", lambda request, **_: attempts.append(request.url))
    with pytest.raises(ClientError) as failed:
        ec2.describe_capacity_block_offerings(InstanceType="p5.48xlarge", InstanceCount=1, CapacityDurationHours=24)
    assert failed.value.response["Error"]["Code"] == "NotImplemented"
    assert "practice cloud" in failed.value.response["Error"]["Message"]
    assert len(attempts) == 1


def test_the_cloud_does_not_log_every_request(tmp_path):
    script = textwrap.dedent('''
        from graders.services.moto import MotoService
        from labs.aws.helper import PracticeAccount
        with MotoService() as cloud:
            account = PracticeAccount(cloud.url, cloud.account_id, cloud.admin_key, ".")
            for _ in range(3):
                account.client("s3").list_buckets()
        print("done")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=tmp_path)
    assert done.stdout.strip() == "done", done.stderr
    assert "GET /" not in done.stderr and "HTTP/1.1" not in done.stderr, done.stderr


def test_a_host_profile_that_does_not_exist_does_not_break_the_cloud(tmp_path):
    """moto builds boto3 sessions when it loads; an AWS_PROFILE unknown on this computer used to crash it."""
    script = textwrap.dedent('''
        import os
        from graders.services.moto import MotoService
        with MotoService() as cloud:
            import urllib.request
            print(urllib.request.urlopen(cloud.url + cloud.health_path, timeout=10).status, os.environ["AWS_PROFILE"])
    ''')
    env = dict(os.environ, PYTHONPATH=str(REPO), AWS_PROFILE="no-such-profile", HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.split() == ["200", "no-such-profile"], done.stderr[-2000:]


def test_anonymous_s3_follows_the_bucket_policy(cloud, tmp_path):
    account = _account(cloud, tmp_path)
    s3 = account.client("s3")
    bucket = account.bucket_name("anon-test")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<p>hi</p>", ContentType="text/html")
    assert account.anonymous("GET", bucket, "page.html")[0] == 403
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert account.anonymous("GET", bucket, "page.html") == (200, b"<p>hi</p>")
    assert account.anonymous("PUT", bucket, "other.html", b"x")[0] == 403
    assert account.anonymous("GET", bucket)[0] == 403      # listing needs s3:ListBucket
    assert account.anonymous("DELETE", bucket, "page.html")[0] == 403


def test_dynamodb_permissions_apply_to_the_named_table(cloud, tmp_path):
    from labs.aws.checks import probe
    account = _account(cloud, tmp_path)
    iam, ddb = account.client("iam"), account.client("dynamodb")
    for table in ("scoped-a", "scoped-b"):
        ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="scoped-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    arn = f"arn:aws:dynamodb:ap-northeast-1:{account.account_id}:table/scoped-a"
    iam.put_role_policy(RoleName="scoped-role", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": arn}]}))
    as_lambda = account.client("dynamodb", credentials=account.service_credentials(role["Arn"]))
    item = {"k": {"S": "1"}}
    assert probe(as_lambda, "put_item", {"TableName": "scoped-a", "Item": item})[0] == "allowed"
    assert probe(as_lambda, "put_item", {"TableName": "scoped-b", "Item": item}) == ("denied", "AccessDeniedException")
    assert probe(as_lambda, "get_item", {"TableName": "scoped-a", "Key": item})[0] == "denied"
    # a role that trusts another service gets no credentials for Lambda
    other = iam.create_role(RoleName="ec2-role", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}))["Role"]
    with pytest.raises(PermissionError):
        account.service_credentials(other["Arn"])


def test_regions_and_clean_up_behave_as_on_aws(cloud, tmp_path):
    account = _account(cloud, tmp_path)
    regions = account.regions()
    assert "ap-northeast-1" in regions and "us-east-1" in regions
    assert not [r for r in regions if r.startswith(("cn-", "us-gov-"))]   # other partitions need other accounts
    ec2 = account.client("ec2", "eu-west-1")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    address = next(a for a in ec2.describe_addresses()["Addresses"] if a["AllocationId"] == allocation)
    assert "AssociationId" not in address   # the deleted gateway let go of its address
    ec2.release_address(AllocationId=allocation)
    launched = ec2.run_instances(ImageId="ami-04681a1dbd79675a5", MinCount=1, MaxCount=1,
                                 DisableApiTermination=True)["Instances"][0]["InstanceId"]
    flag = ec2.describe_instance_attribute(InstanceId=launched, Attribute="disableApiTermination")
    assert flag["DisableApiTermination"]["Value"] is True


def test_a_notebook_finds_its_server_again_after_a_kernel_restart(cloud, tmp_path, capsys):
    """Notebook 4's 4c cell needs `web_id` from 4b: after a restart it finds web-1 by its Name tag (stopped too, not
    terminated), and with no such server it says which exercise launches it instead of a NameError."""
    account = _account(cloud, tmp_path)
    assert account.find_instance("finder-web", "4b") is None
    assert "do exercise 4b first" in capsys.readouterr().out
    ec2 = account.client("ec2")
    launched = [ec2.run_instances(ImageId="ami-04681a1dbd79675a5", MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "finder-web"}]}])["Instances"][0]["InstanceId"]
        for _ in range(2)]
    ec2.terminate_instances(InstanceIds=[launched[1]])
    ec2.stop_instances(InstanceIds=[launched[0]])
    assert account.find_instance("finder-web", "4b") == launched[0]


def test_a_reset_empties_the_account_but_keeps_the_key(cloud, tmp_path):
    account = _account(cloud, tmp_path)
    account.client("iam").create_user(UserName="before-reset")
    request = urllib.request.Request(cloud.url + "/moto-api/reset", method="POST", data=b"")
    assert urllib.request.urlopen(request, timeout=30).status == 200
    users = [u["UserName"] for u in account.client("iam").list_users()["Users"]]
    assert users == ["lab-admin"]


# --- the helper ----------------------------------------------------------------------------------------------------

def test_connect_aws_writes_profiles_keeps_the_learners_and_forgets_real_settings(cloud, tmp_path):
    script = textwrap.dedent('''
        import json, os, sys
        from pathlib import Path
        from graders.services.registry import ServiceHandle
        from labs.aws.helper import connect_aws
        info = json.loads(os.environ["CLOUD"])
        handle = ServiceHandle("moto", info.pop("url"), info)
        class FakeLab:
            context = {"moto": handle, "workdir": Path.cwd()}
            lang = "uk"
        folder = Path("aws-practice"); folder.mkdir()
        (folder / "credentials").write_text("[dana]\\naws_access_key_id = AKIAOLDOLDOLD\\naws_secret_access_key = s\\n")
        aws = connect_aws(FakeLab())
        import boto3
        out = {"arn": boto3.Session(profile_name="workshop").client("sts").get_caller_identity()["Arn"],
               "bare": boto3.client("sts").get_caller_identity()["Arn"],
               "env": sorted(k for k in os.environ if k.startswith("AWS_")),
               "dana_kept": "AKIAOLDOLDOLD" in (folder / "credentials").read_text(),
               "dana_endpoint": "[profile dana]" in (folder / "config").read_text(),
               "mode": oct((folder / "credentials").stat().st_mode & 0o777),
               "summary": repr(aws)}
        try:
            aws.save_profile("bad name", {})
        except ValueError as error:
            out["bad_name"] = str(error)
        print(json.dumps(out, ensure_ascii=False))
    ''')
    cloud_json = json.dumps({"url": cloud.url, **cloud.info()})
    env = dict(os.environ, PYTHONPATH=str(REPO), CLOUD=cloud_json, AWS_PROFILE="production",
               AWS_ACCESS_KEY_ID="AKIAREALREALREAL1234", AWS_SECRET_ACCESS_KEY="s" * 40,
               AWS_ENDPOINT_URL_S3="https://s3.amazonaws.com", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["arn"] == out["bare"] == f"arn:aws:iam::{cloud.account_id}:user/lab-admin"
    assert "AWS_PROFILE" not in out["env"] and "AWS_ACCESS_KEY_ID" not in out["env"]
    assert "AWS_ENDPOINT_URL_S3" not in out["env"] and "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" not in out["env"]
    assert out["dana_kept"] and out["dana_endpoint"] and out["mode"] == "0o600"
    assert "Навчальний акаунт AWS" in out["summary"] and cloud.account_id in out["summary"]
    assert "одне слово" in out["bad_name"]


def test_check_sessions_ignore_the_environment(cloud, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sts.amazonaws.com")
    monkeypatch.setenv("HTTPS_PROXY", "http://192.0.2.10:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.10:3128")
    from labs.aws.helper import _CLIENTS, _SESSIONS
    _SESSIONS.clear()
    _CLIENTS.clear()
    account = _account(cloud, tmp_path)
    sts = account.client("sts")
    assert sts.meta.endpoint_url == cloud.url
    assert sts.get_caller_identity()["Account"] == cloud.account_id


# --- policies and checks ---------------------------------------------------------------------------------------------

def test_the_policy_reader():
    from labs.aws import policies
    doc = {"Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:StopInstances"], "Resource": "*"},
                         {"Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "arn:aws:ec2:*:*:instance/i-1"}]}
    assert policies.allows([doc], "ec2:DescribeInstances")
    assert policies.allows([doc], "EC2:describeinstances")                  # actions ignore case
    assert not policies.allows([doc], "ec2:RunInstances")
    assert not policies.allows([doc], "ec2:StopInstances", "arn:aws:ec2:*:*:instance/i-1")   # Deny wins
    assert policies.grants_everything({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    assert policies.grants_everything({"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})
    assert not policies.grants_everything(doc)
    assert policies.resources_of({"Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem",
                                                 "Resource": "arn:t"}]}, "dynamodb:") == ["arn:t"]


def _evaluate(lab, question: str, namespace: dict, context: dict, lang: str = "en"):
    """A verdict computed here, as a grader does (Lab(...) is not made here: it would start a practice cloud)."""
    from graders.checks import Check
    return lab.checks.questions.run(question, Check(namespace, context=context, lang=lang))


def test_a_check_without_the_cloud_says_so_kindly():
    lab = _lab()
    verdict = _evaluate(lab, "2a", {}, {"workdir": Path.cwd()}, lang="ja")
    assert verdict.message_ids() == ["aws.no_cloud"]
    assert "練習用の AWS クラウド" in verdict.parts[0].message.render("ja")


def test_6d_names_each_untagged_resource_notebooks_2_3_5_asked_to_tag(tmp_path):
    """6d reads the cost tags of the topic and alarm of 6a and of what notebooks 2, 3 and 5 create (user, buckets,
    table, role, function) when they are in the account, names the one that lacks them, and passes when all carry
    them. A resource the lab never asked to tag (another user) is left alone."""
    import io
    import zipfile

    from graders.services.moto import MotoService

    lab = _lab()
    tags = [{"Key": "Project", "Value": "workshop"}, {"Key": "CostCenter", "Value": "training"}]
    with MotoService() as own:
        aws = _account(own, tmp_path)
        context = {"workdir": tmp_path, "moto": ServiceHandle("moto", own.url, own.info())}
        aws.client("sns", "us-east-1").create_topic(Name="billing-alerts", Tags=tags)
        aws.client("cloudwatch", "us-east-1").put_metric_alarm(
            AlarmName="billing-over-10-usd", Namespace="AWS/Billing", MetricName="EstimatedCharges",
            Statistic="Maximum", Period=21600, EvaluationPeriods=1, Threshold=10,
            ComparisonOperator="GreaterThanThreshold", Tags=tags)
        iam = aws.client("iam")
        iam.create_user(UserName="dana")                       # untagged: named
        iam.create_user(UserName="someone-else")               # never asked to tag: not named
        role = iam.create_role(RoleName="notes-function-role", AssumeRolePolicyDocument="{}", Tags=tags)["Role"]
        s3 = aws.client("s3", "ap-northeast-1")
        for purpose, tag_set in (("team-files", [tags[0]]),
                                 ("website", [tags[0], {"Key": "costcenter", "Value": "training"}])):
            bucket = aws.bucket_name(purpose)
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_set})
        aws.client("dynamodb", "ap-northeast-1").create_table(
            TableName="notes", KeySchema=[{"AttributeName": "note_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "note_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            Tags=[{"Key": "Project", "Value": "Workshop"}, tags[1]])
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("notes_handler.py", "def lambda_handler(event, context):\n    return 1\n")
        aws.client("lambda", "ap-northeast-1").create_function(
            FunctionName="save-note", Runtime="python3.12", Role=role["Arn"], Handler="notes_handler.lambda_handler",
            Code={"ZipFile": code.getvalue()}, Tags={"Project": "workshop", "CostCenter": "training"})

        verdict = _evaluate(lab, "6d", {}, context)
        failed = {(p.message.id, p.params["name"]) for p in verdict.failures}
        assert failed == {("aws.6d.untagged", "dana"), ("aws.6d.missing", aws.bucket_name("team-files")),
                          ("aws.6d.key_case", aws.bucket_name("website")), ("aws.6d.value", "notes")}, failed
        assert "dana" in verdict.failures[0].message.render("uk", **verdict.failures[0].params)
        passed = {p.params["name"] for p in verdict.parts if p.ok}
        assert passed == {"billing-alerts", "billing-over-10-usd", "notes-function-role", "save-note"}

        iam.tag_user(UserName="dana", Tags=tags)
        for purpose in ("team-files", "website"):
            s3.put_bucket_tagging(Bucket=aws.bucket_name(purpose), Tagging={"TagSet": tags})
        table = aws.client("dynamodb", "ap-northeast-1").describe_table(TableName="notes")["Table"]["TableArn"]
        aws.client("dynamodb", "ap-northeast-1").tag_resource(ResourceArn=table, Tags=tags)
        verdict = _evaluate(lab, "6d", {}, context)
        assert verdict.passed and len(verdict.parts) == 8, verdict.to_json()


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["2-iam", "5-serverless", "9-api"])
def test_outside_evidence_is_recomputed_by_a_grader_with_the_same_verdicts(notebook, tmp_path):
    """Run the notebook against a cloud in this process, then recompute each outside question here, from the cloud
    and the notebook's folder only, as a grader would: the same verdicts as in the learner's kernel."""
    lab = _lab()
    nb = learner_notebook(lab, notebook, "en", with_hidden=False)
    workdir = prepare_dir(lab, tmp_path / LAB)
    with lab_services(lab) as env:
        executed = execute(nb, workdir, env=env)
        seen = results(executed)
        cloud = json.loads(env["GRADERS_SERVICE_MOTO"])
        handle = ServiceHandle("moto", cloud.pop("url"), cloud)
        outside = [q.id for q in lab.questions_in(notebook) if lab.checks.questions.evidence[q.id] == "outside"]
        assert outside
        for question in outside:
            verdict = _evaluate(lab, question, {}, {"workdir": workdir, "moto": handle})
            assert verdict.passed == seen[question].passed is True, (question, verdict.to_json())
            assert verdict.message_ids() == seen[question].passed_ids


@pytest.mark.slow
def test_a_learners_workspace_keeps_one_account_across_kernels_and_restarts(tmp_path):
    """Outside grading, each learner's workspace has one detached practice cloud, shared by all six notebooks and
    reused after a kernel restart; after the computer restarts, the new cloud has the same account ID (so bucket
    names and ARNs do not change), and is empty."""
    from graders.services import connect, stop_all
    from labs.aws.helper import PracticeAccount

    workspace = tmp_path / "ws"

    def users(handle):
        return [u["UserName"] for u in PracticeAccount.from_handle(handle, workspace).client("iam").list_users()["Users"]]

    first = connect("moto", workspace)
    try:
        PracticeAccount.from_handle(first, workspace).client("iam").create_user(UserName="kept")
        again = connect("moto", workspace)   # another notebook, or the same one after a kernel restart
        assert (again.url, again["account_id"]) == (first.url, first["account_id"])
        assert "kept" in users(again)
    finally:
        assert stop_all(workspace) == ["moto"]
    restarted = connect("moto", workspace)
    try:
        assert restarted["account_id"] == first["account_id"]
        assert "kept" not in users(restarted)
    finally:
        stop_all(workspace)
