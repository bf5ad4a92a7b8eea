"""AWS 8: a web server that really serves (notebook 8-webserver): its checks, hints and the notebook's page helper.

The practice cloud runs an instance's user data in a sandbox and answers at the instance's public address while the
instance runs and its security groups allow port 80 (``graders/services/instances.py``). The checks fetch the page
there, as a visitor would; when graded they also fetch it at the instance's other public address (its DNS name) and
at paths the learner never opened (``hidden/8a.json``).

The check functions are registered on ``labs.aws.checks.questions`` (``checks.py`` imports this module at its end).
"""
from __future__ import annotations

import base64
import time
import urllib.error
import urllib.request

from botocore.exceptions import ClientError

from graders.checks import Check
from graders.i18n import Domain

from .checks import HINTS, _alive, _covers, _instances, _sources, account, questions
from .helper import PracticeAccount

M_ = Domain.beside(__file__)

NAME, GROUP, TEXT = "web-2", "site-sg", "Hello from web-2"
KEY_NAME, KEY_FILE, ADMIN, ADMIN_GROUP = "bakery-key", "bakery-key.pem", "admin-1", "admin-sg"
GATE = "/graders-lab/instances/"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

PAGE_LINK = M_("aws.8.page_link", "The public address of {name} is {address}. Open its page in your browser (a new tab): {url}")
PAGE_ANSWER = M_("aws.8.page_answer", "Answer of http://{address}/ (status {status}):")
PAGE_NO_ADDRESS = M_("aws.8.page_no_address", "Instance {instance} has no public address now (it is {state}).")


def page(aws: PracticeAccount, address: str, path: str = "") -> tuple[int, str, str]:
    """GET ``http://<address>/<path>`` on the practice cloud: (status, why it did not answer or "", text)."""
    url = f"{aws.endpoint_url}{GATE}{address}/{path.lstrip('/')}"
    deadline = time.monotonic() + 3   # a server the user data started a moment ago may still be starting
    while True:
        try:
            with _DIRECT.open(url, timeout=10) as response:   # noqa: S310 (the practice cloud on 127.0.0.1)
                return response.status, "", response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            why = error.headers.get("X-Practice-Cloud", "")
            text = error.read().decode("utf-8", "replace")
            if why == "no-server" and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            return error.code, why, text


def show_page(aws: PracticeAccount, instance_id: str) -> None:
    """For the notebook: the instance's public address, a link to its page (through JupyterLab on a hub) and what
    the page answers now."""
    from graders.services.proxy import learner_url

    found = aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    address = found.get("PublicIpAddress")
    if not address:
        print(PAGE_NO_ADDRESS.render(aws.lang, instance=instance_id, state=found["State"]["Name"]))
        return
    url = learner_url(aws.endpoint_url, f"{GATE.strip('/')}/{address}/", name="moto")
    print(PAGE_LINK.render(aws.lang, name=_name(found) or instance_id, address=address, url=url))
    status, _, text = page(aws, address)
    print(PAGE_ANSWER.render(aws.lang, address=address, status=status))
    print(text[:1500])


