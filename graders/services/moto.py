"""A private practice AWS cloud for the AWS lab: moto's server on 127.0.0.1, with IAM enforced as on AWS.

``SERVICE`` runs moto's own WSGI app (the one ``ThreadedMotoServer`` runs) in a thread of this process, listening on
127.0.0.1 only, with werkzeug's request log silenced. Every instance is a separate practice *account*:

* It has its own random 12-digit account id; every request that reaches this server is handled in that account
  (moto's ``x-moto-account-id``), so two instances in one process never see each other's resources, and ARNs look
  like a real account's.
* IAM is enforced from the first request (moto's ``INITIAL_NO_AUTH_ACTION_COUNT = 0``, the same switch as
  ``/moto-api/reset-auth``), so every call must be signed with a key moto knows, and is allowed or denied by the
  caller's policies. Before that, the account's administrator ``lab-admin`` and its key are created directly in
  moto's IAM backend (a new account has no key that could do it over HTTP); :meth:`info` hands the key to the lab.
* Lambda runs no code (no Docker): functions are stored and configured only.

A few small, documented additions make moto answer as AWS does where the lab relies on it (the IAM ones only change
behaviour while IAM is enforced, which in this module is always):

* An *anonymous* S3 request (no signature, e.g. a browser fetching a static website file) is allowed only when the
  bucket policy allows it to everyone (``"Principal": "*"``); moto itself fails such requests with HTTP 500 once IAM
  is enforced.
* DynamoDB requests are authorized against the table's ARN (moto checks them against ``*``), so a policy that
  allows ``dynamodb:PutItem`` on one table works for that table only; a denial comes back as DynamoDB's own JSON
  ``AccessDeniedException`` (moto sends an XML error that boto3 cannot read there).
* A signed GET/HEAD/DELETE without a body (Lambda's ``get_function``, ``list_functions`` ...) is checked against
  the empty body it was signed with (moto signs its form data instead and answers ``SignatureDoesNotMatch``).
* ``ec2 describe_regions`` lists the regions of the caller's partition only (moto adds GovCloud and China, which a
  normal account cannot use: a sweep over every listed region would fail there).
* ``ec2 run_instances(DisableApiTermination=True)`` turns termination protection on (moto ignores the flag at
  launch; ``modify_instance_attribute`` works without this).
* Deleting a NAT gateway lets go of its Elastic IP, as AWS does once the gateway is gone (moto keeps the address
  associated with the deleted gateway, so a clean-up would never see it as a forgotten, billed address).
* A region's EC2 starts with moto's general and latest Amazon images but without its 1,200 ECS-optimized images
  (a fifth of a second per region otherwise: a sweep over every region would take seconds longer).
* An instance launched with ``UserData`` runs it in a sandbox on this computer, and its port 80 answers at its public
  address while it runs and its security groups allow it (``instances.py``; route ``/graders-lab/instances/``).
* An API Gateway invoke URL (route ``/graders-lab/execute-api/``) runs the Lambda function of a proxy integration,
  and the function's output lands in CloudWatch Logs (``apigateway.py``); every signed call is recorded in
  CloudTrail's event format and ``cloudtrail.lookup_events`` answers from that history (``trail.py``).
* An operation moto has not implemented (or a moto error) answers with a readable AWS-style error, HTTP 501/500, in
  the service's own format, instead of an HTML page that boto3 reports as "invalid XML ... retries may succeed".

The host's AWS settings never reach moto: an ``AWS_PROFILE`` naming a profile that does not exist on this computer
makes moto fail on import (it builds boto3 sessions to list regions), so moto is imported, and the lab's services
loaded, with ``AWS_PROFILE``/``AWS_DEFAULT_PROFILE`` out of the environment for that moment.

And one route of the lab's own, outside the AWS API: ``POST /graders-lab/service-credentials`` with
``{"role_arn": ..., "service": "lambda.amazonaws.com"}`` returns temporary credentials for the role when its trust
policy lets that service assume it, as Lambda gets them to run a function (moto's STS would refuse the lab's
administrator, because the role trusts only the service). The checks run the learner's handler with them.

``POST /moto-api/reset`` empties this account and keeps its administrator key, so a learner's profile still works.
"""
from __future__ import annotations

