"""AWS 8-webserver: an instance's user data really runs on the practice cloud (graders/services/instances.py).

The page test: one instance serves while it runs and its security group allows port 80; it stops serving when the
rule is removed, when it is stopped and when it is terminated, and every process its user data started is gone.
The sandbox test: user data sees only a loopback interface of its own (no address of this computer, no route), and
nothing it starts listens on this computer's network; shown failing when the sandbox makes no network namespace.
"""
from __future__ import annotations

import base64
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from graders.services import instances
from graders.services.registry import ServiceHandle
from procfs import fd_links

IMAGE = "ami-04681a1dbd79675a5"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# The user data: writes what the sandbox looks like from inside (interfaces, routes, its network namespace), then
# serves a page on port 80 in the background, with a marker in its command line to find its processes.
USER_DATA = """#!/bin/bash
cat /proc/net/dev > net-dev.txt
cat /proc/net/route > net-route.txt
readlink /proc/self/ns/net > netns.txt
id -u > uid.txt
mkdir -p site-web2-marker
echo "<h1>Hello from web-2</h1>" > site-web2-marker/index.html
python3 -m http.server 80 --bind 0.0.0.0 --directory site-web2-marker &
"""


@pytest.fixture(scope="module")
def cloud():
    from graders.services.moto import MotoService
    with MotoService() as service:
        yield service


@pytest.fixture(scope="module")
def ec2(cloud):
    import boto3
    info = cloud.info()
    return boto3.client("ec2", endpoint_url=cloud.url, region_name="ap-northeast-1",
                        aws_access_key_id=info["admin_access_key_id"],
                        aws_secret_access_key=info["admin_secret_access_key"])


def _get(cloud, address: str, path: str = "") -> tuple[int, str, str]:
    url = f"{cloud.url}/graders-lab/instances/{address}/{path}"
    for _ in range(30):   # the server the user data starts may need a moment
        try:
            with _DIRECT.open(url, timeout=10) as r:
                return r.status, "", r.read().decode()
        except urllib.error.HTTPError as e:
            got = e.code, e.headers.get("X-Practice-Cloud", ""), e.read().decode()
            if got[1] != "no-server":
                return got
            time.sleep(0.1)
    return got


def _pids_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def _host_sockets() -> set[str]:
    """The inodes of every TCP socket in this computer's network namespace."""
    return {line.split()[9] for name in ("/proc/net/tcp", "/proc/net/tcp6")
            for line in Path(name).read_text().splitlines()[1:]}


def _socket_inodes(pid: int) -> set[str]:
    return {target[len("socket:["):-1] for target in fd_links(pid, "socket:[")}


def _launch(ec2, group_id: str, name: str) -> dict:
    result = ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1, UserData=USER_DATA,
                               SecurityGroupIds=[group_id],
                               TagSpecifications=[{"ResourceType": "instance",
                                                   "Tags": [{"Key": "Name", "Value": name}]}])
    return result["Instances"][0]


def _wait_for(path: Path) -> str:
    for _ in range(50):
        if path.exists() and path.read_text().strip():
            return path.read_text()
        time.sleep(0.1)
    return path.read_text() if path.exists() else ""


def _group(ec2, name: str) -> str:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    return ec2.create_security_group(GroupName=name, Description="test", VpcId=vpc)["GroupId"]


