"""The AWS lab's one door to the practice cloud: profiles, regions and ARNs as at work, always pointed at moto.

Every notebook starts with::

    from graders import Lab
    from labs.aws.helper import connect_aws

    lab = Lab("aws")
    aws = connect_aws(lab)

:func:`connect_aws` takes the moto server the lab runs for this learner (``lab.context["moto"]``: a private account
on 127.0.0.1, see ``graders/services/moto.py``) and

* writes ``aws-practice/config`` and ``aws-practice/credentials`` next to the notebook, the same two files
  ``aws configure`` writes at work, with the profile ``workshop`` (the account's administrator key), ``default``
  and any profile the learner saves (``aws.save_profile("dana", key)``). Every profile in it carries
  ``endpoint_url`` = the practice cloud and ``max_attempts = 1`` (an operation moto lacks fails once, clearly);
* makes this kernel forget any real AWS settings: every ``AWS_*`` variable (keys, ``AWS_PROFILE``, endpoint
  overrides ...) is removed, ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE`` point at the files above and
  ``AWS_ENDPOINT_URL`` at the practice cloud, so even a bare ``boto3.client("s3")`` goes there;
* turns on :mod:`labs.aws.guard` in ``"all"`` mode: no connection from this kernel may leave 127.0.0.1.

So the learner writes ``boto3.Session(profile_name="workshop").client("ec2")`` exactly as at work.

Checks (and graders, in their own process) use :meth:`PracticeAccount.from_context` and its :meth:`session` /
:meth:`client`: sessions built from explicit keys with every file and environment setting ignored, the endpoint
forced to the practice cloud, no proxy, one attempt, and the guard in ``"aws"`` mode.
"""
from __future__ import annotations

import configparser
import hashlib
import json
import os
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from graders.i18n import Domain

from . import guard

M_ = Domain.beside(__file__)

PROFILE = "workshop"
HOME_REGION = "ap-northeast-1"
FOLDER = "aws-practice"
PARTITION = "aws"

NO_CLOUD = M_("aws.helper.no_cloud", "The practice AWS cloud is not running, so this notebook cannot work. Restart the kernel (Kernel → Restart Kernel) and run the notebook from the top. If it happens again, tell your instructor.")
SUMMARY = M_("aws.helper.summary", "Practice AWS account {account} is ready. It is simulated on this computer: nothing goes to the internet and nothing costs money. Profile: `{profile}`, home region: `{region}` (Tokyo). Your settings are in the folder `{folder}`.")
CONFIG_HEADER = M_("aws.helper.config_header", "Made by the AWS lab for your practice account. At work this file is ~/.aws/{name}, written by `aws configure`. The endpoint_url lines send every request to the practice cloud on this computer; a real AWS file has no such line.")
SAVED_PROFILE = M_("aws.helper.saved_profile", "Saved the key {key_id} as profile `{profile}` in {path}. Use it with boto3.Session(profile_name=\"{profile}\").")
BAD_KEY = M_("aws.helper.bad_key", "save_profile needs the access key that create_access_key gave you, e.g. key = iam.create_access_key(UserName=\"dana\")[\"AccessKey\"]; then aws.save_profile(\"dana\", key).")
BAD_PROFILE_NAME = M_("aws.helper.bad_profile_name", "A profile name is one word of letters, digits, - or _ (for example \"dana\").")

STORY_LOST = M_("aws.story.lost_instance", "Story: last week a colleague launched a test server named `forgotten-test`. She says it is \"somewhere in AWS\", but it is not in the Tokyo console, and it costs money every hour. Find its region.")
NO_INSTANCE = M_("aws.helper.no_instance", "There is no server named `{name}` in Tokyo yet: do exercise {exercise} first (it launches it), then run this cell again.")
STORY_SCRATCH = M_("aws.story.scratch", "Story: a colleague launched a test server named `scratch-1` in Tokyo this morning. Nobody needs it any more.")
STORY_LEFTOVERS = M_("aws.story.leftovers", "Story: a colleague who left the team tested things in this account. Her notes say: \"Tokyo, {first}, {second} and {third}, I think.\" Things left behind keep costing money: servers, Elastic IP addresses, NAT gateways.")