import fnmatch
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from . import instances
from . import apigateway, trail
from .base import LOOPBACK, ThreadService

ADMIN_USER = "lab-admin"
ADMIN_POLICY = json.dumps({"Version": "2012-10-17",
                           "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
LAB_ROUTE = "/graders-lab/"

# the services the AWS lab uses, loaded when the service starts (see _prime_moto)
LAB_SERVICES = ("ec2", "s3", "iam", "sts", "dynamodb", "lambda", "sns", "cloudwatch", "budgets", "ssm", "logs",
                "apigateway", "cloudtrail")

_lock = threading.Lock()
_running: list["MotoService"] = []   # instances serving in this process (IAM enforcement is process-wide in moto)
_saved_auth_count: Any = None
_patched = False


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


# --- moto additions ------------------------------------------------------------------------------------------------

def _statement_list(document: Any) -> list[dict]:
    statements = (document or {}).get("Statement", [])
    return [statements] if isinstance(statements, dict) else [s for s in statements if isinstance(s, dict)]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcards (``*``, ``?``); actions compare without case, resources with."""
    fold = (lambda s: s.lower()) if ignore_case else (lambda s: s)
    return any(fnmatch.fnmatchcase(fold(value), fold(p)) for p in _as_list(patterns) if isinstance(p, str))


def _to_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


def anonymous_permission(policy: str | bytes | None, action: str, resource: str) -> bool:
    """May an unsigned request do ``action`` on ``resource`` under this bucket policy? (An explicit Deny wins;
    statements with a Condition are left out, since nothing here can evaluate them.)"""
    if not policy:
        return False
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    allowed = False
    for statement in _statement_list(document):
        if not _to_everyone(statement.get("Principal")) or statement.get("Condition"):
            continue
        if not (_matches(statement.get("Action"), action, ignore_case=True)
                and _matches(statement.get("Resource"), resource)):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def trusts_service(trust_policy: Any, service: str) -> bool:
    """Does a role's trust policy let ``service`` (e.g. lambda.amazonaws.com) call sts:AssumeRole?"""
    if isinstance(trust_policy, str):
        try:
            trust_policy = json.loads(trust_policy)
        except ValueError:
            return False
    for statement in _statement_list(trust_policy):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if (statement.get("Effect") == "Allow" and service in services
                and _matches(statement.get("Action"), "sts:AssumeRole", ignore_case=True)):
            return True
    return False


def _patch_moto() -> None:
    """Install the two additions described in the module docstring (once per process)."""
    global _patched
    if _patched:
        return
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import AccessDeniedError, JsonRESTError
    from moto.dynamodb.responses import DynamoHandler
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
    from moto.iam.access_control import IAMRequestBase, S3IAMRequest
    from moto.utilities.utils import get_partition

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate(self, iam_request_cls, resource="*"):
        from moto import settings
        enforced = ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT
        if enforced and "Authorization" not in self.headers:
            if iam_request_cls is S3IAMRequest:
                _authorize_anonymous_s3(self, resource)
                return
            from moto.core.exceptions import InvalidClientTokenIdError
            raise InvalidClientTokenIdError()
        try:
            return original(self, iam_request_cls, resource)
        except AccessDeniedError as exc:
            if getattr(self, "service_name", None) != "dynamodb":
                raise
            raise JsonRESTError("AccessDeniedException", f"{exc.message} on resource: {resource}") from None

    def determine_resource(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        table = body.get("TableName")
        if not table and isinstance(body.get("RequestItems"), dict) and body["RequestItems"]:
            table = next(iter(body["RequestItems"]))
        if not table:
            return "*"
        if str(table).startswith("arn:"):
            return str(table)
        return f"arn:{get_partition(self.region)}:dynamodb:{self.region}:{self.current_account}:table/{table}"

    from moto.ec2.responses.instances import InstanceResponse

    original_run = InstanceResponse.run_instances

    def run_instances(self):
        if str(self._get_param("DisableApiTermination") or "").lower() != "true":
            return original_run(self)
        backend = self.ec2_backend
        launch = backend.run_instances

        def launch_protected(*args, **kwargs):
            reservation = launch(*args, **kwargs)
            for instance in reservation.instances:
                instance.disable_api_termination = True
            return reservation

        backend.run_instances = launch_protected
        try:
            return original_run(self)
        finally:
            del backend.run_instances

    original_request = IAMRequestBase._create_aws_request

    def create_aws_request(self):
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original_request(self)
        data, self._data = self._data, b""
        try:
            return original_request(self)
        finally:
            self._data = data

    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original_delete_nat = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self, nat_gateway_id):
        gateway = original_delete_nat(self, nat_gateway_id)
        eni = getattr(gateway, "_eni", None)
        for address in list(getattr(self, "addresses", [])):
            if eni is not None and address.eni is eni and address.association_id:
                self.disassociate_address(association_id=address.association_id)
        return gateway

    from moto.ec2.models import amis as amis_module

    load_resource = amis_module.load_resource

    def load_resource_without_ecs(path, *args, **kwargs):
        if "ecs/optimized_amis" in str(path):
            raise FileNotFoundError(path)  # moto skips a region without such a file
        return load_resource(path, *args, **kwargs)

    amis_module.load_resource = load_resource_without_ecs

    original_regions = RegionsAndZonesBackend.describe_regions

    def describe_regions(self, region_names=None):
        partition = get_partition(self.region_name)
        return [r for r in original_regions(self, region_names) if get_partition(r.name) == partition]

    # Two lookups moto repeats on every request, answered the same way without the cost (they were ~a quarter of the
    # CPU of a describe call: check 6c asks 12 of them): whether the action is a method of the handler class (moto
    # lists all ~300 methods of EC2's handler with inspect.getmembers for that), and the folders of moto's package
    # (a listdir and ~150 stat calls, inside the dispatcher's lock, so parallel requests wait for each other).
    import moto.backends
    import moto.core.responses

    moto.core.responses.method_names_from_class = _FunctionNames
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate
    DynamoHandler._determine_resource = determine_resource
    RegionsAndZonesBackend.describe_regions = describe_regions
    InstanceResponse.run_instances = run_instances
    IAMRequestBase._create_aws_request = create_aws_request
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
    from . import instances
    instances.patch_moto()   # user data really runs, in a sandbox (see instances.py)
    _patched = True


class _FunctionNames:
    """What ``method_names_from_class(cls)`` answers for ``name in ...`` (a function of the class or of a base class,
    as ``inspect.getmembers(cls, inspect.isfunction)`` finds it), for the one name asked, looked up when asked."""

    def __init__(self, cls: type):
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        import inspect
        return isinstance(name, str) and inspect.isfunction(getattr(self.cls, name, None))


class _HostProfileHidden:
    """``AWS_PROFILE``/``AWS_DEFAULT_PROFILE`` out of the environment for a moment (restored afterwards)."""

    NAMES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")

    def __enter__(self):
        self.saved = {name: os.environ.pop(name) for name in self.NAMES if name in os.environ}

    def __exit__(self, *exc):
        os.environ.update(self.saved)


def _prime_moto() -> None:
    """Import moto and the lab's services, and build moto's cached boto3 session, with no host profile in sight."""
    with _HostProfileHidden():
        from moto.backends import get_backend
        from moto.core.base_backend import AccountSpecificBackend

        for service in LAB_SERVICES:
            get_backend("awslambda" if service == "lambda" else service)
        session = AccountSpecificBackend.get_session()
        for partition in session.get_available_partitions():
            session.get_available_regions("ec2", partition_name=partition)


def _authorize_anonymous_s3(response, resource: str) -> None:
    from moto.s3.exceptions import S3AccessDeniedError
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    action = "s3:" + str(response._get_action())
    bucket_name = resource.split(":::", 1)[-1].split("/", 1)[0]
    try:
        bucket = s3_backends[response.current_account][get_partition(response.region)].get_bucket(bucket_name)
        policy = bucket.policy
    except Exception:
        policy = None
    if not anonymous_permission(policy, action, resource):
        raise S3AccessDeniedError()


def _enforce_iam(on: bool) -> None:
    """Turn moto's IAM enforcement on for this process while any instance runs; restore it after the last."""
    global _saved_auth_count
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    if on:
        if _saved_auth_count is None:
            _saved_auth_count = settings.INITIAL_NO_AUTH_ACTION_COUNT
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0
    elif _saved_auth_count is not None:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = _saved_auth_count
        _saved_auth_count = None


# --- the service ------------------------------------------------------------------------------------------------------

class MotoService(ThreadService):
    """One practice AWS account on 127.0.0.1 (see the module docstring)."""

    name = "moto"
    health_path = "/moto-api/"   # the dashboard page: cheap (data.json serializes every resource)
    start_timeout = 30.0

    def __init__(self, port: int | None = None, host: str = LOOPBACK, account_id: str | None = None):
        super().__init__(port, host)
        # MOTO_ACCOUNT_ID (moto's own switch) outranks the per-request account, so honour it when it is set
        self.account_id = os.environ.get("MOTO_ACCOUNT_ID") or account_id or new_account_id()
        self.admin_key: tuple[str, str] | None = None

    @classmethod
    def for_workspace(cls, data_dir: Path) -> "MotoService":
        """The learner's account id is kept in their workspace, so ARNs and bucket names stay the same after a
        restart (moto keeps resources in memory only: after a restart the notebooks are run again)."""
        data_dir = Path(data_dir)
        path = data_dir / "account-id"
        try:
            account = path.read_text(encoding="utf-8").strip()
            if not (account.isdigit() and len(account) == 12):
                account = None
        except OSError:
            account = None
        if account is None:
            account = new_account_id()
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
                path.write_text(account, encoding="utf-8")
            except OSError:
                pass
        return cls(account_id=account)

    def info(self) -> dict:
        access_key, secret = self.admin_key or ("", "")
        return {"account_id": self.account_id, "admin_user": ADMIN_USER,
                "admin_access_key_id": access_key, "admin_secret_access_key": secret}

    # --- moto state of this account ---
    def _iam(self):
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition
        return iam_backends[self.account_id][get_partition("us-east-1")]

    def _create_admin(self) -> None:
        """The account's administrator and its key, made in moto's IAM backend (no request, so no signature)."""
        iam = self._iam()
        if ADMIN_USER not in iam.users:
            iam.create_user("us-east-1", ADMIN_USER)
            iam.put_user_policy(ADMIN_USER, "AdministratorAccess", ADMIN_POLICY)
        key = iam.create_access_key(ADMIN_USER)
        if self.admin_key is None:
            self.admin_key = (key.access_key_id, key.secret_access_key)
            return
        # after a reset: give the new key the old id and secret, so the learner's profile keeps working
        iam.access_keys.pop(key.physical_resource_id, None)
        key.access_key_id, key.secret_access_key = self.admin_key
        iam.access_keys[key.physical_resource_id] = key

    def reset(self) -> None:
        """Empty the account (moto resets every account of the process) and restore the administrator."""
        from moto.moto_api._internal.models import moto_api_backend
        with _lock:
            instances.stop_account(None)   # every account of the process is emptied
            moto_api_backend.reset()
            for service in _running:
                service._create_admin()
            trail.forget()

    # --- WSGI ---
    def make_app(self):
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)

        def app(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if path.startswith(LAB_ROUTE + instances.ROUTE):   # an instance's public address (instances.py)
                return instances.gate(self.account_id, environ, start_response,
                                      path[len(LAB_ROUTE + instances.ROUTE):])
            if path.startswith(LAB_ROUTE):
                return self._lab_route(environ, start_response)
            if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                self.reset()
                return _json(start_response, "200 OK", {"status": "ok"})
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
            try:
                return trail.recorded(self.account_id, environ, start_response, moto_app)
            except NotImplementedError as exc:
                return _aws_error(environ, start_response, "501 Not Implemented", "NotImplemented",
                                  f"The practice cloud (moto) cannot do this yet: {exc}. It works on real AWS.")
            except Exception as exc:  # a moto bug: one readable error for the learner, not an HTML page
                return _aws_error(environ, start_response, "500 Internal Server Error", "InternalError",
                                  f"The practice cloud (moto) failed on this request: {type(exc).__name__}: {exc}")

        return app

    def _lab_route(self, environ, start_response):
        path = environ["PATH_INFO"][len(LAB_ROUTE):]
        if path.startswith(apigateway.ROUTES):   # invoke URLs and Lambda test runs (graders/services/apigateway.py)
            return apigateway.route(self.account_id, self.url, environ, start_response, path)
        if path != "service-credentials" or environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "404 Not Found", {"error": "NotFound"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            role_arn, service = str(body["role_arn"]), str(body.get("service", "lambda.amazonaws.com"))
        except (ValueError, KeyError, TypeError):
            return _json(start_response, "400 Bad Request", {"error": "BadRequest"})
        try:
            role = self._iam().get_role_by_arn(role_arn)
        except Exception:
            return _json(start_response, "404 Not Found", {"error": "NoSuchEntity", "role_arn": role_arn})
        if not trusts_service(role.assume_role_policy_document, service):
            return _json(start_response, "403 Forbidden", {"error": "NotTrusted", "role_arn": role_arn,
                                                           "service": service})
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition
        sts = sts_backends[self.account_id][get_partition("us-east-1")]
        assumed = sts.assume_role(region_name="us-east-1", role_session_name=service.split(".")[0],
                                  role_arn=role_arn, policy=None, duration=900, external_id=None)
        return _json(start_response, "200 OK", {"AccessKeyId": assumed.access_key_id,
                                                "SecretAccessKey": assumed.secret_access_key,
                                                "SessionToken": assumed.session_token})

    # --- start / stop ---
    def request_handler(self):
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args, **kwargs) -> None:  # werkzeug logs every request otherwise
                pass

            def log(self, type: str, message: str, *args) -> None:
                if type == "error":
                    super().log(type, message, *args)

        return QuietHandler

    def _start(self) -> None:
        from moto.core.config import default_user_config

        with _lock:
            _prime_moto()
            _patch_moto()
            trail.patch()   # CloudTrail records every call (see trail.py)
            default_user_config["lambda"] = {"use_docker": False}   # store functions, never run containers
            default_user_config["iam"] = {"load_aws_managed_policies": True}  # AdministratorAccess & co exist
            self._create_admin()
            _enforce_iam(True)
            _running.append(self)
        super()._start()   # binds only now, to a port the system picks (moto's preparation above takes seconds)

    def _stop(self) -> None:
        super()._stop()
        instances.stop_account(self.account_id)
        with _lock:
            if self in _running:
                _running.remove(self)
            if not _running:   # the last practice account in this process: free moto's memory, stop enforcing
                from moto.moto_api._internal.models import moto_api_backend
                moto_api_backend.reset()
                _enforce_iam(False)


def _aws_error(environ, start_response, status: str, code: str, message: str):
    """An error boto3 can read: JSON for JSON-protocol services (DynamoDB, Lambda ...), XML otherwise."""
    from xml.sax.saxutils import escape

    content_type = environ.get("CONTENT_TYPE", "")
    if environ.get("HTTP_X_AMZ_TARGET") or "json" in content_type or environ.get("PATH_INFO", "").startswith("/20"):
        body = json.dumps({"__type": code, "message": message}).encode("utf-8")
        headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", code)]
    else:
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Errors>"
                f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error></Response>").encode("utf-8")
        headers = [("Content-Type", "text/xml")]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def _json(start_response, status: str, data: dict):
    body = json.dumps(data).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


SERVICE = MotoService