HTTP = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def test_the_page_answers_only_while_the_instance_runs_and_its_group_allows_port_80(cloud, ec2):
    group = _group(ec2, "page-test")
    instance = _launch(ec2, group, "web-2")
    ip, dns, instance_id = instance["PublicIpAddress"], instance["PublicDnsName"], instance["InstanceId"]
    assert _get(cloud, ip)[:2] == (504, "port-closed")                     # no rule yet
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    status, _, text = _get(cloud, ip)
    assert status == 200 and "Hello from web-2" in text
    assert _get(cloud, dns, "index.html")[0] == 200                       # the other public address, another path
    servers = _pids_with("web2-marker")
    assert servers
    # the web server the user data started listens in a network namespace of its own, not on this computer's
    inodes = set().union(*(_socket_inodes(pid) for pid in servers))
    assert inodes and not inodes & _host_sockets()
    assert all(os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net") for pid in servers)
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    assert _get(cloud, ip)[:2] == (504, "port-closed")                     # rule removed
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "203.0.113.25/32"}]}])
    assert _get(cloud, ip)[:2] == (504, "port-closed")                     # a rule for someone else
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    assert _get(cloud, ip)[0] == 200
    ec2.stop_instances(InstanceIds=[instance_id])
    assert _get(cloud, ip)[:2] == (504, "not-running")                     # stopped
    for _ in range(50):
        if not _pids_with("web2-marker"):
            break
        time.sleep(0.1)
    assert _pids_with("web2-marker") == []      # the server the user data put in the background is gone too
    # terminated: a second instance with the same user data serves, then its termination ends it
    second = _launch(ec2, group, "web-3")
    assert _get(cloud, second["PublicIpAddress"])[0] == 200
    ec2.terminate_instances(InstanceIds=[second["InstanceId"]])
    assert _get(cloud, second["PublicIpAddress"])[:2] == (504, "not-running")
    assert not instances.is_running(cloud.account_id, "ap-northeast-1", second["InstanceId"])


def test_user_data_without_a_server_and_a_foreign_address(cloud, ec2):
    group = _group(ec2, "no-server-test")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    quiet = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, SecurityGroupIds=[group],
                              UserData="#!/bin/bash\necho 'page written, no server'\n")["Instances"][0]
    status, why, text = _get(cloud, quiet["PublicIpAddress"])
    assert (status, why) == (502, "no-server") and "page written, no server" in text   # the console output
    assert _get(cloud, "198.51.100.7")[0] == 404


def _sandbox_view(cloud, ec2, group: str) -> dict[str, str]:
    instance = _launch(ec2, group, "view")
    folder = instances.folder_of(cloud.account_id, "ap-northeast-1", instance["InstanceId"]) / "disk"
    view = {name: _wait_for(folder / f"{name}.txt") for name in ("net-dev", "net-route", "netns", "uid")}
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
    return view


def _interfaces(net_dev: str) -> list[str]:
    return [line.split(":")[0].strip() for line in net_dev.splitlines()[2:] if ":" in line]


def _reaches_only_loopback(view: dict[str, str]) -> bool:
    routes = [line for line in view["net-route"].splitlines()[1:] if line.strip()]
    return (_interfaces(view["net-dev"]) == ["lo"] and routes == []
            and view["netns"].strip() != os.readlink("/proc/self/ns/net"))


@pytest.mark.skipif(os.geteuid() != 0, reason="the planted defect below needs root (a process without namespaces)")
def test_user_data_reaches_nothing_but_its_own_loopback(cloud, ec2, monkeypatch):
    group = _group(ec2, "sandbox-test")
    view = _sandbox_view(cloud, ec2, group)
    assert _reaches_only_loopback(view), view
    assert view["uid"].strip() == str(instances.NOBODY)      # as root, user data runs as nobody
    # the planted defect: a sandbox that forgets the network namespace is found
    real = instances._enter_sandbox

    def no_network_namespace(root, uid, gid, nproc):
        os.setgroups([])
        os.setgid(instances.NOBODY)
        os.setuid(instances.NOBODY)

    monkeypatch.setattr(instances, "_enter_sandbox", no_network_namespace)
    leaky = _sandbox_view(cloud, ec2, group)
    assert not _reaches_only_loopback(leaky), leaky
    monkeypatch.setattr(instances, "_enter_sandbox", real)


def test_the_notebook_link_goes_through_jupyterlab_on_a_hub(cloud, ec2, monkeypatch, tmp_path, capsys):
    from labs.aws.helper import PracticeAccount
    from labs.aws.web import show_page

    group = _group(ec2, "link-test")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    instance = _launch(ec2, group, "linked")
    aws = PracticeAccount.from_handle(ServiceHandle("moto", cloud.url, cloud.info()), tmp_path, "ja")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/kenji/")
    monkeypatch.setenv("GRADERS_PUBLIC_URL", "http://hub.example:8000/")
    show_page(aws, instance["InstanceId"])
    out = capsys.readouterr().out
    # the practice cloud's named route (the same address whatever port the cloud has today)
    assert (f"http://hub.example:8000/user/kenji/practice-cloud/graders-lab/instances/"
            f"{instance['PublicIpAddress']}/") in out
    assert "パブリックアドレス" in out and "Hello from web-2" in out
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_user_data_is_read_as_aws_sends_it():
    script = b"#!/bin/bash\necho hi\n"
    assert instances._decode(base64.b64encode(script).decode()) == script