def _name(instance: dict) -> str:
    return next((t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"), "")


# =====================================================================================================================
# 8. A web server that serves: user data, port 80, the page; then stopped
# =====================================================================================================================

Q8A_OK = M_("aws.8a.ok", "{name} ({instance}) is running, port 80 is open, and its page at http://{address}/ says \"{text}\".")
Q8A_MISSING = M_("aws.8a.missing", "There is no instance with the tag Name = web-2 in Tokyo. Launch it with ec2.run_instances(..., UserData=user_data, ...) and the tag Name = web-2.")
Q8A_DUPLICATES = M_("aws.8a.duplicates", "There is {count} instance named web-2 ({instances}). Terminate the extra ones and keep one.", "There are {count} instances named web-2 ({instances}). Terminate the extra ones and keep one.", count="count")
Q8A_GONE = M_("aws.8a.gone", "web-2 ({instance}) is terminated. Launch it again.")
Q8A_NOT_RUNNING = M_("aws.8a.not_running", "web-2 ({instance}) is {state}. A server that is not running serves nothing: start it, or launch web-2 again (its user data runs only at the first start).")
Q8A_NO_USER_DATA = M_("aws.8a.no_user_data", "web-2 ({instance}) was launched without user data, so nothing was installed or started on it. Launch it with UserData=user_data (terminate this one first).")
Q8A_PORT_CLOSED = M_("aws.8a.port_closed", "No security group of web-2 lets visitors reach port 80 (groups: {groups}), so every browser waits and gives up. Add a rule to `site-sg` for tcp port 80 from 0.0.0.0/0.")
Q8A_PORT_OTHER = M_("aws.8a.port_other", "Port 80 of web-2 is open only to {cidr}. Visitors of a public website come from every address: open it to 0.0.0.0/0.")
Q8A_NO_SERVER = M_("aws.8a.no_server", "web-2 is running and port 80 is open, but nothing answers on port 80: the user data did not start a web server (or it stopped). The last line of the instance's console output: {line}")
Q8A_STATUS = M_("aws.8a.status", "The web server of web-2 answers http://{address}/ with status {status}, not 200 (a page). Is index.html in the folder the server serves? Start the server in the folder of the page.")
Q8A_TEXT = M_("aws.8a.text", "The page of web-2 says \"{found}\", but it should contain \"{text}\".")
Q8A_OK_HIDDEN = M_("aws.8a.ok_hidden", "The page also answers at {url}.")
Q8A_HIDDEN = M_("aws.8a.hidden", "The page does not answer at {url} (status {status}). A web server must answer every address and path that leads to the page, not only the one you opened.")

Q8B_OK = M_("aws.8b.ok", "web-2 is stopped, and its page no longer answers: a stopped server serves nothing and costs no computing time.")
Q8B_RUNNING = M_("aws.8b.running", "web-2 ({instance}) is still {state}, and its page still answers. Stop it: ec2.stop_instances(InstanceIds=[...]).")
Q8B_PORT_ONLY = M_("aws.8b.port_only", "The page no longer answers because port 80 is closed, but web-2 is still {state} and costs money every hour. The task asks you to stop the server.")
Q8B_TERMINATED = M_("aws.8b.terminated", "web-2 was terminated: it is deleted with its disk and its page, for good. To pause a server, stop it. Launch web-2 again (exercise 8a), then stop it.")


def _one_web_2(check: Check, ec2) -> dict:
    found = _instances(ec2, NAME)
    alive = _alive(found)
    if not found:
        check.stop(Q8A_MISSING)
    if not alive:
        check.stop(Q8A_GONE, instance=found[-1]["InstanceId"])
    if len(alive) > 1:
        check.stop(Q8A_DUPLICATES, count=len(alive), instances=", ".join(i["InstanceId"] for i in alive))
    return alive[0]


def _user_data(ec2, instance_id: str) -> bytes:
    value = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData").get("UserData", {})
    raw = value.get("Value") or ""
    try:
        return base64.b64decode(raw)
    except ValueError:
        return raw.encode()


def _port_80(ec2, instance: dict) -> tuple[bool, str]:
    """(open to the learner's computer, another source it is open to) for port 80 of the instance's groups."""
    from graders.services.instances import LEARNER_ADDRESS
    import ipaddress

    ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
    groups = ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"] if ids else []
    other = ""
    for group in groups:
        for rule in group.get("IpPermissions", []):
            if not _covers(rule, 80):
                continue
            for source in _sources(rule):
                try:
                    if ipaddress.ip_address(LEARNER_ADDRESS) in ipaddress.ip_network(source, strict=False):
                        return True, ""
                except ValueError:
                    continue
                other = other or source
    return False, other


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    marker = "Console output of the instance:"
    if marker in text:
        lines = [line.strip() for line in text.split(marker, 1)[1].splitlines() if line.strip()]
    return lines[-1][:200] if lines and lines[-1] != "(empty)" else "—"


@questions("8a", evidence="outside")
def q8a(check: Check) -> None:
    aws = account(check)
    ec2 = aws.client("ec2")
    instance = _one_web_2(check, ec2)
    instance_id, state = instance["InstanceId"], instance["State"]["Name"]
    if not _user_data(ec2, instance_id).strip():
        check.stop(Q8A_NO_USER_DATA, instance=instance_id)
    if state != "running":
        check.stop(Q8A_NOT_RUNNING, instance=instance_id, state=state)
    open_80, other = _port_80(ec2, instance)
    if not open_80:
        if other:
            check.stop(Q8A_PORT_OTHER, cidr=other)
        check.stop(Q8A_PORT_CLOSED, groups=", ".join(g["GroupName"] for g in instance.get("SecurityGroups", []))
                   or "—")
    address = instance.get("PublicIpAddress", "")
    status, why, text = page(aws, address)
    if why == "no-server":
        check.stop(Q8A_NO_SERVER, line=_last_line(text))
    if status != 200:
        check.stop(Q8A_STATUS, address=address, status=status)
    if TEXT not in text:
        check.stop(Q8A_TEXT, found=" ".join(text.split())[:80], text=TEXT)
    check.ok(Q8A_OK, name=NAME, instance=instance_id, address=address, text=TEXT)
    if check.hidden:   # grading: the other public address (the DNS name), and paths the learner never opened
        with check.hidden_part():
            addresses = {"ip": address, "dns": instance.get("PublicDnsName", "")}
            for probe in check.hidden.get("probes", []):
                where, path = addresses.get(probe["address"], address), probe["path"]
                status, _, text = page(aws, where, path)
                url = f"http://{where}/{path.lstrip('/')}"
                check.expect(status == 200 and TEXT in text, Q8A_HIDDEN, ok=Q8A_OK_HIDDEN, url=url, status=status)


@questions("8b", evidence="outside")
def q8b(check: Check) -> None:
    aws = account(check)
    ec2 = aws.client("ec2")
    found = _instances(ec2, NAME)
    if not found:
        check.stop(Q8A_MISSING)
    alive = _alive(found)
    if not alive:
        check.stop(Q8B_TERMINATED)
    if len(alive) > 1:
        check.stop(Q8A_DUPLICATES, count=len(alive), instances=", ".join(i["InstanceId"] for i in alive))
    instance = alive[0]
    state = instance["State"]["Name"]
    if state in ("running", "pending"):
        open_80, _ = _port_80(ec2, instance)
        check.stop(Q8B_RUNNING if open_80 else Q8B_PORT_ONLY, instance=instance["InstanceId"], state=state)
    check.ok(Q8B_OK)


# =====================================================================================================================
# 8c. A key pair, kept safe, and connecting with it (the practice cloud's SSH stand-in, see instances.py)
# =====================================================================================================================

SSH_UNPROTECTED = M_("aws.8.ssh_unprotected", "Permissions {mode} for '{path}' are too open: other users of this computer could read your private key. ssh refuses such a key (\"WARNING: UNPROTECTED PRIVATE KEY FILE!\"). Make it readable by you only: os.chmod(\"{path}\", 0o400).")
SSH_NO_FILE = M_("aws.8.ssh_no_file", "There is no file {path} next to this notebook. Save the private key (KeyMaterial) there first.")
SSH_TIMED_OUT = M_("aws.8.ssh_timed_out", "ssh: connect to host {address} port 22: Connection timed out. {why}")
SSH_WHY_CLOSED = M_("aws.8.ssh_why_closed", "No security group of the instance allows TCP port 22 from your computer (127.0.0.1).")
SSH_WHY_STOPPED = M_("aws.8.ssh_why_stopped", "The instance is {state}.")
SSH_WHY_UNKNOWN = M_("aws.8.ssh_why_unknown", "No instance of your account has this public address.")
SSH_DENIED = M_("aws.8.ssh_denied", "{user}@{address}: Permission denied (publickey). The key in {path} is not the private key of the key pair the instance was launched with ({key_name}).")
SSH_CONNECTED = M_("aws.8.ssh_connected", "Connected to {address} as {user} with {path} (practice SSH). Output of `{command}`:")


def _public_of(pem: bytes) -> str | None:
    """The OpenSSH public key ("ssh-rsa AAAA...") of a PEM private key, or None when it is not one."""
    from cryptography.hazmat.primitives import serialization
    try:
        key = serialization.load_pem_private_key(pem, password=None)
        return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                             serialization.PublicFormat.OpenSSH).decode()
    except (ValueError, TypeError):
        return None


def _same_key(public_a: str | None, public_b: str | None) -> bool:
    return bool(public_a and public_b) and public_a.split()[:2] == public_b.split()[:2]


def ssh_attempt(aws: PracticeAccount, key_file: str, address: str, command: str = "hostname") -> tuple[str, object]:
    """What ``ssh -i key_file ec2-user@address command`` does on the practice cloud: ("ok", output) or (a reason,
    (message, params)). The key file is checked here, as the ssh client does; the rest by the practice cloud
    (``POST /graders-lab/instances/<address>:22``, see graders/services/instances.py)."""
    import json
    from pathlib import Path

    path = Path(key_file) if Path(key_file).is_absolute() else aws.workdir / key_file
    if not path.exists():
        return "no_file", (SSH_NO_FILE, {"path": key_file})
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return "unprotected", (SSH_UNPROTECTED, {"mode": f"0{mode:o}", "path": key_file})
    request = urllib.request.Request(f"{aws.endpoint_url}{GATE}{address}:22", method="POST",
                                     data=json.dumps({"public_key": _public_of(path.read_bytes()) or "",
                                                      "command": command}).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    with _DIRECT.open(request, timeout=30) as response:   # noqa: S310 (the practice cloud on 127.0.0.1)
        answer = json.loads(response.read())
    result = answer.get("result")
    if result == "ok":
        return "ok", answer.get("output", "")
    if result == "denied":
        return "denied", (SSH_DENIED, {"user": "ec2-user", "address": address, "path": key_file,
                                       "key_name": answer.get("key_name") or "—"})
    why = {"unknown": SSH_WHY_UNKNOWN.render(aws.lang), "port-closed": SSH_WHY_CLOSED.render(aws.lang)}.get(
        result, SSH_WHY_STOPPED.render(aws.lang, state=answer.get("state", "")))
    return "timed_out", (SSH_TIMED_OUT, {"address": address, "why": why})


def ssh(aws: PracticeAccount, key_file: str, address: str, command: str = "hostname") -> None:
    """For the notebook: ``ssh -i key_file ec2-user@address command`` on the practice cloud (see ssh_attempt)."""
    how, result = ssh_attempt(aws, key_file, address, command)
    if how == "ok":
        print(SSH_CONNECTED.render(aws.lang, address=address, user="ec2-user", path=key_file, command=command))
        print(result)
    else:
        message, params = result
        print(message.render(aws.lang, **params))


Q8C_OK = M_("aws.8c.ok", "Key pair bakery-key is saved in {path}, readable by you only (0400); admin-1 was launched with it, port 22 is open to your computer only, and an SSH login with the key works.")
Q8C_NO_PAIR = M_("aws.8c.no_pair", "There is no key pair bakery-key in Tokyo. Create it with ec2.create_key_pair(KeyName=\"bakery-key\").")
Q8C_NO_FILE = M_("aws.8c.no_file", "There is no file bakery-key.pem next to this notebook. Write the KeyMaterial of create_key_pair's answer into it: AWS shows a private key only once.")
Q8C_WRONG_FILE = M_("aws.8c.wrong_file", "bakery-key.pem is not the private key of the key pair bakery-key (its public half does not match). Save the KeyMaterial of the answer of create_key_pair, exactly as it is.")
Q8C_KEY_OPEN = M_("aws.8c.key_open", "bakery-key.pem has the permissions {mode}: other users of this computer can read your private key, and ssh refuses to use it. Make it readable by you only: 0400.")
Q8C_KEY_WRITABLE = M_("aws.8c.key_writable", "bakery-key.pem has the permissions {mode}. Only you can read it, good; but AWS asks for 0400 (read only), so that nothing overwrites the only copy of your key by mistake.")
Q8C_NO_INSTANCE = M_("aws.8c.no_instance", "There is no running instance with the tag Name = admin-1 in Tokyo. Launch it with KeyName=\"bakery-key\".")
Q8C_NO_KEY = M_("aws.8c.no_key", "admin-1 ({instance}) was launched without the key pair bakery-key (its key pair: {key}). A key pair is chosen at launch: terminate it and launch it again with KeyName=\"bakery-key\".")
Q8C_SSH_WORLD = M_("aws.8c.ssh_world", "Port 22 (SSH) of admin-1 is open to the whole internet ({cidr}). Open it only to your computer: 127.0.0.1/32 on the practice cloud (\"My IP\" in the console).")
Q8C_SSH_CLOSED = M_("aws.8c.ssh_closed", "No security group of admin-1 allows port 22 from your computer (127.0.0.1/32), so ssh would wait and give up (\"Connection timed out\").")
Q8C_LOGIN = M_("aws.8c.login", "The SSH login to admin-1 failed: {detail}")


@questions("8c", evidence="outside")
def q8c(check: Check) -> None:
    aws = account(check)
    ec2 = aws.client("ec2")
    try:
        pair = ec2.describe_key_pairs(KeyNames=[KEY_NAME], IncludePublicKey=True)["KeyPairs"][0]
    except ClientError:
        check.stop(Q8C_NO_PAIR)
    path = aws.workdir / KEY_FILE
    if not path.exists():
        check.stop(Q8C_NO_FILE)
    if not _same_key(_public_of(path.read_bytes()), pair.get("PublicKey")):
        check.stop(Q8C_WRONG_FILE)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        check.stop(Q8C_KEY_OPEN, mode=f"0{mode:o}")
    check.expect(mode == 0o400, Q8C_KEY_WRITABLE, mode=f"0{mode:o}")
    running = [i for i in _instances(ec2, ADMIN) if i["State"]["Name"] == "running"]
    if not running:
        check.stop(Q8C_NO_INSTANCE)
    instance = running[0]
    if instance.get("KeyName") != KEY_NAME:
        check.stop(Q8C_NO_KEY, instance=instance["InstanceId"], key=instance.get("KeyName") or "—")
    ids = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
    rules = [r for g in (ec2.describe_security_groups(GroupIds=ids)["SecurityGroups"] if ids else [])
             for r in g.get("IpPermissions", []) if _covers(r, 22)]
    world = [s for r in rules for s in _sources(r) if s in ("0.0.0.0/0", "::/0")]
    if world:
        check.stop(Q8C_SSH_WORLD, cidr=world[0])
    how, result = ssh_attempt(aws, str(path), instance.get("PublicIpAddress", ""), "echo practice-ssh-ok")
    if how == "timed_out":
        check.stop(Q8C_SSH_CLOSED)
    if how != "ok" or "practice-ssh-ok" not in str(result):
        detail = result[0].render(check.lang, **result[1]) if how != "ok" else str(result)[:200]
        check.stop(Q8C_LOGIN, detail=detail)
    if all(p.ok for p in check.parts):
        check.ok(Q8C_OK, path=KEY_FILE)


HINTS.update({
    "8a": [M_("aws.8a.hint1", "Three things: user data that writes the page and starts a web server; port 80 of `site-sg` open to everyone; web-2 launched with that user data."),
           M_("aws.8a.hint2", "user_data is a text over several lines (three quotes). Its lines are the shell commands of the explanation above: make a folder, write index.html into it with echo and >, go into it with cd, start the server in the background with &. The rule for port 80 looks like the rule of exercise 4a."),
           M_("aws.8a.hint3", "The same pattern on other data: a script that writes a note and starts a server on port 8080 in the background:\n#!/bin/bash\nmkdir -p notes\necho \"Shop opens at 9\" > notes/today.txt\ncd notes\npython3 -m http.server 8080 &"),
           M_("aws.8a.hint4", "user_data = \"\"\"#!/bin/bash\nmkdir -p site\necho \"<h1>Hello from web-2</h1>\" > site/index.html\ncd site\npython3 -m http.server 80 &\n\"\"\"\nthen ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=[{\"IpProtocol\": \"tcp\", \"FromPort\": 80, \"ToPort\": 80, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}]) and result = ec2.run_instances(ImageId=image_id, InstanceType=\"t3.micro\", MinCount=1, MaxCount=1, SecurityGroupIds=[sg_id], UserData=user_data, TagSpecifications=[{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web-2\"}]}]); web_id = result[\"Instances\"][0][\"InstanceId\"]")],
    "8b": [M_("aws.8b.hint1", "Stop, do not terminate: exercise 4c did the same with web-1."),
           M_("aws.8b.hint2", "ec2.stop_instances(InstanceIds=[web_id])")],
    "8c": [M_("aws.8c.hint1", "Four steps: create the key pair; write its KeyMaterial into bakery-key.pem and make the file read-only for you; a security group admin-sg with port 22 for your computer only; admin-1 launched with KeyName."),
           M_("aws.8c.hint2", "Writing a file: with open(name, \"w\") as f: f.write(text), as in notebook 5. Permissions: os.chmod(name, 0o400). The rule for port 22 is like the office rule of exercise 4a, with 127.0.0.1/32."),
           M_("aws.8c.hint3", "key = ec2.create_key_pair(KeyName=\"bakery-key\"); with open(\"bakery-key.pem\", \"w\") as f: f.write(key[\"KeyMaterial\"]); os.chmod(\"bakery-key.pem\", 0o400); admin_sg = ec2.create_security_group(GroupName=\"admin-sg\", Description=\"SSH from my computer\", VpcId=vpc_id)[\"GroupId\"]; ec2.authorize_security_group_ingress(GroupId=admin_sg, IpPermissions=[{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"127.0.0.1/32\"}]}]); admin = ec2.run_instances(ImageId=image_id, InstanceType=\"t3.micro\", MinCount=1, MaxCount=1, KeyName=\"bakery-key\", SecurityGroupIds=[admin_sg], TagSpecifications=[{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"admin-1\"}]}]); admin_ip = admin[\"Instances\"][0][\"PublicIpAddress\"]")],
})