# Regions the scenarios hide things in (never Tokyo, the home region); each learner gets others.
SCENARIO_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1",
                    "ap-southeast-1", "ap-southeast-2", "ap-south-1", "ap-northeast-2", "ap-northeast-3",
                    "ca-central-1", "sa-east-1"]
SCENARIO_IMAGE = "ami-04681a1dbd79675a5"   # Amazon Linux 2 in moto's image list, in every region

# What a client of the practice cloud never does: read proxies from the environment, retry, wait long.
_CONFIG_OPTIONS = {"retries": {"max_attempts": 1, "mode": "standard"}, "proxies": {}, "connect_timeout": 5,
                   "read_timeout": 60}


class NoPracticeCloud(RuntimeError):
    """The lab's moto service is not there (it could not start)."""


def suffix_regions(account_id: str, choices: list[str], count: int, salt: str) -> list[str]:
    """``count`` different regions from ``choices``, picked from the account id: each learner gets other ones."""
    ranked = sorted(choices, key=lambda r: hashlib.sha256(f"{salt}:{account_id}:{r}".encode()).hexdigest())
    return ranked[:count]


class PracticeAccount:
    """What a notebook and a check know about the learner's practice AWS account."""

    def __init__(self, url: str, account_id: str, admin_key: tuple[str, str], workdir: Path, lang: str = "en"):
        self.endpoint_url = url.rstrip("/")
        self.account_id = str(account_id)
        self._admin_key = admin_key
        self.workdir = Path(workdir)
        self.lang = lang
        self.profile = PROFILE
        self.region = HOME_REGION

    # --- making one -------------------------------------------------------------------------------------------------
    @classmethod
    def from_handle(cls, handle, workdir: Path, lang: str = "en") -> "PracticeAccount":
        return cls(handle.url, handle["account_id"], (handle["admin_access_key_id"], handle["admin_secret_access_key"]),
                   workdir, lang)

    @classmethod
    def from_context(cls, context: dict, lang: str = "en") -> "PracticeAccount":
        handle = context.get("moto")
        if handle is None or not getattr(handle, "url", None):
            raise NoPracticeCloud(NO_CLOUD.render(lang))
        return cls.from_handle(handle, Path(context.get("workdir", ".")), lang)

    # --- names the lab uses -------------------------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.workdir / FOLDER

    @property
    def config_file(self) -> Path:
        return self.folder / "config"

    @property
    def credentials_file(self) -> Path:
        return self.folder / "credentials"

    @property
    def admin_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:user/lab-admin"

    def bucket_name(self, purpose: str) -> str:
        """S3 bucket names are shared by every AWS customer in the world: teams add their account id."""
        return f"{purpose}-{self.account_id}"

    def object_url(self, bucket: str, key: str) -> str:
        """The plain HTTP address of an object in the practice cloud (path style: endpoint/bucket/key)."""
        return f"{self.endpoint_url}/{bucket}/{urllib.request.quote(key)}"

    def browser_url(self, bucket: str, key: str) -> str:
        """Where the learner's *browser* opens an object: through JupyterLab's route to the practice cloud under
        ``graders start`` or on a class hub (there 127.0.0.1 would be the learner's own computer), else the plain
        address (:meth:`object_url`, which the kernel itself uses)."""
        from graders.services.proxy import learner_url

        return learner_url(self.endpoint_url, f"{bucket}/{urllib.request.quote(key)}", name="moto")

    # --- the profile files -----------------------------------------------------------------------------------------
    def _profile_config(self) -> dict[str, str]:
        return {"region": self.region, "endpoint_url": self.endpoint_url, "max_attempts": "1",
                "retry_mode": "standard", "output": "json"}

    def write_profiles(self) -> None:
        """(Re)write our profiles; every other profile the learner saved keeps its keys, and gets our endpoint."""
        self.folder.mkdir(parents=True, exist_ok=True)
        credentials = _read_ini(self.credentials_file)
        config = _read_ini(self.config_file)
        key_id, secret = self._admin_key
        for name in ("default", PROFILE):
            credentials[name] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        for name in credentials.sections():
            section = "default" if name == "default" else f"profile {name}"
            if not config.has_section(section):
                config.add_section(section)
            for key, value in self._profile_config().items():
                config[section][key] = value
        _write_ini(self.credentials_file, credentials, CONFIG_HEADER.render(self.lang, name="credentials"))
        _write_ini(self.config_file, config, CONFIG_HEADER.render(self.lang, name="config"))

    def save_profile(self, name: str, access_key: Any) -> None:
        """Like ``aws configure --profile NAME`` at work: store a key (what create_access_key returned)."""
        if not (isinstance(name, str) and name and all(c.isalnum() or c in "-_" for c in name)):
            raise ValueError(BAD_PROFILE_NAME.render(self.lang))
        if isinstance(access_key, dict) and "AccessKey" in access_key:
            access_key = access_key["AccessKey"]
        try:
            key_id, secret = access_key["AccessKeyId"], access_key["SecretAccessKey"]
        except (TypeError, KeyError):
            raise ValueError(BAD_KEY.render(self.lang)) from None
        self.folder.mkdir(parents=True, exist_ok=True)
        credentials = _read_ini(self.credentials_file)
        credentials[name] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
        _write_ini(self.credentials_file, credentials, CONFIG_HEADER.render(self.lang, name="credentials"))
        self.write_profiles()
        print(SAVED_PROFILE.render(self.lang, key_id=key_id, profile=name, path=f"{FOLDER}/credentials"))

    def credentials_of(self, profile: str) -> dict | None:
        """The key stored for ``profile`` in the lab's credentials file, or None."""
        credentials = _read_ini(self.credentials_file)
        if not credentials.has_section(profile):
            return None
        section = credentials[profile]
        if not section.get("aws_access_key_id") or not section.get("aws_secret_access_key"):
            return None
        return {"aws_access_key_id": section["aws_access_key_id"],
                "aws_secret_access_key": section["aws_secret_access_key"],
                "aws_session_token": section.get("aws_session_token")}

    # --- sessions that can only reach the practice cloud ---------------------------------------------------------------
    def session(self, credentials: dict | None = None, *, profile: str | None = None):
        """A boto3 session with explicit keys (the administrator's unless given), blind to files and environment."""
        if profile is not None:
            credentials = self.credentials_of(profile)
            if credentials is None:
                raise KeyError(profile)
        if credentials is None:
            credentials = {"aws_access_key_id": self._admin_key[0], "aws_secret_access_key": self._admin_key[1]}
        return _isolated_session(self.endpoint_url, credentials)

    def client(self, service: str, region: str = HOME_REGION, *, credentials: dict | None = None,
               profile: str | None = None):
        session = self.session(credentials, profile=profile)
        return _client(session, self.endpoint_url, service, region)

    def regions(self) -> list[str]:
        """Every region of the account's partition, as ec2 describe_regions lists them."""
        regions = self.client("ec2").describe_regions()["Regions"]
        return sorted(r["RegionName"] for r in regions)

    def service_credentials(self, role_arn: str, service: str = "lambda.amazonaws.com") -> dict:
        """Temporary credentials of ``role_arn`` as ``service`` gets them (see graders/services/moto.py).

        Raises ``PermissionError`` when the role does not trust the service, ``LookupError`` when it does not exist."""
        data = json.dumps({"role_arn": role_arn, "service": service}).encode("utf-8")
        request = urllib.request.Request(self.endpoint_url + "/graders-lab/service-credentials", data=data,
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            with _no_proxy_opener().open(request, timeout=10) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 403:
                raise PermissionError(role_arn) from None
            raise LookupError(role_arn) from None
        return {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
                "aws_session_token": answer["SessionToken"]}

    def anonymous(self, method: str, bucket: str, key: str = "", body: bytes | None = None) -> tuple[int, bytes]:
        """An unsigned HTTP request, as a stranger's browser would make it: (status, body)."""
        url = self.object_url(bucket, key) if key else f"{self.endpoint_url}/{bucket}"
        request = urllib.request.Request(url, data=body, method=method)
        try:
            with _no_proxy_opener().open(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    # --- the stories some exercises start from ---------------------------------------------------------------------
    def lost_instance_region(self) -> str:
        return suffix_regions(self.account_id, SCENARIO_REGIONS, 1, "lost-instance")[0]

    def leftover_regions(self) -> list[str]:
        """Where the leftovers of notebook 6 are: three regions the story names, and one it does not."""
        return suffix_regions(self.account_id, SCENARIO_REGIONS, 4, "leftovers")

    def _launch(self, region: str, name: str, instance_type: str = "t3.micro") -> str:
        ec2 = self.client("ec2", region)
        tags = [{"Key": "Name", "Value": name}, {"Key": "Project", "Value": "workshop"}]
        reservation = ec2.run_instances(ImageId=SCENARIO_IMAGE, InstanceType=instance_type, MinCount=1, MaxCount=1,
                                        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        return reservation["Instances"][0]["InstanceId"]

    def setup_lost_instance(self) -> None:
        """Notebook 1: a running instance in a region the learner has to find."""
        self._launch(self.lost_instance_region(), "forgotten-test")
        print(STORY_LOST.render(self.lang))

    def find_instance(self, name: str, exercise: str) -> str | None:
        """The id of the server tagged Name=``name`` in Tokyo (the newest one not terminated), so a notebook goes on
        after the kernel was restarted and the learner's variables are gone; None, with what to do, if there is none."""
        found = self.client("ec2").describe_instances(Filters=[
            {"Name": "tag:Name", "Values": [name]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
        instances = [i for r in found["Reservations"] for i in r["Instances"]]
        if not instances:
            print(NO_INSTANCE.render(self.lang, name=name, exercise=exercise))
            return None
        return max(instances, key=lambda i: i["LaunchTime"])["InstanceId"]

    def setup_scratch_instance(self) -> None:
        """Notebook 4: a test instance in Tokyo that should be terminated."""
        self._launch(HOME_REGION, "scratch-1")
        print(STORY_SCRATCH.render(self.lang))

    def setup_leftovers(self) -> None:
        """Notebook 6: a protected instance in Tokyo, a stopped one, an unattached Elastic IP, a NAT gateway, and a
        running instance in a region the story does not name."""
        stopped, address, nat, unnamed = self.leftover_regions()
        demo = self._launch(HOME_REGION, "demo-web")
        self.client("ec2").modify_instance_attribute(InstanceId=demo, DisableApiTermination={"Value": True})
        old = self._launch(stopped, "old-test")
        self.client("ec2", stopped).stop_instances(InstanceIds=[old])
        self.client("ec2", address).allocate_address(Domain="vpc", TagSpecifications=[
            {"ResourceType": "elastic-ip", "Tags": [{"Key": "Name", "Value": "old-ip"}]}])
        ec2 = self.client("ec2", nat)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "old-nat"}]}])
        self._launch(unnamed, "gpu-experiment", "g5.xlarge")
        print(STORY_LEFTOVERS.render(self.lang, first=stopped, second=address, third=nat))

    # --- how it looks in the notebook --------------------------------------------------------------------------------
    def summary(self) -> str:
        return SUMMARY.render(self.lang, account=self.account_id, profile=self.profile, region=self.region,
                              folder=FOLDER)

    def __repr__(self) -> str:
        return "☁ " + self.summary()

    def _repr_html_(self) -> str:
        from graders.render import _inline
        return ('<div style="border-left:5px solid #ff9900;padding:6px 12px;background:#fffaf2">☁ '
                f"{_inline(self.summary())}</div>")


def connect_aws(lab) -> PracticeAccount:
    """The learner's practice account, with this kernel's AWS settings pointed at it (see the module docstring)."""
    handle = lab.context.get("moto") or lab.service("moto")
    lang = getattr(lab, "lang", "en")
    if handle is None:
        raise NoPracticeCloud(NO_CLOUD.render(lang))
    account = PracticeAccount.from_handle(handle, Path(lab.context.get("workdir", Path.cwd())), lang)
    guard.install("all")
    account.write_profiles()
    protect_environment(account)
    return account


def protect_environment(account: PracticeAccount) -> None:
    """This process forgets every real AWS setting and sends boto3 to the practice cloud (see module docstring)."""
    for name in [n for n in os.environ if n.startswith("AWS_") or n in ("BOTO_CONFIG",)]:
        del os.environ[name]
    os.environ.update({
        "AWS_CONFIG_FILE": str(account.config_file.resolve()),
        "AWS_SHARED_CREDENTIALS_FILE": str(account.credentials_file.resolve()),
        "AWS_ENDPOINT_URL": account.endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    })
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [h for h in os.environ.get(name, "").split(",") if h]
        os.environ[name] = ",".join(hosts + [h for h in ("127.0.0.1", "localhost") if h not in hosts])
    try:
        import boto3
        boto3.DEFAULT_SESSION = None
    except ImportError:
        pass


# --- internals -------------------------------------------------------------------------------------------------------

_lock = threading.Lock()
_SESSIONS: dict[tuple, Any] = {}
_CLIENTS: dict[tuple, Any] = {}
_EMPTY_CONFIG: str | None = None
_LOADER: Any = None     # botocore's data loader, shared: each new session would parse the service models again


def _empty_config() -> str:
    """A config file with an empty default profile, so no profile named in the environment is ever looked up."""
    global _EMPTY_CONFIG
    if _EMPTY_CONFIG is None or not Path(_EMPTY_CONFIG).exists():
        fd, path = tempfile.mkstemp(prefix="graders-aws-", suffix=".config")
        with os.fdopen(fd, "w") as f:
            f.write("[default]\n")
        _EMPTY_CONFIG = path
    return _EMPTY_CONFIG


def _isolated_session(endpoint_url: str, credentials: dict):
    import boto3
    import botocore.session

    guard.install("aws")
    key = (endpoint_url, credentials["aws_access_key_id"], credentials.get("aws_session_token"))
    with _lock:
        session = _SESSIONS.get(key)
        if session is None:
            global _LOADER
            core = botocore.session.Session()
            # temporary keys (5b, 5c) make a new session per check: share the parsed service models (read-only data
            # files of botocore), not credentials or settings, so that a new client costs ~10 ms, not ~150 ms
            core.set_config_variable("config_file", _empty_config())
            core.set_config_variable("credentials_file", os.devnull)
            core.set_config_variable("profile", "default")
            if _LOADER is None:
                _LOADER = core.get_component("data_loader")
            else:
                core.register_component("data_loader", _LOADER)
            session = boto3.Session(botocore_session=core, region_name=HOME_REGION,
                                    aws_access_key_id=credentials["aws_access_key_id"],
                                    aws_secret_access_key=credentials["aws_secret_access_key"],
                                    aws_session_token=credentials.get("aws_session_token"))
            if len(_SESSIONS) > 64:
                _SESSIONS.clear()
                _CLIENTS.clear()
            _SESSIONS[key] = session
    return session


def _client(session, endpoint_url: str, service: str, region: str):
    from botocore.config import Config

    key = (id(session), service, region)
    with _lock:
        client = _CLIENTS.get(key)
    if client is None:
        client = session.client(service, region_name=region, endpoint_url=endpoint_url,
                                config=Config(**_CONFIG_OPTIONS))
        with _lock:
            _CLIENTS[key] = client
    return client


def _no_proxy_opener():
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError):
        pass  # a file the learner broke by hand: start from what we can write again
    return parser


def _write_ini(path: Path, parser: configparser.ConfigParser, header: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write("".join(f"# {line}\n" for line in _wrap(header)) + "\n")
        parser.write(f)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _wrap(text: str, width: int = 100) -> list[str]:
    words, lines, line = text.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])