def test_ssh_checks_the_port_the_key_and_the_key_file_as_ssh_does(cloud, ec2, tmp_path):
    """Connecting to an instance (the practice cloud's SSH stand-in): a login with the instance's key works and runs
    the command in the instance's sandbox; a closed port 22, another key pair's key and a key file others can read
    are refused, each with its own message; a stopped instance cannot be reached, a started one again."""
    from labs.aws.helper import PracticeAccount
    from labs.aws.web import ssh_attempt

    aws = PracticeAccount.from_handle(ServiceHandle("moto", cloud.url, cloud.info()), tmp_path)
    for name in ("ssh-key", "other-key"):
        (tmp_path / f"{name}.pem").write_text(ec2.create_key_pair(KeyName=name)["KeyMaterial"])
        (tmp_path / f"{name}.pem").chmod(0o400)
    group = _group(ec2, "ssh-test")
    instance = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, KeyName="ssh-key",
                                 SecurityGroupIds=[group])["Instances"][0]
    ip = instance["PublicIpAddress"]
    how, result = ssh_attempt(aws, "ssh-key.pem", ip, "echo hi")
    assert how == "timed_out" and "127.0.0.1" in result[1]["why"]          # port 22 closed
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "127.0.0.1/32"}]}])
    assert ssh_attempt(aws, "ssh-key.pem", ip, "echo hi from $(pwd)") == ("ok", "hi from " + str(
        instances.folder_of(cloud.account_id, "ap-northeast-1", instance["InstanceId"]) / "disk") + "\n")
    how, result = ssh_attempt(aws, "other-key.pem", ip)
    assert how == "denied" and result[0].id == "aws.8.ssh_denied"
    (tmp_path / "ssh-key.pem").chmod(0o644)
    how, result = ssh_attempt(aws, "ssh-key.pem", ip)
    assert how == "unprotected" and result[1]["mode"] == "0644"
    (tmp_path / "ssh-key.pem").chmod(0o400)
    ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
    assert ssh_attempt(aws, "ssh-key.pem", ip)[0] == "timed_out"
    ec2.start_instances(InstanceIds=[instance["InstanceId"]])        # boots again (without running user data)
    address = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0][
        "PublicIpAddress"]
    assert ssh_attempt(aws, "ssh-key.pem", address, "echo back")[0] == "ok"
    ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])


def test_the_8a_check_names_a_rule_for_another_address_and_a_wrong_page(cloud, ec2, tmp_path):
    """Two of 8a's messages computed here, as a grader does (cheaper than two more notebook variants)."""
    from graders.checks import Check
    from graders.labdef import load_lab

    lab = load_lab("aws")
    cloud.reset()
    context = {"workdir": tmp_path, "moto": ServiceHandle("moto", cloud.url, cloud.info())}

    def verdict():
        return lab.checks.questions.run("8a", Check({}, context=context, lang="uk")).message_ids()

    group = _group(ec2, "site-sg")
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "203.0.113.25/32"}]}])
    first = _launch(ec2, group, "web-2")
    assert verdict() == ["aws.8a.port_other"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=HTTP)
    assert verdict() == ["aws.8a.ok"]
    ec2.terminate_instances(InstanceIds=[first["InstanceId"]])
    ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, SecurityGroupIds=[group],
                      UserData=USER_DATA.replace("Hello from web-2", "Welcome to the bakery"),
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-2"}]}])
    assert verdict() == ["aws.8a.text"]


ORPHAN = '''import os, sys
from graders.services import instances
instances.launch("222222222222", "ap-northeast-1", "i-orphan", b"#!/bin/sh\\nsleep 600 # orphan-marker-8\\n")
print(instances.folder_of("222222222222", "ap-northeast-1", "i-orphan"), flush=True)
os._exit(0)   # the practice cloud's process dies without stopping its instances
'''


def test_instances_end_when_the_practice_clouds_process_dies():
    import shutil
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    folder = Path(done.stdout.strip())
    try:
        for _ in range(50):
            if not _pids_with("i-orphan"):
                break
            time.sleep(0.1)
        assert _pids_with("i-orphan") == [], done.stderr
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
