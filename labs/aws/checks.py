"""AWS for beginners: the checks of the six notebooks.

Most questions look only at the learner's practice account (``evidence="outside"``): the resources in moto, the
profile file and the Lambda handler file next to the notebook. A grader can recompute them in its own process.
They test understanding, not only existence (the right principal, the narrowest action and resource, the right
region, the right flags), and name the exact resource and setting that is wrong. With grading-only data
(``check.hidden``) they probe further: actions and regions the notebook never mentioned.
"""
from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError

from graders.checks import (Check, GraderOnly, Questions, StopCheck, choice_key, judge_choices, judge_graded_only,
                            kind_of_value)
from graders.i18n import Domain

from . import policies, runner
from .helper import HOME_REGION, NoPracticeCloud, PracticeAccount

M_ = Domain.beside(__file__)
questions = Questions("aws")

NO_CLOUD = M_("aws.no_cloud", "The practice AWS cloud does not answer, so this cannot be checked. Restart the kernel and run the notebook from the top; if it happens again, tell your instructor.")
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                "AuthorizationError"}
BAD_KEY_CODES = {"InvalidClientTokenId", "AuthFailure", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                 "UnrecognizedClientException"}


def account(check: Check) -> PracticeAccount:
    try:
        return PracticeAccount.from_context(check.context, check.lang)
    except NoPracticeCloud:
        check.stop(NO_CLOUD)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def probe(client, call: str, params: dict) -> tuple[str, str]:
    """Try one call: ("allowed" | "denied" | "bad_key", detail). Anything but a denial means IAM let it through."""
    try:
        getattr(client, call)(**params)
        return "allowed", ""
    except ClientError as error:
        code = error_code(error)
        if code in DENIED_CODES:
            return "denied", code
        if code in BAD_KEY_CODES:
            return "bad_key", code
        return "allowed", code          # DryRunOperation, NoSuchEntity ...: permission was granted


def sweep_regions(aws: PracticeAccount, check: Check) -> list[str]:
    try:
        return aws.regions()
    except ClientError:
        check.stop(NO_CLOUD)


# =====================================================================================================================
# 1. Cloud basics and identity (the learner's own values, compared with the account)
# =====================================================================================================================

Q1A_OK_ACCOUNT = M_("aws.1a.ok_account", "`my_account` is your account ID, {account}.")
Q1A_OK_ARN = M_("aws.1a.ok_arn", "`my_arn` is the ARN of the identity that signs your requests: {arn}.")
Q1A_ACCOUNT_NUMBER = M_("aws.1a.account_number", "`my_account` is a number. Keep an account ID as text, the way get_caller_identity gives it: `identity[\"Account\"]`. (Account IDs can start with 0, and a number would lose it.)")
Q1A_ACCOUNT_USERID = M_("aws.1a.account_userid", "`my_account` is \"{value}\": that is the UserId, the internal ID of the user. The account ID is the 12-digit number in `identity[\"Account\"]`.")
Q1A_ACCOUNT_WRONG = M_("aws.1a.account_wrong", "`my_account` is \"{value}\", but your account ID is the 12-digit number in `identity[\"Account\"]`.")
Q1A_ARN_WRONG = M_("aws.1a.arn_wrong", "`my_arn` is \"{value}\". An ARN is the full name of a thing in AWS and starts with arn:aws: . Take it from `identity[\"Arn\"]`.")


@questions("1a")
def q1a(check: Check) -> None:
    aws = account(check)
    value = check.ns.get("my_account")
    if isinstance(value, int) and not isinstance(value, bool):
        check.fail(Q1A_ACCOUNT_NUMBER)
    else:
        value = check.value("my_account", str)
        if value.strip() == aws.account_id:
            check.ok(Q1A_OK_ACCOUNT, account=aws.account_id)
        elif value.strip() and not value.strip().isdigit() and not value.startswith("arn:"):
            check.fail(Q1A_ACCOUNT_USERID, value=value)
        else:
            check.fail(Q1A_ACCOUNT_WRONG, value=value)
    arn = check.value("my_arn", str)
    if arn.strip() == aws.admin_arn:
        check.ok(Q1A_OK_ARN, arn=arn)
    else:
        check.fail(Q1A_ARN_WRONG, value=arn)


Q1B_OK = M_("aws.1b.ok", "`osaka_zones` lists the {count} availability zone of Osaka: {zones}.", "`osaka_zones` lists the {count} availability zones of Osaka: {zones}.", count="count")
Q1B_OTHER_REGION = M_("aws.1b.other_region", "`osaka_zones` holds zones of {region}, not of Osaka. A client works in one region: the profile's region (Tokyo) unless you say otherwise. Create it with region_name=\"ap-northeast-3\".")
Q1B_NOT_NAMES = M_("aws.1b.not_names", "`osaka_zones` should be a list of zone names (text such as \"ap-northeast-3a\"), but item {position} is {actual}. Take `zone[\"ZoneName\"]` from each zone.")
Q1B_MISSING = M_("aws.1b.missing", "`osaka_zones` has {count} zone, but Osaka has {expected}: {zones}. Put every zone from describe_availability_zones in the list.", "`osaka_zones` has {count} zones, but Osaka has {expected}: {zones}. Put every zone from describe_availability_zones in the list.", count="count")
Q1B_WRONG = M_("aws.1b.wrong", "`osaka_zones` is {value}, but Osaka's zones are {zones}.")


@questions("1b")
def q1b(check: Check) -> None:
    aws = account(check)
    zones = check.value("osaka_zones", list)
    expected = sorted(z["ZoneName"] for z in
                      aws.client("ec2", "ap-northeast-3").describe_availability_zones()["AvailabilityZones"])
    for position, zone in enumerate(zones, start=1):
        if not isinstance(zone, str):
            from graders.checks import kind_of_value
            check.stop(Q1B_NOT_NAMES, position=position, actual=kind_of_value(zone, check.lang))
    given = sorted(z.strip() for z in zones)
    if given == expected:
        check.ok(Q1B_OK, count=len(expected), zones=", ".join(expected))
        return
    regions = {z.strip()[:-1] for z in zones if z.strip()}
    if len(regions) == 1 and regions != {"ap-northeast-3"}:
        check.fail(Q1B_OTHER_REGION, region=regions.pop())
    elif set(given) < set(expected):
        check.fail(Q1B_MISSING, count=len(given), expected=len(expected), zones=", ".join(expected))
    else:
        check.fail(Q1B_WRONG, value=", ".join(given) or "[]", zones=", ".join(expected))


Q1C_OK = M_("aws.1c.ok", "Found it: `forgotten-test` runs in {region}. The console shows one region at a time, so it was out of sight, but not free.")
Q1C_NONE = M_("aws.1c.none", "`found_region` is None: your search did not find the instance. Look in every region that describe_regions lists, not only in Tokyo, with a client for each region.")
Q1C_TOKYO = M_("aws.1c.tokyo", "`found_region` is \"ap-northeast-1\", but the instance is not in Tokyo: that is why the console did not show it. Search the other regions too.")
Q1C_ZONE = M_("aws.1c.zone", "`found_region` is \"{value}\": that is an availability zone (a region code plus a letter). Give the region, without the letter at the end.")
Q1C_WRONG = M_("aws.1c.wrong", "`found_region` is \"{value}\", but `forgotten-test` is not there. Check that you look for the tag Name = forgotten-test, and that you keep the region where it was found.")


@questions("1c")
def q1c(check: Check) -> None:
    aws = account(check)
    actual = aws.lost_instance_region()
    if check.ns.get("found_region", "missing") is None:
        check.stop(Q1C_NONE)
    value = check.value("found_region", str).strip()
    if value == actual:
        check.ok(Q1C_OK, region=actual)
    elif value == actual + value[-1:] and value[-1:].isalpha():
        check.fail(Q1C_ZONE, value=value)
    elif value == HOME_REGION:
        check.fail(Q1C_TOKYO)
    else:
        check.fail(Q1C_WRONG, value=value)


# =====================================================================================================================
# 2. IAM: least privilege, checked with the learner's own new key and IAM enforced
# =====================================================================================================================

USER, GROUP = "dana", "operators"
NEEDED = ["ec2:DescribeInstances", "ec2:StartInstances", "ec2:StopInstances"]
NOT_NEEDED = ["ec2:RunInstances", "ec2:TerminateInstances", "ec2:ModifyInstanceAttribute",
              "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:DeleteVolume",
              "iam:CreateUser", "iam:AttachUserPolicy", "iam:CreateAccessKey", "s3:ListAllMyBuckets", "s3:GetObject"]
PROBE_INSTANCE = "i-0123456789abcdef0"

Q2A_OK = M_("aws.2a.ok", "User `dana` is a member of the group `operators`.")
Q2A_NO_USER = M_("aws.2a.no_user", "There is no IAM user `dana`. Create her with iam.create_user(UserName=\"dana\").")
Q2A_NO_GROUP = M_("aws.2a.no_group", "There is no IAM group `operators`. Create it with iam.create_group(GroupName=\"operators\").")
Q2A_NOT_MEMBER = M_("aws.2a.not_member", "`dana` is not in the group `operators` (her groups: {groups}). Add her with iam.add_user_to_group(GroupName=\"operators\", UserName=\"dana\").")


@questions("2a", evidence="outside")
def q2a(check: Check) -> None:
    iam = account(check).client("iam")
    try:
        iam.get_user(UserName=USER)
    except ClientError:
        check.fail(Q2A_NO_USER)
    try:
        iam.get_group(GroupName=GROUP)
    except ClientError:
        check.stop(Q2A_NO_GROUP)
    if check.parts:
        return
    groups = [g["GroupName"] for g in iam.list_groups_for_user(UserName=USER)["Groups"]]
    check.expect(GROUP in groups, Q2A_NOT_MEMBER, ok=Q2A_OK, groups=", ".join(groups) or "—")


Q2B_OK = M_("aws.2b.ok", "The group `operators` allows exactly what Dana needs: {actions}.")
Q2B_NO_GROUP = M_("aws.2b.no_group", "There is no group `operators` yet, so it has no policy. Do exercise 2a first.")
Q2B_NO_POLICY = M_("aws.2b.no_policy", "The group `operators` has no policy, so its members may do nothing at all. Create the policy and attach it with iam.attach_group_policy(GroupName=\"operators\", PolicyArn=...).")
Q2B_ON_USER = M_("aws.2b.on_user", "The policy `{policy}` is attached to the user dana herself. Attach permissions to the group `operators` instead: when someone joins or leaves the team you change one group, not every person.")
Q2B_ADMIN = M_("aws.2b.admin", "The policy `{policy}` allows every action on everything (\"*\"): Dana could delete servers and data, create users and keys, and see the bills. Give the group only the three EC2 actions she needs.")
Q2B_EC2_ALL = M_("aws.2b.ec2_all", "The policy `{policy}` allows every EC2 action (ec2:*), including RunInstances (new servers that cost money) and TerminateInstances (deleting servers for good). List only ec2:DescribeInstances, ec2:StartInstances and ec2:StopInstances.")
Q2B_MISSING = M_("aws.2b.missing", "The group's policies do not allow {actions}, which Dana needs to do her job. Add it to the policy's \"Action\" list.")
Q2B_TOO_BROAD = M_("aws.2b.too_broad", "The group's policies also allow {actions}, which Dana does not need. Least privilege: allow only what the job needs.")


def _everything_ec2(document) -> bool:
    return policies.allows([document], "ec2:RunInstances") and policies.allows([document], "ec2:DeleteVpc")


@questions("2b", evidence="outside")
def q2b(check: Check) -> None:
    iam = account(check).client("iam")
    try:
        on_user = policies.user_policies(iam, USER)
    except ClientError:
        on_user = []
    for policy in on_user:
        check.fail(Q2B_ON_USER, policy=policy.name)
    try:
        on_group = policies.group_policies(iam, GROUP)
    except ClientError:
        check.stop(Q2B_NO_GROUP)
    if not on_group:
        check.stop(Q2B_NO_POLICY)
    for policy in on_group:
        if policy.arn == policies.ADMIN_ARN or policies.grants_everything(policy.document):
            check.fail(Q2B_ADMIN, policy=policy.name)
        elif _everything_ec2(policy.document):
            check.fail(Q2B_EC2_ALL, policy=policy.name)
    if check.parts and not all(p.ok for p in check.parts):
        return
    documents = [p.document for p in on_group]
    missing = [a for a in NEEDED if not policies.allows(documents, a)]
    if missing:
        check.fail(Q2B_MISSING, actions=", ".join(missing))
    extra = [a for a in NOT_NEEDED if policies.allows(documents, a)]
    if extra:
        check.fail(Q2B_TOO_BROAD, actions=", ".join(extra))
    if not missing and not extra:
        check.ok(Q2B_OK, actions=", ".join(NEEDED))


Q2C_OK = M_("aws.2c.ok", "Dana has an MFA device: {serial}.")
Q2C_NOT_ENABLED = M_("aws.2c.not_enabled", "A virtual MFA device exists, but it is not enabled for dana. Enable it with iam.enable_mfa_device(UserName=\"dana\", SerialNumber=..., AuthenticationCode1=..., AuthenticationCode2=...).")
Q2C_NONE = M_("aws.2c.none", "Dana has no MFA device. Create a virtual one (iam.create_virtual_mfa_device) and enable it for her (iam.enable_mfa_device).")


@questions("2c", evidence="outside")
def q2c(check: Check) -> None:
    iam = account(check).client("iam")
    try:
        devices = iam.list_mfa_devices(UserName=USER)["MFADevices"]
    except ClientError:
        check.stop(Q2A_NO_USER)
    if devices:
        check.ok(Q2C_OK, serial=devices[0]["SerialNumber"])
        return
    virtual = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    check.fail(Q2C_NOT_ENABLED if virtual else Q2C_NONE)


Q2D_NO_PROFILE = M_("aws.2d.no_profile", "There is no profile `dana` in aws-practice/credentials. Create Dana's access key and save it: key = iam.create_access_key(UserName=\"dana\")[\"AccessKey\"], then aws.save_profile(\"dana\", key).")
Q2D_BAD_KEY = M_("aws.2d.bad_key", "The key in profile `dana` is not accepted ({code}): it was deleted, or it belongs to an older practice account. Create a new key for dana and save it again.")
Q2D_NOT_DANA = M_("aws.2d.not_dana", "The key in profile `dana` belongs to {arn}, not to dana. Save the key that iam.create_access_key(UserName=\"dana\") gave you.")
Q2D_ALLOWED_OK = M_("aws.2d.allowed_ok", "With her own key, Dana can {action}.")
Q2D_DENIED_OK = M_("aws.2d.denied_ok", "With her own key, Dana is refused {action}.")
Q2D_NEEDS = M_("aws.2d.needs", "With her own key, Dana is refused {action} ({code}), but she needs it to do her job. Check the group's policy.")
Q2D_TOO_MUCH = M_("aws.2d.too_much", "With her own key, Dana is allowed {action}. She must not be: remove it from the group's policy (and look for \"*\" in its actions).")


def _probes(check: Check, client_for, cases, want: str) -> None:
    for case in cases:
        client = client_for(case.get("service", "ec2"), case.get("region", HOME_REGION))
        outcome, code = probe(client, case["call"], case.get("params", {}))
        if outcome == "bad_key":
            check.stop(Q2D_BAD_KEY, code=code)
        if want == "allowed":
            check.expect(outcome == "allowed", Q2D_NEEDS, ok=Q2D_ALLOWED_OK, action=case["action"], code=code)
        else:
            check.expect(outcome == "denied", Q2D_TOO_MUCH, ok=Q2D_DENIED_OK, action=case["action"])


DANA_MAY = [
    {"action": "ec2:DescribeInstances", "call": "describe_instances", "params": {}},
    {"action": "ec2:StartInstances", "call": "start_instances",
     "params": {"InstanceIds": [PROBE_INSTANCE], "DryRun": True}},
    {"action": "ec2:StopInstances", "call": "stop_instances",
     "params": {"InstanceIds": [PROBE_INSTANCE], "DryRun": True}},
]
DANA_MAY_NOT = [
    {"action": "ec2:RunInstances", "call": "run_instances",
     "params": {"ImageId": "ami-04681a1dbd79675a5", "MinCount": 1, "MaxCount": 1, "DryRun": True}},
    {"action": "ec2:TerminateInstances", "call": "terminate_instances",
     "params": {"InstanceIds": [PROBE_INSTANCE], "DryRun": True}},
]


@questions("2d", evidence="outside")
def q2d(check: Check) -> None:
    aws = account(check)
    credentials = aws.credentials_of(USER)
    if credentials is None:
        check.stop(Q2D_NO_PROFILE)
    try:
        arn = aws.client("sts", credentials=credentials).get_caller_identity()["Arn"]
    except ClientError as error:
        check.stop(Q2D_BAD_KEY, code=error_code(error))
    if not arn.endswith(f":user/{USER}"):
        check.stop(Q2D_NOT_DANA, arn=arn)

    def client_for(service, region):
        return aws.client(service, region, credentials=credentials)

    _probes(check, client_for, DANA_MAY, "allowed")
    _probes(check, client_for, DANA_MAY_NOT, "denied")
    if check.hidden:  # grading: actions and regions the notebook never mentioned must be refused too
        with check.hidden_part():
            _probes(check, client_for, check.hidden.get("must_be_denied", []), "denied")


# =====================================================================================================================
# 3. S3
# =====================================================================================================================

PRIVATE, WEBSITE = "team-files", "website"
FLAGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]

Q3A_OK = M_("aws.3a.ok", "Bucket `{bucket}` exists in Tokyo (ap-northeast-1).")
Q3A_MISSING = M_("aws.3a.missing", "There is no bucket `{bucket}`. Create it with s3.create_bucket(Bucket=private_bucket, CreateBucketConfiguration={{\"LocationConstraint\": \"ap-northeast-1\"}}).")
Q3A_SIMILAR = M_("aws.3a.similar", "There is no bucket `{bucket}`, but there is `{found}`. Use the name in the variable `private_bucket`: it ends with your account ID, because bucket names are shared by every AWS customer in the world.")
Q3A_REGION = M_("aws.3a.region", "Bucket `{bucket}` is in {region}, not in Tokyo. A bucket cannot move: delete it (s3.delete_bucket) and create it again with CreateBucketConfiguration={{\"LocationConstraint\": \"ap-northeast-1\"}}.")


def _bucket_region(s3, bucket: str) -> str | None:
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError:
        return None
    return location or "us-east-1"


def _bucket_in_tokyo(check: Check, aws: PracticeAccount, purpose: str, ok=None) -> str:
    s3 = aws.client("s3")
    bucket = aws.bucket_name(purpose)
    region = _bucket_region(s3, bucket)
    if region is None:
        names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
        similar = [n for n in names if n.startswith(purpose)]
        if similar:
            check.stop(Q3A_SIMILAR, bucket=bucket, found=similar[0])
        check.stop(Q3A_MISSING, bucket=bucket)
    if region != HOME_REGION:
        check.stop(Q3A_REGION, bucket=bucket, region=region)
    if ok is not None:
        check.ok(ok, bucket=bucket)
    return bucket


@questions("3a", evidence="outside")
def q3a(check: Check) -> None:
    _bucket_in_tokyo(check, account(check), PRIVATE, Q3A_OK)


Q3B_OK_BLOCK = M_("aws.3b.ok_block", "All four Block Public Access settings are on for `{bucket}`.")
Q3B_NO_BLOCK = M_("aws.3b.no_block", "Bucket `{bucket}` has no Block Public Access settings. Turn on all four with s3.put_public_access_block(...).")
Q3B_FLAG_OFF = M_("aws.3b.flag_off", "Block Public Access of `{bucket}`: {flags} is off. For a private bucket, all four settings must be True.")
Q3B_OK_ENCRYPTION = M_("aws.3b.ok_encryption", "Default encryption of `{bucket}` is on ({algorithm}).")
Q3B_NO_ENCRYPTION = M_("aws.3b.no_encryption", "Bucket `{bucket}` has no default encryption. Set it with s3.put_bucket_encryption(...) and SSEAlgorithm \"AES256\".")
Q3B_OK_VERSIONING = M_("aws.3b.ok_versioning", "Versioning of `{bucket}` is on: an overwritten or deleted file can be brought back.")
Q3B_NO_VERSIONING = M_("aws.3b.no_versioning", "Versioning of `{bucket}` is {status}. Turn it on with s3.put_bucket_versioning(Bucket=..., VersioningConfiguration={{\"Status\": \"Enabled\"}}).")
Q3B_PUBLIC_POLICY = M_("aws.3b.public_policy", "The bucket policy of `{bucket}` lets anyone on the internet read files. A private bucket needs no such policy: remove it with s3.delete_bucket_policy.")
Q3B_PUBLIC_ACL = M_("aws.3b.public_acl", "The access list (ACL) of `{bucket}` gives rights to {grantee}. A private bucket gives rights to its owner only.")
Q3B_OK_STRANGER = M_("aws.3b.ok_stranger", "A stranger without a key is refused when reading a file in `{bucket}`.")
Q3B_STRANGER = M_("aws.3b.stranger", "A stranger without a key could read a file in `{bucket}` (HTTP {status}). Nothing in a private bucket may be public.")

PUBLIC_GROUPS = {"http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers"}


@questions("3b", evidence="outside")
def q3b(check: Check) -> None:
    aws = account(check)
    bucket = _bucket_in_tokyo(check, aws, PRIVATE)
    s3 = aws.client("s3")
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        off = [flag for flag in FLAGS if not block.get(flag)]
        check.expect(not off, Q3B_FLAG_OFF, ok=Q3B_OK_BLOCK, bucket=bucket, flags=", ".join(off))
    except ClientError:
        check.fail(Q3B_NO_BLOCK, bucket=bucket)
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        check.ok(Q3B_OK_ENCRYPTION, bucket=bucket, algorithm=algorithm)
    except (ClientError, KeyError, IndexError):
        check.fail(Q3B_NO_ENCRYPTION, bucket=bucket)
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status") or "off"
    check.expect(status == "Enabled", Q3B_NO_VERSIONING, ok=Q3B_OK_VERSIONING, bucket=bucket, status=status)
    if check.hidden:  # grading: nothing in the private bucket may be public, by policy, ACL or in practice
        with check.hidden_part():
            try:
                document = s3.get_bucket_policy(Bucket=bucket)["Policy"]
            except ClientError:
                document = None
            from graders.services.moto import anonymous_permission
            if anonymous_permission(document, "s3:GetObject", f"arn:aws:s3:::{bucket}/anything"):
                check.fail(Q3B_PUBLIC_POLICY, bucket=bucket)
            for grant in s3.get_bucket_acl(Bucket=bucket).get("Grants", []):
                uri = grant.get("Grantee", {}).get("URI", "")
                if uri in PUBLIC_GROUPS:
                    check.fail(Q3B_PUBLIC_ACL, bucket=bucket, grantee=PUBLIC_GROUPS[uri])
            status_code, _ = aws.anonymous("GET", bucket, check.hidden.get("probe_key", "probe.txt"))
            check.expect(status_code == 403, Q3B_STRANGER, ok=Q3B_OK_STRANGER, bucket=bucket, status=status_code)


Q3C_OK_POLICY = M_("aws.3c.ok_policy", "The policy of `{bucket}` lets everyone read its files (s3:GetObject on {resource}) and nothing more.")
Q3C_NO_POLICY = M_("aws.3c.no_policy", "Bucket `{bucket}` has no bucket policy, so nobody outside your account can read the website. Add one with s3.put_bucket_policy.")
Q3C_NOT_PUBLIC = M_("aws.3c.not_public", "The policy of `{bucket}` does not give s3:GetObject to everyone. The website needs a statement with \"Principal\": \"*\", \"Action\": \"s3:GetObject\" and \"Resource\": \"arn:aws:s3:::{bucket}/*\".")
Q3C_TOO_MUCH = M_("aws.3c.too_much", "The policy of `{bucket}` lets everyone do {actions}: strangers could change or delete your website. Allow only \"s3:GetObject\".")
Q3C_RESOURCE = M_("aws.3c.resource", "The policy's Resource is \"{resource}\". s3:GetObject works on the files inside the bucket, so write \"arn:aws:s3:::{bucket}/*\" (with /* at the end), not the bucket itself and not every bucket.")
Q3C_BLOCKED = M_("aws.3c.blocked", "Block Public Access of `{bucket}` has {flags} on. On real AWS that blocks (or ignores) your public policy and the website stays closed. For a website bucket turn off BlockPublicPolicy and RestrictPublicBuckets, and keep the two ACL settings on.")
Q3C_NO_INDEX = M_("aws.3c.no_index", "There is no file `index.html` in `{bucket}`. Upload it with s3.upload_file(\"index.html\", site_bucket, \"index.html\", ExtraArgs={{\"ContentType\": \"text/html\"}}).")
Q3C_CONTENT_TYPE = M_("aws.3c.content_type", "`index.html` was uploaded with ContentType \"{content_type}\". A browser then downloads it instead of showing the page: upload it again with ExtraArgs={{\"ContentType\": \"text/html\"}}.")
Q3C_NO_WEBSITE = M_("aws.3c.no_website", "Bucket `{bucket}` is not set up as a website. Call s3.put_bucket_website(Bucket=site_bucket, WebsiteConfiguration={{\"IndexDocument\": {{\"Suffix\": \"index.html\"}}}}).")
Q3C_OK_VISITOR = M_("aws.3c.ok_visitor", "A visitor without any key gets your page: HTTP {status}.")
Q3C_VISITOR = M_("aws.3c.visitor", "A visitor without any key gets HTTP {status} for index.html instead of your page. Check the bucket policy.")
STRANGER_ACTIONS = {
    "upload": M_("aws.3c.what.upload", "upload files (PUT)"),
    "delete": M_("aws.3c.what.delete", "delete files (DELETE)"),
    "list": M_("aws.3c.what.list", "list every file (GET on the bucket)"),
}
Q3C_OK_STRANGER = M_("aws.3c.ok_stranger", "A stranger without a key cannot {what} in `{bucket}`.")
Q3C_STRANGER_CAN = M_("aws.3c.stranger_can", "A stranger without a key can {what} in `{bucket}` (HTTP {status}). A public website must be read-only: allow only s3:GetObject.")


@questions("3c", evidence="outside")
def q3c(check: Check) -> None:
    aws = account(check)
    bucket = _bucket_in_tokyo(check, aws, WEBSITE)
    s3 = aws.client("s3")
    resource = f"arn:aws:s3:::{bucket}/*"
    try:
        document = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError:
        document = None
    if document is None:
        check.fail(Q3C_NO_POLICY, bucket=bucket)
    else:
        from graders.services.moto import anonymous_permission
        public = [s for s in policies.statements(document) if s.get("Effect") == "Allow" and
                  (s.get("Principal") == "*" or s.get("Principal") == {"AWS": "*"})]
        actions = sorted({a for s in public for a in policies._list(s.get("Action"))})
        resources = sorted({r for s in public for r in policies._list(s.get("Resource"))})
        writes = [a for a in ("s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy", "s3:DeleteBucket")
                  if policies.allows([{"Statement": public}], a, resource)
                  or policies.allows([{"Statement": public}], a, f"arn:aws:s3:::{bucket}")]
        if writes:
            check.fail(Q3C_TOO_MUCH, bucket=bucket, actions=", ".join(a for a in actions))
        elif not anonymous_permission(document, "s3:GetObject", f"arn:aws:s3:::{bucket}/index.html"):
            wrong = [r for r in resources if r != resource]
            if public and wrong:
                check.fail(Q3C_RESOURCE, bucket=bucket, resource=wrong[0])
            else:
                check.fail(Q3C_NOT_PUBLIC, bucket=bucket)
        elif any(r != resource for r in resources):
            check.fail(Q3C_RESOURCE, bucket=bucket, resource=next(r for r in resources if r != resource))
        else:
            check.ok(Q3C_OK_POLICY, bucket=bucket, resource=resource)
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        on = [flag for flag in ("BlockPublicPolicy", "RestrictPublicBuckets") if block.get(flag)]
        if on:
            check.fail(Q3C_BLOCKED, bucket=bucket, flags=", ".join(on))
    except ClientError:
        pass  # no settings on the bucket: nothing blocks the policy
    try:
        head = s3.head_object(Bucket=bucket, Key="index.html")
        content_type = head.get("ContentType", "")
        check.expect(content_type.startswith("text/html"), Q3C_CONTENT_TYPE, content_type=content_type)
    except ClientError:
        check.fail(Q3C_NO_INDEX, bucket=bucket)
    try:
        s3.get_bucket_website(Bucket=bucket)
    except ClientError:
        check.fail(Q3C_NO_WEBSITE, bucket=bucket)
    status, _ = aws.anonymous("GET", bucket, "index.html")
    check.expect(status == 200, Q3C_VISITOR, ok=Q3C_OK_VISITOR, status=status)
    if check.hidden:  # grading: a stranger may read, but never write, delete or list
        with check.hidden_part():
            for case in check.hidden.get("stranger_must_not", []):
                body = case.get("body", "").encode() if case["method"] == "PUT" else None
                status, _ = aws.anonymous(case["method"], bucket, case.get("key", ""), body)
                what = STRANGER_ACTIONS[case["what"]].render(check.lang)
                check.expect(status in (401, 403, 405), Q3C_STRANGER_CAN, ok=Q3C_OK_STRANGER, bucket=bucket,
                             what=what, status=status)


# =====================================================================================================================
# 4. EC2 and security groups
# =====================================================================================================================

OFFICE = "203.0.113.25/32"
WORLD = {"0.0.0.0/0", "::/0"}

Q4A_OK_HTTP = M_("aws.4a.ok_http", "Security group `web-sg` lets everyone reach port 80 (the website).")
Q4A_OK_SSH = M_("aws.4a.ok_ssh", "Port 22 (SSH) is open only to the office address {cidr}.")
Q4A_MISSING = M_("aws.4a.missing", "There is no security group `web-sg` in Tokyo. Create it with ec2.create_security_group(GroupName=\"web-sg\", Description=..., VpcId=vpc_id).")
Q4A_REGION = M_("aws.4a.region", "Security group `web-sg` is in {region}, not in Tokyo. A security group protects servers in its own region only: create it in ap-northeast-1.")
Q4A_NO_HTTP = M_("aws.4a.no_http", "`web-sg` has no rule that opens port 80 to everyone (0.0.0.0/0), so nobody could open the website.")
Q4A_SSH_WORLD = M_("aws.4a.ssh_world", "Port 22 (SSH) is open to the whole internet ({cidr}). Robots try passwords on such ports all day. Allow port 22 only from the office: {office}.")
Q4A_SSH_OTHER = M_("aws.4a.ssh_other", "Port 22 is open to {cidr}, but the office address is {office}. \"/32\" means exactly one address; a smaller number after the slash opens a whole range.")
Q4A_NO_SSH = M_("aws.4a.no_ssh", "`web-sg` has no rule for port 22 from the office ({office}), so the team could not log in to the server.")
Q4A_OK_CLOSED = M_("aws.4a.ok_closed", "No other port of `web-sg` is open to the whole internet, over IPv4 or IPv6.")
Q4A_OPEN_TOO_MUCH = M_("aws.4a.open_too_much", "`web-sg` opens {ports} to everyone ({cidr}). Open only port 80 (and 443 for HTTPS) to the world.")


def _covers(rule: dict, port: int) -> bool:
    if str(rule.get("IpProtocol")) == "-1":
        return True
    if str(rule.get("IpProtocol")) not in ("tcp", "6"):
        return False
    return rule.get("FromPort", -1) <= port <= rule.get("ToPort", -1)


def _sources(rule: dict) -> list[str]:
    return ([r["CidrIp"] for r in rule.get("IpRanges", []) if "CidrIp" in r]
            + [r["CidrIpv6"] for r in rule.get("Ipv6Ranges", []) if "CidrIpv6" in r])


def _find_in_regions(aws: PracticeAccount, check: Check, find) -> str | None:
    """The first region (other than Tokyo) where ``find(region)`` is true; only used when a thing is missing."""
    for region in sweep_regions(aws, check):
        if region != HOME_REGION and find(region):
            return region
    return None


def _security_group(check: Check, aws: PracticeAccount) -> dict:
    def groups(region):
        return aws.client("ec2", region).describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["web-sg"]}])["SecurityGroups"]

    found = groups(HOME_REGION)
    if not found:
        region = _find_in_regions(aws, check, lambda r: bool(groups(r)))
        check.stop(Q4A_REGION if region else Q4A_MISSING, region=region)
    return found[0]


def _world_ports(rules: list[dict], allowed: set[int]) -> tuple[list[str], str]:
    opened, cidr = [], ""
    for rule in rules:
        world = [s for s in _sources(rule) if s in WORLD]
        if not world:
            continue
        if str(rule.get("IpProtocol")) == "-1":
            return ["0-65535"], world[0]
        low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
        if low == high and low in allowed:
            continue
        opened.append(str(low) if low == high else f"{low}-{high}")
        cidr = world[0]
    return opened, cidr


@questions("4a", evidence="outside")
def q4a(check: Check) -> None:
    aws = account(check)
    group = _security_group(check, aws)
    rules = group.get("IpPermissions", [])
    http = any(_covers(r, 80) and "0.0.0.0/0" in _sources(r) for r in rules)
    check.expect(http, Q4A_NO_HTTP, ok=Q4A_OK_HTTP)
    ssh_rules = [r for r in rules if _covers(r, 22)]
    visible_world = [s for r in ssh_rules for s in _sources(r) if s == "0.0.0.0/0"]
    if visible_world:
        check.fail(Q4A_SSH_WORLD, cidr=visible_world[0], office=OFFICE)
    else:
        sources = [s for r in ssh_rules if r.get("FromPort") == 22 == r.get("ToPort") for s in _sources(r)]
        if OFFICE in sources:
            check.ok(Q4A_OK_SSH, cidr=OFFICE)
        elif sources:
            check.fail(Q4A_SSH_OTHER, cidr=sources[0], office=OFFICE)
        else:
            check.fail(Q4A_NO_SSH, office=OFFICE)
    if check.hidden:  # grading: IPv6, port ranges, "all traffic" and other ports count too
        with check.hidden_part():
            world_ssh = [s for r in ssh_rules for s in _sources(r) if s in WORLD]
            if world_ssh and not visible_world:
                check.fail(Q4A_SSH_WORLD, cidr=world_ssh[0], office=OFFICE)
            opened, cidr = _world_ports(rules, set(check.hidden.get("world_may_reach", [80, 443])))
            check.expect(not opened, Q4A_OPEN_TOO_MUCH, ok=Q4A_OK_CLOSED, ports=", ".join(opened), cidr=cidr)


Q4B_OK = M_("aws.4b.ok", "Instance web-1 ({instance}) is in Tokyo: a {type} with the tags Name and Project, in `web-sg`, protected against termination.")
Q4B_MISSING = M_("aws.4b.missing", "There is no instance with the tag Name = web-1 in Tokyo. Launch it with ec2.run_instances(..., TagSpecifications=[...]) and give it the tag Name = web-1.")
Q4B_REGION = M_("aws.4b.region", "Instance web-1 is in {region}, not in Tokyo. Servers stay in the region where you launch them: terminate it there and launch it in ap-northeast-1.")
Q4B_GONE = M_("aws.4b.gone", "Instance web-1 ({instance}) is terminated: it is gone for good. Launch web-1 again.")
Q4B_DUPLICATES = M_("aws.4b.duplicates", "There is {count} instance named web-1 ({instances}). Every one of them costs money: terminate the extra ones and keep one.", "There are {count} instances named web-1 ({instances}). Every one of them costs money: terminate the extra ones and keep one.", count="count")
Q4B_TAG = M_("aws.4b.tag", "Instance web-1 has no tag Project = workshop (its tags: {tags}). Tags tell everyone who owns a server and which budget pays for it.")
Q4B_TYPE = M_("aws.4b.type", "Instance web-1 is a {type}. The task asks for a t3.micro: a bigger type costs more every hour for a small website.")
Q4B_GROUP = M_("aws.4b.group", "The security groups of instance web-1 are {groups}, not `web-sg`. Launch it with SecurityGroupIds=[sg_id].")
Q4B_PROTECTION = M_("aws.4b.protection", "Termination protection of web-1 ({instance}) is off, so one wrong click deletes it. Turn it on: ec2.modify_instance_attribute(InstanceId=web_id, DisableApiTermination={{\"Value\": True}}).")


def _instances(client, name: str) -> list[dict]:
    reservations = client.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def _alive(instances: list[dict]) -> list[dict]:
    return [i for i in instances if i["State"]["Name"] not in ("terminated", "shutting-down")]


def _tags(instance: dict) -> dict:
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def _web_1(check: Check, aws: PracticeAccount) -> dict:
    ec2 = aws.client("ec2")
    found = _instances(ec2, "web-1")
    alive = _alive(found)
    if not found:
        region = _find_in_regions(aws, check, lambda r: bool(_alive(_instances(aws.client("ec2", r), "web-1"))))
        check.stop(Q4B_REGION if region else Q4B_MISSING, region=region)
    if not alive:
        check.stop(Q4B_GONE, instance=found[-1]["InstanceId"])
    if len(alive) > 1:
        check.stop(Q4B_DUPLICATES, count=len(alive), instances=", ".join(i["InstanceId"] for i in alive))
    return alive[0]


@questions("4b", evidence="outside")
def q4b(check: Check) -> None:
    aws = account(check)
    instance = _web_1(check, aws)
    ec2 = aws.client("ec2")
    tags = _tags(instance)
    check.expect(tags.get("Project") == "workshop", Q4B_TAG,
                 tags=", ".join(f"{k} = {v}" for k, v in tags.items()) or "—")
    check.expect(instance["InstanceType"] == "t3.micro", Q4B_TYPE, type=instance["InstanceType"])
    groups = [g["GroupName"] for g in instance.get("SecurityGroups", [])]
    check.expect("web-sg" in groups, Q4B_GROUP, groups=", ".join(groups) or "—")
    protected = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="disableApiTermination")
    check.expect(protected["DisableApiTermination"]["Value"], Q4B_PROTECTION, instance=instance["InstanceId"])
    if all(p.ok for p in check.parts):
        check.ok(Q4B_OK, instance=instance["InstanceId"], type=instance["InstanceType"])


Q4C_OK_STOPPED = M_("aws.4c.ok_stopped", "web-1 is stopped: it keeps its disk and settings, and costs no computing time until Monday.")
Q4C_OK_TERMINATED = M_("aws.4c.ok_terminated", "scratch-1 is terminated: it is deleted and costs nothing any more.")
Q4C_RUNNING = M_("aws.4c.running", "web-1 is {state}. It should be stopped for the weekend: ec2.stop_instances(InstanceIds=[web_id]).")
Q4C_WEB_GONE = M_("aws.4c.web_gone", "web-1 was terminated, so it is deleted with its disk, for good. To pause a server, stop it; terminate only what you never need again. Launch web-1 again (exercise 4b), then stop it.")
Q4C_SCRATCH_STOPPED = M_("aws.4c.scratch_stopped", "scratch-1 is only stopped. A stopped server still pays for its disk every month; nobody needs it, so terminate it.")
Q4C_SCRATCH_RUNNING = M_("aws.4c.scratch_running", "scratch-1 is still {state}. Find its ID with describe_instances and a filter on the tag Name = scratch-1, then terminate it.")
Q4C_NO_SCRATCH = M_("aws.4c.no_scratch", "There is no instance scratch-1. Run the cell above the exercise that sets up the story, then try again.")


@questions("4c", evidence="outside")
def q4c(check: Check) -> None:
    aws = account(check)
    ec2 = aws.client("ec2")
    web = _instances(ec2, "web-1")
    alive = _alive(web)
    if web and not alive:
        check.fail(Q4C_WEB_GONE)
    elif not web:
        check.fail(Q4B_MISSING)
    else:
        states = sorted({i["State"]["Name"] for i in alive})
        check.expect(states == ["stopped"], Q4C_RUNNING, ok=Q4C_OK_STOPPED,
                     state=", ".join(s for s in states if s != "stopped") or states[0])
    scratch = _instances(ec2, "scratch-1")
    if not scratch:
        check.fail(Q4C_NO_SCRATCH)
        return
    states = {i["State"]["Name"] for i in scratch} - {"terminated"}
    if not states:
        check.ok(Q4C_OK_TERMINATED)
    elif states == {"stopped"}:
        check.fail(Q4C_SCRATCH_STOPPED)
    else:
        check.fail(Q4C_SCRATCH_RUNNING, state=", ".join(sorted(states)))


# =====================================================================================================================
# 5. Serverless: DynamoDB, a role for Lambda, the function (its handler run here as Lambda would run it)
# =====================================================================================================================

TABLE, ROLE, FUNCTION = "notes", "notes-function-role", "save-note"
TABLE_ACTIONS = ["dynamodb:PutItem", "dynamodb:GetItem"]
LOG_ACTIONS = {"logs:createloggroup", "logs:createlogstream", "logs:putlogevents"}
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

Q5A_OK = M_("aws.5a.ok", "Table `notes` is in Tokyo, keyed by note_id (text), billed per request.")
Q5A_MISSING = M_("aws.5a.missing", "There is no DynamoDB table `notes` in Tokyo. Create it with dynamodb.create_table(...).")
Q5A_REGION = M_("aws.5a.region", "Table `notes` is in {region}, not in Tokyo. Your function will run in Tokyo and look for it there: create the table in ap-northeast-1.")
Q5A_KEY = M_("aws.5a.key", "Table `notes` is keyed by {key}. The task asks for a partition key `note_id` of type S (text): a table's key cannot be changed later, so delete the table and create it again.")
Q5A_BILLING = M_("aws.5a.billing", "Table `notes` uses provisioned capacity: you pay for reserved reads and writes every hour, even when nobody uses it. Use BillingMode=\"PAY_PER_REQUEST\".")


@questions("5a", evidence="outside")
def q5a(check: Check) -> None:
    aws = account(check)

    def describe(region):
        try:
            return aws.client("dynamodb", region).describe_table(TableName=TABLE)["Table"]
        except ClientError:
            return None

    table = describe(HOME_REGION)
    if table is None:
        region = _find_in_regions(aws, check, lambda r: describe(r) is not None)
        check.stop(Q5A_REGION if region else Q5A_MISSING, region=region)
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    keys = [(k["AttributeName"], k["KeyType"]) for k in table.get("KeySchema", [])]
    key_text = ", ".join(f"{name} ({types.get(name, '?')}, {kind})" for name, kind in keys)
    check.expect(keys == [("note_id", "HASH")] and types.get("note_id") == "S", Q5A_KEY, key=key_text)
    mode = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    check.expect(mode == "PAY_PER_REQUEST", Q5A_BILLING)
    if all(p.ok for p in check.parts):
        check.ok(Q5A_OK)


Q5B_OK_TRUST = M_("aws.5b.ok_trust", "Role `notes-function-role` can be used by the Lambda service (lambda.amazonaws.com) only.")
Q5B_OK_PERMISSIONS = M_("aws.5b.ok_permissions", "The role may only PutItem and GetItem, on the table notes ({table_arn}).")
Q5B_MISSING = M_("aws.5b.missing", "There is no IAM role `notes-function-role`. Create it with iam.create_role(RoleName=..., AssumeRolePolicyDocument=json.dumps(trust_policy)).")
Q5B_TRUST_OTHER = M_("aws.5b.trust_other", "The trust policy of `notes-function-role` lets {principal} use the role, but not Lambda. The Principal must be {{\"Service\": \"lambda.amazonaws.com\"}}.")
Q5B_TRUST_ANYONE = M_("aws.5b.trust_anyone", "The trust policy of `{role}` lets anyone (\"*\") take the role, even people in other AWS accounts. Trust only the Lambda service: {{\"Service\": \"lambda.amazonaws.com\"}}.")
Q5B_NO_PERMISSIONS = M_("aws.5b.no_permissions", "Role `notes-function-role` has no permission policy, so the function could not write to the table. Add one with iam.put_role_policy(...).")
Q5B_ADMIN = M_("aws.5b.admin", "The role's policy `{policy}` allows every action on everything. If someone broke into the function, they could do anything in the account. Allow only dynamodb:PutItem and dynamodb:GetItem.")
Q5B_ACTIONS_MISSING = M_("aws.5b.actions_missing", "The role does not allow {actions} on the table notes; the function needs it.")
Q5B_ACTIONS_EXTRA = M_("aws.5b.actions_extra", "The role also allows {actions}. The function only saves and reads notes: allow only dynamodb:PutItem and dynamodb:GetItem.")
Q5B_ANY_TABLE = M_("aws.5b.any_table", "The role's DynamoDB permissions have Resource \"{resource}\", which means every table in the account. Use the ARN of the table notes: {table_arn}.")
Q5B_OTHER_TABLE = M_("aws.5b.other_table", "The role's DynamoDB permissions name {resource}, but the table notes is {table_arn}. Copy the TableArn from describe_table.")
Q5B_CAN = M_("aws.5b.can", "Acting as the role, the function can {action}.")
Q5B_CANNOT = M_("aws.5b.cannot", "Acting as the role, the function is refused {action} ({code}), but it needs it.")
Q5B_REFUSED = M_("aws.5b.refused", "Acting as the role, the function is refused {action}, as it should be.")
Q5B_SHOULD_NOT = M_("aws.5b.should_not", "Acting as the role, the function is allowed {action}. It must be refused: narrow the role's policy.")


def _table_arn(aws: PracticeAccount) -> str:
    return f"arn:aws:dynamodb:{HOME_REGION}:{aws.account_id}:table/{TABLE}"


def _role_probes(check: Check, aws: PracticeAccount, credentials: dict, cases: list[dict], want: str) -> None:
    for case in cases:
        client = aws.client(case.get("service", "dynamodb"), case.get("region", HOME_REGION),
                            credentials=credentials)
        outcome, code = probe(client, case["call"], case.get("params", {}))
        if want == "allowed":
            check.expect(outcome == "allowed", Q5B_CANNOT, ok=Q5B_CAN, action=case["action"], code=code)
        else:
            check.expect(outcome == "denied", Q5B_SHOULD_NOT, ok=Q5B_REFUSED, action=case["action"])


ROLE_MAY = [
    {"action": "dynamodb:PutItem (notes)", "call": "put_item",
     "params": {"TableName": TABLE, "Item": {"note_id": {"S": "checker-probe"}, "text": {"S": "probe"}}}},
    {"action": "dynamodb:GetItem (notes)", "call": "get_item",
     "params": {"TableName": TABLE, "Key": {"note_id": {"S": "checker-probe"}}}},
]
ROLE_MAY_NOT = [
    {"action": "dynamodb:DeleteItem (notes)", "call": "delete_item",
     "params": {"TableName": TABLE, "Key": {"note_id": {"S": "checker-probe-missing"}}}},
]


@questions("5b", evidence="outside")
def q5b(check: Check) -> None:
    aws = account(check)
    runner.prestart(_runner_env(aws), str(aws.workdir))   # 5c, next, runs the handler: have a runner ready for it
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName=ROLE)["Role"]
    except ClientError:
        check.stop(Q5B_MISSING)
    trust = policies.as_document(role.get("AssumeRolePolicyDocument"))
    principals = [s.get("Principal") for s in policies.statements(trust) if s.get("Effect") == "Allow"]
    if any(p == "*" or (isinstance(p, dict) and "*" in policies._list(p.get("AWS"))) for p in principals):
        check.fail(Q5B_TRUST_ANYONE, role=ROLE)
    else:
        from graders.services.moto import trusts_service
        if trusts_service(trust, "lambda.amazonaws.com"):
            check.ok(Q5B_OK_TRUST)
        else:
            shown = json.dumps(principals[0] if principals else None)
            check.fail(Q5B_TRUST_OTHER, principal=shown)
    attached = policies.role_policies(iam, ROLE)
    dynamo = [p for p in attached if p.arn != BASIC_EXECUTION]
    if not dynamo:
        check.stop(Q5B_NO_PERMISSIONS)
    table_arn = _table_arn(aws)
    for policy in dynamo:
        if policy.arn == policies.ADMIN_ARN or policies.grants_everything(policy.document):
            check.stop(Q5B_ADMIN, policy=policy.name)
    documents = [p.document for p in dynamo]
    resources = sorted({r for d in documents for r in policies.resources_of(d, "dynamodb:")})
    wide = [r for r in resources if r in ("*", "arn:aws:dynamodb:*:*:table/*") or r.endswith(":table/*")]
    if wide:
        check.fail(Q5B_ANY_TABLE, resource=wide[0], table_arn=table_arn)
    elif resources and table_arn not in resources:
        check.fail(Q5B_OTHER_TABLE, resource=", ".join(resources), table_arn=table_arn)
    missing = [a for a in TABLE_ACTIONS if not policies.allows(documents, a, table_arn)]
    if missing:
        check.fail(Q5B_ACTIONS_MISSING, actions=", ".join(missing))
    extra = sorted({a for d in documents for a in policies.actions_of(d)
                    if a.lower() not in {x.lower() for x in TABLE_ACTIONS} and a.lower() not in LOG_ACTIONS})
    if extra:
        check.fail(Q5B_ACTIONS_EXTRA, actions=", ".join(extra))
    if not (wide or missing or extra or (resources and table_arn not in resources)):
        check.ok(Q5B_OK_PERMISSIONS, table_arn=table_arn)
    # as Lambda would: the role's own temporary credentials, with IAM enforced
    try:
        credentials = aws.service_credentials(role["Arn"])
    except (PermissionError, LookupError):
        return  # the trust policy part above already says why Lambda could not use the role
    _role_probes(check, aws, credentials, ROLE_MAY, "allowed")
    _role_probes(check, aws, credentials, ROLE_MAY_NOT, "denied")
    if check.hidden:  # grading: other actions, other tables, other services
        with check.hidden_part():
            _role_probes(check, aws, credentials, check.hidden.get("must_be_denied", []), "denied")


Q5C_OK_CONFIG = M_("aws.5c.ok_config", "Function save-note: {runtime}, handler {handler}, role notes-function-role, TABLE_NAME = notes.")
Q5C_OK_RUN = M_("aws.5c.ok_run", "Run as Lambda would run it (with the role's permissions), your handler saved the note \"{note_id}\" and answered statusCode 200.")
Q5C_MISSING = M_("aws.5c.missing", "There is no Lambda function `save-note` in Tokyo. Create it with lambda_client.create_function(FunctionName=\"save-note\", ...).")
Q5C_REGION = M_("aws.5c.region", "Function save-note is in {region}, not in Tokyo, far from its table. Create it in ap-northeast-1.")
Q5C_RUNTIME = M_("aws.5c.runtime", "The function's runtime is {runtime}; your handler is Python, so use a Python runtime such as \"python3.12\".")
Q5C_ROLE = M_("aws.5c.role", "The function uses the role {role}. Give it notes-function-role ({expected}), the role you made for it.")
Q5C_NO_FILE = M_("aws.5c.no_file", "The handler setting says the code is in {module}.py, but there is no such file next to this notebook. Handler is \"file name without .py\" + \".\" + \"function name\": here \"notes_handler.lambda_handler\".")
Q5C_NO_FUNCTION = M_("aws.5c.no_function", "{module}.py has no function `{function}` (the part of Handler after the dot). Write def {function}(event, context): in the file, or fix the Handler setting.")
Q5C_SYNTAX = M_("aws.5c.syntax", "{module}.py cannot be read by Python: {error}. Fix the line it names, run the %%writefile cell again, then deploy again.")
Q5C_ENV = M_("aws.5c.env", "The function has no environment variable TABLE_NAME = notes (it has: {variables}). Your handler reads the table name from it: add Environment={{\"Variables\": {{\"TABLE_NAME\": \"notes\"}}}}.")
Q5C_RAISED = M_("aws.5c.raised", "Run as Lambda would run it, your handler stopped with an error: {error}")
Q5C_DENIED = M_("aws.5c.denied", "Run as Lambda would run it, your handler was refused by AWS: {error}. The function works with the role's permissions, not yours: check the role's policy.")
Q5C_TIMEOUT = M_("aws.5c.timeout", "Your handler did not finish within {seconds} second. Look for a loop that never ends.", "Your handler did not finish within {seconds} seconds. Look for a loop that never ends.", count="seconds")
Q5C_ANSWER = M_("aws.5c.answer", "Your handler answered {answer}. It should answer a dictionary with \"statusCode\": 200.")
Q5C_HELD_BACK = M_("aws.5c.held_back", "Your function sets {names}. Variables whose names start with PYTHON or LD_ change how Python itself starts, so they could run code before the practice cloud's safety guard is on. So the practice cloud starts your handler without them and sets them only afterwards: your handler still finds them in os.environ. (On AWS Lambda, Python would start with them.)")
Q5C_NOT_SAVED = M_("aws.5c.not_saved", "Your handler answered, but the note \"{note_id}\" is not in the table notes (found: {found}). Save event[\"note_id\"] and event[\"text\"] with put_item.")

def _function(check: Check, aws: PracticeAccount) -> dict:
    def get(region):
        try:
            return aws.client("lambda", region).get_function_configuration(FunctionName=FUNCTION)
        except ClientError:
            return None

    config = get(HOME_REGION)
    if config is None:
        region = _find_in_regions(aws, check, lambda r: get(r) is not None)
        check.stop(Q5C_REGION if region else Q5C_MISSING, region=region)
    return config


def _runner_env(aws: PracticeAccount) -> dict[str, str]:
    """The part of the handler's environment that is the same for every run in this folder (a spare runner starts
    with it)."""
    return {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HOME": str(aws.workdir)}


def run_handler(aws: PracticeAccount, config: dict, credentials: dict, events: list[dict],
                timeout: float = 20.0) -> list[dict] | None:
    """Run the learner's handler in a separate, limited process, as Lambda would: the function's environment
    variables, the role's temporary credentials, the practice cloud as the only endpoint. None: it timed out.
    (A spare runner started ahead takes the job when one is ready: labs/aws/runner.py; a new one is started for
    the next run.)"""
    env = _runner_env(aws)
    env.update({"HANDLER_DIR": str(aws.workdir), "HANDLER": config.get("Handler", ""), "EVENTS": json.dumps(events)})
    at_start, after_guard = runner.held_back(config.get("Environment", {}).get("Variables", {}))
    env.update(at_start)
    if after_guard:    # PYTHON*/LD_*: they could run code before the guard (see labs/aws/runner.py)
        env[runner.AFTER_GUARD] = json.dumps(after_guard)
    env.update({"AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
                "AWS_SESSION_TOKEN": credentials["aws_session_token"],
                "AWS_REGION": HOME_REGION, "AWS_DEFAULT_REGION": HOME_REGION,
                "AWS_ENDPOINT_URL": aws.endpoint_url, "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_MAX_ATTEMPTS": "1", "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    try:
        done = runner.run(env, str(aws.workdir), timeout)
    finally:
        runner.prestart(_runner_env(aws), str(aws.workdir))     # for the next run (a re-run, the hidden events)
    if done is None:
        return None
    stdout, stderr = done
    for line in reversed(stdout.splitlines()):
        if line.startswith(runner.RESULT):
            return json.loads(line[len(runner.RESULT):])
    last = (stderr.strip().splitlines() or ["no output"])[-1]
    return [{"ok": False, "error": last}]


def _run_and_verify(check: Check, aws: PracticeAccount, config: dict, credentials: dict, events: list[dict]) -> None:
    results = run_handler(aws, config, credentials, events)
    if results is None:
        check.stop(Q5C_TIMEOUT, seconds=20)
    table = aws.client("dynamodb")
    for event, result in zip(events, results):
        if not result["ok"]:
            error = result["error"]
            check.stop(Q5C_DENIED if "AccessDenied" in error else Q5C_RAISED, error=error)
        answer = result["answer"]
        if not (isinstance(answer, dict) and answer.get("statusCode") == 200):
            check.stop(Q5C_ANSWER, answer=json.dumps(answer, ensure_ascii=False, default=str)[:200])
        item = table.get_item(TableName=TABLE, Key={"note_id": {"S": event["note_id"]}}).get("Item")
        text = (item or {}).get("text", {}).get("S")
        if text != event["text"]:
            found = json.dumps(item, ensure_ascii=False)[:200] if item else "—"
            check.stop(Q5C_NOT_SAVED, note_id=event["note_id"], found=found)
        check.ok(Q5C_OK_RUN, note_id=event["note_id"])


@questions("5c", evidence="outside")
def q5c(check: Check) -> None:
    aws = account(check)
    config = _function(check, aws)
    runtime, handler = config.get("Runtime", ""), config.get("Handler", "")
    check.expect(runtime.startswith("python3"), Q5C_RUNTIME, runtime=runtime or "—")
    expected_role = f"arn:aws:iam::{aws.account_id}:role/{ROLE}"
    check.expect(config.get("Role") == expected_role, Q5C_ROLE, role=config.get("Role"), expected=expected_role)
    variables = config.get("Environment", {}).get("Variables", {})
    check.expect(variables.get("TABLE_NAME") == TABLE, Q5C_ENV,
                 variables=", ".join(f"{k} = {v}" for k, v in variables.items()) or "—")
    module, _, function = handler.rpartition(".")
    source = aws.workdir / f"{module.replace('.', '/')}.py"
    if not module or not source.is_file():
        check.stop(Q5C_NO_FILE, module=module or handler)
    try:
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except SyntaxError as error:
        check.stop(Q5C_SYNTAX, module=module, error=f"line {error.lineno}: {error.msg}")
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    if function not in names:
        check.stop(Q5C_NO_FUNCTION, module=module, function=function)
    if not all(p.ok for p in check.parts):
        return
    check.ok(Q5C_OK_CONFIG, runtime=runtime, handler=handler)
    try:
        credentials = aws.service_credentials(config["Role"])
    except (PermissionError, LookupError):
        check.stop(Q5C_ROLE, role=config.get("Role"), expected=expected_role)
    held = runner.held_back(variables)[1]
    if held:
        check.ok(Q5C_HELD_BACK, names=", ".join(sorted(held)))
    events = [{"note_id": f"check-{uuid.uuid4().hex[:8]}", "text": "Hello from the checker"}]
    if check.hidden:
        events += [dict(e, note_id=f"{e['note_id']}-{uuid.uuid4().hex[:6]}") for e in check.hidden.get("events", [])]
    visible, hidden = events[:1], events[1:]
    _run_and_verify(check, aws, config, credentials, visible)
    if hidden:  # grading: other texts (other alphabets, emoji) must round-trip too
        with check.hidden_part():
            _run_and_verify(check, aws, config, credentials, hidden)


# =====================================================================================================================
# 6. Cost and clean-up
# =====================================================================================================================

BILLING_REGION = "us-east-1"

Q6A_OK_ALARM = M_("aws.6a.ok_alarm", "Alarm `{alarm}` watches AWS/Billing EstimatedCharges (USD) in us-east-1 and fires above {threshold} USD.")
Q6A_OK_TOPIC = M_("aws.6a.ok_topic", "The alarm notifies the SNS topic {topic}, which e-mails {email}.")
Q6A_MISSING = M_("aws.6a.missing", "There is no CloudWatch alarm on the metric EstimatedCharges (namespace AWS/Billing) in us-east-1. Create it with cloudwatch.put_metric_alarm(...), with a client for region_name=\"us-east-1\".")
Q6A_REGION = M_("aws.6a.region", "Your billing alarm `{alarm}` is in {region}. AWS publishes billing data only in us-east-1 (N. Virginia), so an alarm anywhere else never sees any. Create it with a client for region_name=\"us-east-1\".")
Q6A_CURRENCY = M_("aws.6a.currency", "Alarm `{alarm}` has no dimension Currency = USD. EstimatedCharges is published per currency, so without it the alarm watches no data at all.")
Q6A_THRESHOLD = M_("aws.6a.threshold", "Alarm `{alarm}` fires when the bill is {operator} {threshold} USD. It should fire when the charges go above a positive amount, e.g. ComparisonOperator=\"GreaterThanThreshold\", Threshold=10.")
Q6A_NO_ACTION = M_("aws.6a.no_action", "Alarm `{alarm}` has no action, so when it fires nobody is told. Give it AlarmActions=[topic_arn].")
Q6A_TOPIC_MISSING = M_("aws.6a.topic_missing", "The alarm's action is {action}, which is not an SNS topic in us-east-1 of this account. Create the topic with sns.create_topic in us-east-1 and use its TopicArn.")
Q6A_NO_EMAIL = M_("aws.6a.no_email", "Topic {topic} has no e-mail subscription, so the alarm would reach nobody. Add one: sns.subscribe(TopicArn=topic_arn, Protocol=\"email\", Endpoint=\"you@example.com\").")


def _billing_alarms(client) -> list[dict]:
    alarms = client.describe_alarms()["MetricAlarms"]
    return [a for a in alarms if a.get("Namespace") == "AWS/Billing" and a.get("MetricName") == "EstimatedCharges"]


@questions("6a", evidence="outside")
def q6a(check: Check) -> None:
    aws = account(check)
    alarms = _billing_alarms(aws.client("cloudwatch", BILLING_REGION))
    if not alarms:
        for region in [HOME_REGION] + [r for r in sweep_regions(aws, check) if r not in (HOME_REGION, BILLING_REGION)]:
            elsewhere = _billing_alarms(aws.client("cloudwatch", region))
            if elsewhere:
                check.stop(Q6A_REGION, alarm=elsewhere[0]["AlarmName"], region=region)
        check.stop(Q6A_MISSING)
    alarm = alarms[0]
    name = alarm["AlarmName"]
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    check.expect(dimensions.get("Currency") == "USD", Q6A_CURRENCY, alarm=name)
    threshold = float(alarm.get("Threshold", 0))
    operator = alarm.get("ComparisonOperator", "")
    check.expect(operator.startswith("GreaterThan") and threshold > 0, Q6A_THRESHOLD, alarm=name,
                 operator=operator, threshold=threshold)
    actions = alarm.get("AlarmActions", [])
    if not actions:
        check.stop(Q6A_NO_ACTION, alarm=name)
    sns = aws.client("sns", BILLING_REGION)
    topics = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    topic = next((a for a in actions if a in topics), None)
    if topic is None:
        check.stop(Q6A_TOPIC_MISSING, action=actions[0])
    emails = [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
              if s.get("Protocol") == "email"]
    if not emails:
        check.stop(Q6A_NO_EMAIL, topic=topic)
    if all(p.ok for p in check.parts):
        check.ok(Q6A_OK_ALARM, alarm=name, threshold=f"{threshold:g}")
        check.ok(Q6A_OK_TOPIC, topic=topic, email=emails[0])


Q6B_OK = M_("aws.6b.ok", "Budget `{budget}`: {amount} USD a month, with a notification at {threshold}% ({kind}).")
Q6B_MISSING = M_("aws.6b.missing", "There is no budget in this account yet. Create one with budgets.create_budget(AccountId=..., Budget=..., NotificationsWithSubscribers=[...]).")
Q6B_PERIOD = M_("aws.6b.period", "Budget `{budget}` has TimeUnit {period}. Your bill comes every month, so use TimeUnit=\"MONTHLY\".")
Q6B_KIND = M_("aws.6b.kind", "Budget `{budget}` is a {kind} budget. To watch money, use BudgetType=\"COST\".")
Q6B_AMOUNT = M_("aws.6b.amount", "Budget `{budget}` has a limit of {amount} {unit}. The task asks for 20 USD.")
Q6B_NO_NOTIFICATION = M_("aws.6b.no_notification", "Budget `{budget}` has no notification, so it only shows numbers and nobody is warned. Add NotificationsWithSubscribers with an e-mail subscriber.")
Q6B_THRESHOLD = M_("aws.6b.threshold", "The notification of budget `{budget}` is set at {threshold} ({threshold_type}). The task asks for an e-mail at 80 percent: \"Threshold\": 80, \"ThresholdType\": \"PERCENTAGE\".")


@questions("6b", evidence="outside")
def q6b(check: Check) -> None:
    aws = account(check)
    client = aws.client("budgets", BILLING_REGION)
    found = client.describe_budgets(AccountId=aws.account_id).get("Budgets", [])
    if not found:
        check.stop(Q6B_MISSING)
    budget = next((b for b in found if b.get("BudgetType") == "COST" and b.get("TimeUnit") == "MONTHLY"), found[0])
    name = budget["BudgetName"]
    check.expect(budget.get("TimeUnit") == "MONTHLY", Q6B_PERIOD, budget=name,
                 period=str(budget.get("TimeUnit", "?")))
    check.expect(budget.get("BudgetType") == "COST", Q6B_KIND, budget=name, kind=budget.get("BudgetType", "?"))
    limit = budget.get("BudgetLimit", {})
    try:
        amount = float(limit.get("Amount", 0))
    except ValueError:
        amount = 0.0
    check.expect(amount == 20 and limit.get("Unit") == "USD", Q6B_AMOUNT, budget=name,
                 amount=limit.get("Amount", "?"), unit=limit.get("Unit", "?"))
    # (moto keeps each notification's e-mail subscribers but cannot list them: the notification itself is checked)
    notifications = client.describe_notifications_for_budget(AccountId=aws.account_id, BudgetName=name)
    notifications = notifications.get("Notifications", [])
    if not notifications:
        check.stop(Q6B_NO_NOTIFICATION, budget=name)
    notification = notifications[0]
    threshold, kind = float(notification.get("Threshold", 0)), notification.get("ThresholdType", "PERCENTAGE")
    check.expect(threshold == 80 and kind == "PERCENTAGE", Q6B_THRESHOLD, budget=name, threshold=f"{threshold:g}",
                 threshold_type=kind)
    if all(p.ok for p in check.parts):
        check.ok(Q6B_OK, budget=name, amount=limit.get("Amount"), threshold=f"{threshold:g}",
                 kind=str(notification.get("NotificationType", "ACTUAL")))


Q6C_OK = M_("aws.6c.ok", "{region}: nothing left running (no instances, no unattached Elastic IPs, no NAT gateways).")
Q6C_INSTANCE = M_("aws.6c.instance", "{region}: instance {name} ({instance}) is still {state}. Terminate it (turn off its termination protection first if it has one).")
Q6C_ADDRESS = M_("aws.6c.address", "{region}: the Elastic IP {ip} ({allocation}) is not attached to anything, and an unused address is billed every hour. Release it with ec2.release_address(AllocationId=...).")
Q6C_NAT = M_("aws.6c.nat", "{region}: NAT gateway {nat} is {state}; it costs money every hour. Delete it with ec2.delete_nat_gateway, then release its Elastic IP.")


def _region_costs(client) -> tuple[list, list, list]:
    """What may cost money in one region: (instances, NAT gateways, Elastic IPs), as the practice cloud lists them."""
    instances = [i for r in client.describe_instances()["Reservations"] for i in r["Instances"]]
    return instances, client.describe_nat_gateways()["NatGateways"], client.describe_addresses()["Addresses"]


def _costs_in(aws: PracticeAccount, regions: list[str]) -> list[tuple[list, list, list]]:
    """``_region_costs`` of each region, in the order given. The regions are asked at the same time (one thread
    each, clients made beforehand in this thread: a client may be shared between threads, a session may not), so a
    check waits for the slowest region, not for the sum of them."""
    clients = [aws.client("ec2", region) for region in regions]
    if len(clients) > 1:
        try:
            with ThreadPoolExecutor(max_workers=min(8, len(clients))) as pool:
                return list(pool.map(_region_costs, clients))
        except RuntimeError:   # no thread may start (a process limit, as in a sandboxed kernel): one after another
            pass
    return [_region_costs(c) for c in clients]


def _leftovers(check: Check, region: str, costs: tuple[list, list, list]) -> bool:
    """Record what still costs money in ``region``; True when nothing does."""
    instances, nats, addresses = costs
    clean = True
    for instance in instances:
        state = instance["State"]["Name"]
        if state in ("terminated", "shutting-down"):
            continue
        check.fail(Q6C_INSTANCE, region=region, name=_tags(instance).get("Name", "—"),
                   instance=instance["InstanceId"], state=state)
        clean = False
    for nat in nats:
        if nat.get("State") in ("pending", "available", "failed-not-deleted"):
            check.fail(Q6C_NAT, region=region, nat=nat["NatGatewayId"], state=nat["State"])
            clean = False
    for address in addresses:
        if not address.get("AssociationId"):
            check.fail(Q6C_ADDRESS, region=region, ip=address.get("PublicIp", "?"),
                       allocation=address.get("AllocationId", "?"))
            clean = False
    return clean


@questions("6c", evidence="outside")
def q6c(check: Check) -> None:
    aws = account(check)
    named = [HOME_REGION] + aws.leftover_regions()[:3]
    for region, costs in zip(named, _costs_in(aws, named)):
        if _leftovers(check, region, costs):
            check.ok(Q6C_OK, region=region)
    if check.hidden and check.hidden.get("all_regions"):  # grading: every region, also the ones nobody named
        with check.hidden_part():
            others = [region for region in sweep_regions(aws, check) if region not in named]
            for region, costs in zip(others, _costs_in(aws, others)):
                _leftovers(check, region, costs)


# 6d: cost allocation tags on what stays (the topic and the alarm of 6a; budgets take no tags in the practice cloud)
# and on what notebooks 2, 3 and 5 ask to tag at creation (user, buckets, table, role, function), when it is here
COST_TAGS = {"Project": "workshop", "CostCenter": "training"}
Q6D_OK = M_("aws.6d.ok", "{kind} `{name}` carries the cost allocation tags Project = workshop and CostCenter = training.")
Q6D_NOTHING = M_("aws.6d.nothing", "There is no SNS topic and no CloudWatch alarm in us-east-1 to tag. Do exercise 6a first: they are what stays after the clean-up.")
Q6D_UNTAGGED = M_("aws.6d.untagged", "{kind} `{name}` has no tags at all, so its cost shows up on the bill under nobody. Tag it with Project = workshop and CostCenter = training.")
Q6D_MISSING = M_("aws.6d.missing", "{kind} `{name}` has no tag {key} (its tags: {tags}). Add {key} = {value}.")
Q6D_KEY_CASE = M_("aws.6d.key_case", "{kind} `{name}` has the tag `{found}`, but the key is `{key}`: tag keys are case-sensitive, and a cost report groups `{found}` and `{key}` as two different tags. Tag it again with the key {key}.")
Q6D_VALUE = M_("aws.6d.value", "{kind} `{name}` has {key} = \"{found}\", but the value is \"{value}\". Tag values are compared exactly (capital letters too), so a cost report would show two projects.")
KIND_TOPIC = M_("aws.6d.kind_topic", "The SNS topic")
KIND_ALARM = M_("aws.6d.kind_alarm", "The CloudWatch alarm")


KIND_USER = M_("aws.6d.kind_user", "The IAM user")
KIND_ROLE = M_("aws.6d.kind_role", "The IAM role")
KIND_BUCKET = M_("aws.6d.kind_bucket", "The S3 bucket")
KIND_TABLE = M_("aws.6d.kind_table", "The DynamoDB table")
KIND_FUNCTION = M_("aws.6d.kind_function", "The Lambda function")


def _tag_map(aws: PracticeAccount, region: str) -> dict[str, dict]:
    """ARN -> tags of every tagged resource in a region, from the Resource Groups Tagging API (moto 5.2 answers it
    for SNS, CloudWatch, S3, DynamoDB and Lambda, but leaves out untagged resources and IAM)."""
    pages = aws.client("resourcegroupstaggingapi", region).get_paginator("get_resources").paginate()
    return {item["ResourceARN"]: {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            for page in pages for item in page["ResourceTagMappingList"]}


def _tagged_resources(aws: PracticeAccount) -> list[tuple[str, str, dict]]:
    """(kind message, name, tags) of what stays after the clean-up (every SNS topic and CloudWatch alarm in the billing
    region) and of what notebooks 2, 3 and 5 ask to tag at creation, when it is in this account."""
    found = []
    billing_tags = _tag_map(aws, BILLING_REGION)
    for topic in aws.client("sns", BILLING_REGION).list_topics()["Topics"]:
        arn = topic["TopicArn"]
        found.append((KIND_TOPIC, arn.rsplit(":", 1)[-1], billing_tags.get(arn, {})))
    for alarm in aws.client("cloudwatch", BILLING_REGION).describe_alarms()["MetricAlarms"]:
        found.append((KIND_ALARM, alarm["AlarmName"], billing_tags.get(alarm["AlarmArn"], {})))
    if not found:
        return found
    iam = aws.client("iam")
    for kind, read in ((KIND_USER, lambda: iam.get_user(UserName="dana")["User"]),
                       (KIND_ROLE, lambda: iam.get_role(RoleName="notes-function-role")["Role"])):
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            entity = read()
            found.append((kind, entity.get("UserName") or entity.get("RoleName"),
                          {t["Key"]: t["Value"] for t in entity.get("Tags", [])}))
    home_tags = _tag_map(aws, HOME_REGION)
    buckets = {bucket["Name"] for bucket in aws.client("s3", HOME_REGION).list_buckets()["Buckets"]}
    for purpose in ("team-files", "website"):
        name = aws.bucket_name(purpose)
        if name in buckets:
            found.append((KIND_BUCKET, name, home_tags.get(f"arn:aws:s3:::{name}", {})))
    dynamodb = aws.client("dynamodb", HOME_REGION)
    with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
        arn = dynamodb.describe_table(TableName="notes")["Table"]["TableArn"]
        found.append((KIND_TABLE, "notes", home_tags.get(arn, {})))
    functions = aws.client("lambda", HOME_REGION)
    with contextlib.suppress(functions.exceptions.ResourceNotFoundException):
        arn = functions.get_function_configuration(FunctionName="save-note")["FunctionArn"]
        found.append((KIND_FUNCTION, "save-note", home_tags.get(arn, {})))
    return found


@questions("6d", evidence="outside")
def q6d(check: Check) -> None:
    aws = account(check)
    found = _tagged_resources(aws)
    if not found:
        check.stop(Q6D_NOTHING)
    for kind_message, name, tags in found:
        kind = kind_message.render(check.lang)
        if not tags:
            check.fail(Q6D_UNTAGGED, kind=kind, name=name)
            continue
        good = True
        for key, value in COST_TAGS.items():
            if key in tags:
                if tags[key] != value:
                    check.fail(Q6D_VALUE, kind=kind, name=name, key=key, value=value, found=tags[key])
                    good = False
                continue
            similar = next((k for k in tags if k.strip().lower() == key.lower()), None)
            if similar is not None:
                check.fail(Q6D_KEY_CASE, kind=kind, name=name, key=key, found=similar)
            else:
                check.fail(Q6D_MISSING, kind=kind, name=name, key=key, value=value,
                           tags=", ".join(f"{k} = {v}" for k, v in sorted(tags.items())))
            good = False
        if good:
            check.ok(Q6D_OK, kind=kind, name=name)

# =====================================================================================================================
# 7. The concepts (Cloud Practitioner style): scenario questions and a monthly bill
# =====================================================================================================================
# The learner's own variables (evidence "kernel"). A wrong option the learner chose is explained by its own message;
# right options left out are only counted, never named, so that one try does not hand out the key. The keys (the
# right options, and the right bill of 7h) are in keys/, not in this module: a graded kernel does not see that folder.

CHOICE_EMPTY = M_("aws.choice.empty", "`{name}` is still empty: you have not chosen yet. Read the scenario, then put the letter of your choice between the quotes.")
CHOICE_NOT_TEXT = M_("aws.choice.not_text", "`{name}` should be one letter in quotes, for example {name} = \"x\" with the letter of your choice.")
CHOICE_UNKNOWN = M_("aws.choice.unknown", "`{name}` contains \"{value}\", but the options are {options}. Write only the letter of the option.")
CHOICES_NOT_SET = M_("aws.choices.not_set", "`{name}` is one piece of text. Put each letter in its own quotes, inside curly braces, for example {name} = {{\"x\", \"y\"}} with the letters of your choice.")
CHOICES_EMPTY = M_("aws.choices.empty", "`{name}` is empty: you have not chosen yet. Put the letter of each option you choose in quotes between the braces.")
CHOICES_MISSING = M_("aws.choices.missing", "`{name}` is missing {count} more option that is also right. Read the scenario and the section above again: I do not say which one, so that you find it yourself.", "`{name}` is missing {count} more options that are also right. Read the scenario and the section above again: I do not say which ones, so that you find them yourself.", count="count")


HERE = Path(__file__).resolve().parent   # choice keys: HERE/keys/choices.json, read by graders.checks.choice_key
KEYS = HERE / "keys"


@functools.cache
def _bill_module():
    """``keys/bill.py`` (the right bill and the bills of known mistakes), loaded from the keys folder."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("labs.aws.keys.bill", KEYS / "bill.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except OSError as exc:   # masked in a graded kernel: the grader's run decides
        raise GraderOnly(str(KEYS / "bill.py")) from exc
    return module


def monthly_bill_of(architecture: dict, prices: dict, **knobs) -> float:
    return _bill_module().monthly_bill_of(architecture, prices, **knobs)


def _letter(raw: str) -> str:
    """' B) ' -> 'b': what a learner means by an option letter."""
    return raw.strip().strip("()[]. ").lower()


def single_choice(check: Check, name: str, options: str) -> str:
    value = check.value(name)
    if isinstance(value, (set, frozenset, list, tuple)) and len(value) == 1:
        value = next(iter(value))
    if not isinstance(value, str):
        check.stop(CHOICE_NOT_TEXT, name=name)
    letter = _letter(value)
    if not letter:
        check.stop(CHOICE_EMPTY, name=name)
    if letter not in options or len(letter) != 1:
        check.stop(CHOICE_UNKNOWN, name=name, value=value, options=", ".join(options))
    return letter


def grade_single(check: Check, name: str, options: str, key_id: str, explain: dict, ok) -> None:
    choice = single_choice(check, name, options)
    if choice in choice_key(HERE, key_id):
        check.ok(ok)
    else:
        check.fail(explain[choice])


def grade_set(check: Check, name: str, options: str, key_id: str, explain: dict, ok) -> None:
    value = check.value(name)
    if isinstance(value, str):
        if not _letter(value):
            check.stop(CHOICES_EMPTY, name=name)
        check.stop(CHOICES_NOT_SET, name=name)
    if not isinstance(value, (set, frozenset, list, tuple)):
        check.stop(CHOICE_NOT_TEXT, name=name)
    chosen = set()
    for item in value:
        if not isinstance(item, str) or len(_letter(item)) != 1 or _letter(item) not in options:
            check.stop(CHOICE_UNKNOWN, name=name, value=item, options=", ".join(options))
        chosen.add(_letter(item))
    if not chosen:
        check.stop(CHOICES_EMPTY, name=name)
    judge_choices(check, chosen, choice_key(HERE, key_id), explain, ok, CHOICES_MISSING, name=name)


# 7a: shared responsibility (choose every task that is the customer's)
Q7A = {
    "b": M_("aws.7a.b", "(b) is AWS's job: the disks, servers and network inside the data centers belong to AWS, and AWS replaces what breaks. That is security and care \"of\" the cloud."),
    "d": M_("aws.7a.d", "(d) is AWS's job: nobody from your company can even enter an AWS data center. Guards, cameras and locked doors are part of the security \"of\" the cloud."),
    "e": M_("aws.7a.e", "(e) is AWS's job: Amazon RDS is a managed service, so AWS installs the updates of the database engine and of the operating system under it (you only choose the maintenance window). On a database you install yourself on EC2, it would be yours."),
}
Q7A_OK = M_("aws.7a.ok", "Right: the guest operating system of your instances, your security group rules and who may read your data are yours (security \"in\" the cloud); the buildings and hardware, and the engine of a managed service such as RDS, are AWS's (security \"of\" the cloud).")


@questions("7a")
def q7a(check: Check) -> None:
    grade_set(check, "customer_jobs", "abcdef", "7a", Q7A, Q7A_OK)


# 7b: pricing models
Q7B = {
    "a": M_("aws.7b.a", "(a) On-Demand works, but it is the full price for every hour. This job can be interrupted and started again, and it has no deadline within the night: that is exactly when a much cheaper option fits."),
    "c": M_("aws.7b.c", "(c) Reserved Instances (or a Savings Plan) pay off for servers that run all the time, for one or three years. A job of three hours a night would pay for 24 hours a day that it never uses."),
    "d": M_("aws.7b.d", "(d) A Dedicated Host is a whole physical server for you alone, needed for some software licences or rules. It is the most expensive option and does nothing for a job that only needs cheap capacity."),
}
Q7B_OK = M_("aws.7b.ok", "Right: Spot Instances use AWS's spare capacity at a large discount (often 70–90 %), and AWS may take them back with a two-minute warning. A job that can be interrupted and restarted is the classic use.")


@questions("7b")
def q7b(check: Check) -> None:
    grade_single(check, "pricing", "abcd", "7b", Q7B, Q7B_OK)


# 7c: Regions and Availability Zones
Q7C = {
    "a": M_("aws.7c.a", "(a) Two Regions are hundreds of kilometres apart: every write would wait longer for the copy, data transfer between Regions costs money, and the shop's data would leave Japan. It protects against the loss of a whole Region, which is more than the task asks for."),
    "b": M_("aws.7c.b", "(b) A bigger instance is still one server in one data center. If that Availability Zone fails (power, cooling, network), the shop is down, however big the server is."),
    "d": M_("aws.7c.d", "(d) Edge locations are where CloudFront keeps copies of content close to users. They do not run your database, so they cannot keep a second copy of it."),
}
Q7C_OK = M_("aws.7c.ok", "Right: the Availability Zones of a Region are separate data centers with their own power and network, a few kilometres apart and connected with low latency. A copy in a second AZ (for example RDS Multi-AZ) survives the loss of one data center.")


@questions("7c")
def q7c(check: Check) -> None:
    grade_single(check, "placement", "abcd", "7c", Q7C, Q7C_OK)


# 7d: support plans
Q7D = {
    "a": M_("aws.7d.a", "(a) Basic support is free, but it gives no technical help from engineers: only help with your account and bills, documentation and forums. Nobody answers the phone when production is down."),
    "b": M_("aws.7d.b", "(b) Developer support answers by e-mail during business hours, and its fastest answer is for a \"system impaired\" case within 12 business hours: fine for trying things out, not for production that must be back within the hour."),
    "d": M_("aws.7d.d", "(d) Enterprise support does all that and more (a Technical Account Manager, answers within 15 minutes for a critical case), but it costs far more. The question asks for the cheapest plan that fits."),
}
Q7D_OK = M_("aws.7d.ok", "Right: Business is the cheapest plan with engineers by phone, chat and e-mail 24 hours a day, and an answer within one hour when a production system is down.")


@questions("7d")
def q7d(check: Check) -> None:
    grade_single(check, "support", "abcd", "7d", Q7D, Q7D_OK)


# 7e: the Well-Architected Framework's pillars
Q7E = {
    "a": M_("aws.7e.a", "(a) Operational Excellence is about how a team runs and improves its work: changes as code, small reversible steps, learning from incidents. The scenario is about the system surviving failures."),
    "b": M_("aws.7e.b", "(b) Security is about protecting data and systems: identities, least privilege, encryption, traceability. Replacing failed servers and testing backups is not about attackers."),
    "d": M_("aws.7e.d", "(d) Performance Efficiency is about using the right resources for the load (the right instance types, caching, serverless). The scenario is not about speed but about recovering from failures."),
    "e": M_("aws.7e.e", "(e) Cost Optimization is about paying only for what brings value. Spare servers and tested backups even cost a little more: the pillar here is about something else."),
    "f": M_("aws.7e.f", "(f) Sustainability is about reducing the environmental impact of your workload (less idle capacity, efficient hardware). The scenario is about surviving failures."),
}
Q7E_OK = M_("aws.7e.ok", "Right: Reliability is the pillar of a workload that does what it should when things fail: it recovers by itself (Auto Scaling replaces a failed instance), and its backups are tested so that a restore really works.")


@questions("7e")
def q7e(check: Check) -> None:
    grade_single(check, "pillar", "abcdef", "7e", Q7E, Q7E_OK)


# 7f: which services for the evening rush (choose two)
Q7F = {
    "b": M_("aws.7f.b", "(b) CloudFront delivers content from edge locations close to users and takes load off for pictures and pages that stay the same, but it adds no servers in the evening and does not replace a failed one."),
    "d": M_("aws.7f.d", "(d) Amazon RDS is a managed relational database. It keeps the shop's data, but it does not spread visitors over servers or add servers in the evening."),
    "e": M_("aws.7f.e", "(e) S3 Glacier is cheap storage for archives that are rarely read, with hours of waiting to get files back. It has nothing to do with the evening's visitors."),
}
Q7F_OK = M_("aws.7f.ok", "Right: Elastic Load Balancing spreads the visitors over healthy instances in several Availability Zones and stops sending them to a failed one; EC2 Auto Scaling adds instances in the evening, removes them at night and replaces failed ones.")


@questions("7f")
def q7f(check: Check) -> None:
    grade_set(check, "evening_rush", "abcde", "7f", Q7F, Q7F_OK)


# 7g: a database without the chores; pictures for customers far away
Q7G_DATABASE = {
    "b": M_("aws.7g.database_b", "`database`: (b) MySQL on an EC2 instance works, but then the team installs the updates, makes and tests the backups and builds the standby copy itself: exactly the chores it wants to give away."),
    "c": M_("aws.7g.database_c", "`database`: (c) Amazon DynamoDB is managed too, but it is a key-value (NoSQL) database: the shop's MySQL tables, joins and SQL queries would have to be rewritten."),
    "d": M_("aws.7g.database_d", "`database`: (d) Amazon S3 stores files (objects), not tables: it cannot run the shop's SQL queries or transactions."),
}
Q7G_DATABASE_OK = M_("aws.7g.database_ok", "`database`: right, Amazon RDS runs MySQL for you: AWS installs the updates, makes automatic backups and, with Multi-AZ, keeps a standby copy in a second Availability Zone.")
Q7G_IMAGES = {
    "a": M_("aws.7g.images_a", "`images`: (a) A bigger instance in Tokyo makes the server faster, but every picture still travels from Tokyo to Europe: the distance is the slow part."),
    "b": M_("aws.7g.images_b", "`images`: (b) A copy of the whole shop in a European Region would work, but it doubles the servers, the database and the work. For pictures that do not change, there is a much simpler service."),
    "d": M_("aws.7g.images_d", "`images`: (d) Amazon RDS read replicas help a busy database answer more reads. The pictures are files in S3, not database rows, and they would still travel from Tokyo."),
}
Q7G_IMAGES_OK = M_("aws.7g.images_ok", "`images`: right, Amazon CloudFront keeps copies of the pictures in edge locations near the customers (also in Europe), so they load from close by; the shop stays in Tokyo.")


@questions("7g")
def q7g(check: Check) -> None:
    with contextlib.suppress(StopCheck):
        grade_single(check, "database", "abcd", "7g.database", Q7G_DATABASE, Q7G_DATABASE_OK)
    grade_single(check, "images", "abcd", "7g.images", Q7G_IMAGES, Q7G_IMAGES_OK)


# 7h: the monthly bill of a small architecture, from the price table shipped with the lab
PRICES_FILE = "aws-prices-2026-11.json"
BILL_TOLERANCE = 0.01       # a cent: rounding to cents, or not, is the learner's choice
Q7H_OK = M_("aws.7h.ok", "`{call}` gives {actual} USD: right.")
Q7H_NONE = M_("aws.7h.none", "`{call}` gives back nothing (None). Did you print the total instead of handing it back with `return`?")
Q7H_NOT_NUMBER = M_("aws.7h.not_number", "`{call}` gives {kind}, not a number. Return the total in USD as a number, for example 12.5, without a currency sign.")
Q7H_HOURS = M_("aws.7h.hours", "`{call}` gives {actual} USD, which is the bill for {hours} hours a month. AWS bills servers by the hour, and the price table counts an average month as 730 hours (24 × 365 ÷ 12): use prices[\"hours_per_month\"].")
Q7H_NO_FREE_TIER = M_("aws.7h.no_free_tier", "`{call}` gives {actual} USD: the bill without any Free Tier. Subtract the free amounts of prices[\"free_tier\"] before you multiply by the price: the \"always_free\" ones every month, the \"first_12_months\" ones only while \"first_year\" is True.")
Q7H_FORGOT_FIRST_YEAR = M_("aws.7h.forgot_first_year", "`{call}` gives {actual} USD: you left out the 12-month Free Tier. This architecture is in its first year (\"first_year\": True), so the free server hours and the free storage of prices[\"free_tier\"][\"first_12_months\"] count too.")
Q7H_FREE_AFTER_YEAR = M_("aws.7h.free_after_year", "`{call}` gives {actual} USD: you gave the 12-month Free Tier to an account that is older than a year (\"first_year\": False). After the first year only the \"always_free\" amounts stay free.")
Q7H_FORGOT_ALWAYS = M_("aws.7h.forgot_always", "`{call}` gives {actual} USD: you left out the always-free amounts (function requests and data out to the internet, in prices[\"free_tier\"][\"always_free\"]). They are free every month, in the first year and after it.")
Q7H_FREE_PER_SERVER = M_("aws.7h.free_per_server", "`{call}` gives {actual} USD: you gave every server its own 750 free hours. The Free Tier gives 750 hours a month in total, for all your free-type servers together: two servers running all month use 1460 hours, and 710 of them are paid.")
Q7H_FREE_ANY_TYPE = M_("aws.7h.free_any_type", "`{call}` gives {actual} USD: you made the free server hours count for every server type. They count only for the type in prices[\"free_tier\"][\"first_12_months\"][\"server_type\"]; bigger servers are paid from the first hour.")
Q7H_NEGATIVE = M_("aws.7h.negative", "`{call}` gives {actual} USD, less than the right total: something below the free amount was subtracted into a negative number. Use less than the free amount, and that line of the bill is 0, never negative (max(0, ...) or an `if` does this).")
Q7H_REGION = M_("aws.7h.region", "`{call}` gives {actual} USD: the bill with the prices of {used}, but this architecture runs in {region}. Prices differ from Region to Region: take them from prices[\"regions\"][architecture[\"region\"]].")
Q7H_PER_REQUEST = M_("aws.7h.per_request", "`{call}` gives {actual} USD: the function price was used per request. The table gives it per million requests: divide the number of paid requests by 1000000 first.")
Q7H_HARD_CODED = M_("aws.7h.hard_coded", "`{call}` gives {actual} USD, the bill of the shop in the notebook, but this is another architecture. Compute from the `architecture` the function receives, not from numbers copied from the example.")
Q7H_WRONG = M_("aws.7h.wrong", "`{call}` gives {actual} USD, but the bill is {expected} USD. Work through the four lines of the bill (servers, storage, function requests, data out) for this architecture, by hand, and compare with what your function computes.")


def _load_prices() -> dict:
    return json.loads((Path(__file__).parent / "data" / PRICES_FILE).read_text(encoding="utf-8"))


def _q7h_case(check: Check, fn, architecture: dict, prices: dict, story: dict) -> None:
    call = f"monthly_bill({json.dumps(architecture)}, prices)".replace("true", "True").replace("false", "False")
    result = check.call(fn, json.loads(json.dumps(architecture)), json.loads(json.dumps(prices)))
    expected = monthly_bill_of(architecture, prices)
    if result is None:
        check.stop(Q7H_NONE, call=call)
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        check.stop(Q7H_NOT_NUMBER, call=call, kind=kind_of_value(result, check.lang))
    actual = f"{result:.2f}"

    def near(value: float) -> bool:
        return abs(result - value) < BILL_TOLERANCE

    if near(expected):
        check.ok(Q7H_OK, call=call, actual=actual)
        return
    same_use = {k: v for k, v in architecture.items() if k != "first_year"} == \
        {k: v for k, v in story.items() if k != "first_year"}
    if not same_use and near(monthly_bill_of(story, prices)):
        check.stop(Q7H_HARD_CODED, call=call, actual=actual)
    for hours in (720, 744):
        if near(monthly_bill_of(architecture, prices, hours=hours)):
            check.stop(Q7H_HOURS, call=call, actual=actual, hours=f"{hours:g}")
    mistakes = [
        (Q7H_NO_FREE_TIER, {"first_year_free": False, "always_free": False}),
        (Q7H_FORGOT_FIRST_YEAR, {"first_year_free": False}),
        (Q7H_FREE_AFTER_YEAR, {"free_after_year": True}),
        (Q7H_FORGOT_ALWAYS, {"always_free": False}),
        (Q7H_FREE_PER_SERVER, {"free_per_server": True}),
        (Q7H_FREE_ANY_TYPE, {"free_any_type": True}),
        (Q7H_NEGATIVE, {"floor": False}),
        (Q7H_PER_REQUEST, {"per_request": True}),
    ]
    for message, knobs in mistakes:
        if near(monthly_bill_of(architecture, prices, **knobs)):
            check.stop(message, call=call, actual=actual)
    for other in prices["regions"]:
        if other != architecture["region"] and near(monthly_bill_of(architecture, prices, region=other)):
            check.stop(Q7H_REGION, call=call, actual=actual, used=other, region=architecture["region"])
    check.stop(Q7H_WRONG, call=call, actual=actual, expected=f"{expected:.2f}")


Q7H_STORY = {"region": "ap-northeast-1", "servers": {"t3.micro": 2}, "storage_gb": 50,
             "function_requests": 3000000, "transfer_out_gb": 120, "first_year": True}
Q7H_CASES = [
    Q7H_STORY,
    {"region": "us-east-1", "servers": {"t3.micro": 1, "t3.small": 1}, "storage_gb": 3,
     "function_requests": 500000, "transfer_out_gb": 40, "first_year": True},
    {**Q7H_STORY, "first_year": False},
]


@questions("7h")
def q7h(check: Check) -> None:
    fn = check.function("monthly_bill")
    prices = _load_prices()
    for architecture in Q7H_CASES:
        _q7h_case(check, fn, architecture, prices, Q7H_STORY)
    if check.hidden:
        with check.hidden_part():
            for architecture in check.hidden["architectures"]:
                _q7h_case(check, fn, architecture, prices, Q7H_STORY)


# 7i: scored only when graded. Its key is only in hidden/7i.json (not in a learner's copy, masked for a graded kernel),
# and no message names or explains an option, so neither this module nor locale/*.po tells which one is right.
Q7I_SAVED = M_("aws.7i.saved", "Your answer ({letter}) is saved. This question is scored when your instructor grades your work: only then do you see whether it was right.")
Q7I_RIGHT = M_("aws.7i.right", "Right: that is what to do first when a key has leaked.")
Q7I_WRONG = M_("aws.7i.wrong", "Not the right option. Read the shared responsibility model above and the part on access keys in notebook 2 again, and talk about this question with your instructor.")


@questions("7i")
def q7i(check: Check) -> None:
    judge_graded_only(check, single_choice(check, "leaked_key", "abcd"), Q7I_RIGHT, Q7I_WRONG, Q7I_SAVED)


HINTS = {
    "1a": [M_("aws.1a.hint1", "sts.get_caller_identity() answers with a dictionary: print it and look for the keys Account and Arn."),
           M_("aws.1a.hint2", "Keep the answer in a variable, then take one value out of it by its key, as with a dictionary in the bridge lab: answer[\"SomeKey\"]."),
           M_("aws.1a.hint3", "identity = sts.get_caller_identity(), then my_account = identity[\"Account\"] and my_arn = identity[\"Arn\"]")],
    "1b": [M_("aws.1b.hint1", "A client works in one region. Make one for Osaka: session.client(\"ec2\", region_name=\"ap-northeast-3\")."),
           M_("aws.1b.hint2", "Print ec2_osaka.describe_availability_zones(): the list is under \"AvailabilityZones\", and each zone's name under \"ZoneName\"."),
           M_("aws.1b.hint3", "The same pattern with other data: names = [] then for person in [{\"Name\": \"Olena\"}, {\"Name\": \"Kenji\"}]: names.append(person[\"Name\"])"),
           M_("aws.1b.hint4", "osaka_zones = [], then for zone in ec2_osaka.describe_availability_zones()[\"AvailabilityZones\"]: osaka_zones.append(zone[\"ZoneName\"])")],
    "1c": [M_("aws.1c.hint1", "Loop over every region from describe_regions; in each, make a client for that region and call describe_instances with a filter on the tag Name."),
           M_("aws.1c.hint2", "When describe_instances(Filters=[{\"Name\": \"tag:Name\", \"Values\": [\"forgotten-test\"]}])[\"Reservations\"] is not empty, remember that region in found_region.")],
    "2a": [M_("aws.2a.hint1", "Three calls, in this order: iam.create_group, iam.create_user, iam.add_user_to_group."),
           M_("aws.2a.hint2", "Each takes its names as keyword arguments, as the Request Syntax in the boto3 IAM documentation shows: GroupName for a group, UserName for a user; add_user_to_group takes both."),
           M_("aws.2a.hint3", "The same style with another call: iam.get_group(GroupName=\"admins\") asks about a group called admins."),
           M_("aws.2a.hint4", "iam.create_group(GroupName=\"operators\"), iam.create_user(UserName=\"dana\", Tags=[{\"Key\": \"Project\", \"Value\": \"workshop\"}, {\"Key\": \"CostCenter\", \"Value\": \"training\"}]), iam.add_user_to_group(GroupName=\"operators\", UserName=\"dana\")")],
    "2b": [M_("aws.2b.hint1", "The policy document is a dictionary with \"Version\" and \"Statement\"; the statement has \"Effect\": \"Allow\", an \"Action\" list and \"Resource\": \"*\"."),
           M_("aws.2b.hint2", "Create it with iam.create_policy(PolicyName=..., PolicyDocument=json.dumps(...)), then iam.attach_group_policy(GroupName=\"operators\", PolicyArn=policy[\"Policy\"][\"Arn\"]).")],
    "2c": [M_("aws.2c.hint1", "Two steps: first create a virtual MFA device, then enable it for Dana. The second step needs something from the answer of the first."),
           M_("aws.2c.hint2", "In the boto3 documentation of IAM, read create_virtual_mfa_device (its Response Syntax shows where SerialNumber is) and enable_mfa_device (it needs UserName, SerialNumber, AuthenticationCode1 and AuthenticationCode2; here any two six-digit codes)."),
           M_("aws.2c.hint3", "The serial number is two levels deep, like the ARN in answer = iam.get_user(UserName=\"dana\") and answer[\"User\"][\"Arn\"]. In the answer of create_virtual_mfa_device the outer key is VirtualMFADevice."),
           M_("aws.2c.hint4", "mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName=\"dana\"), serial = mfa[\"VirtualMFADevice\"][\"SerialNumber\"], then iam.enable_mfa_device(UserName=\"dana\", SerialNumber=serial, AuthenticationCode1=\"123456\", AuthenticationCode2=\"654321\")")],
    "2d": [M_("aws.2d.hint1", "Two steps: create the key for dana, then save it with aws.save_profile under the profile name dana. The secret part is shown only this once."),
           M_("aws.2d.hint2", "iam.create_access_key(UserName=...) answers with a dictionary; the key itself is under \"AccessKey\". Keep that inner dictionary in a variable and give it to aws.save_profile."),
           M_("aws.2d.hint3", "key = iam.create_access_key(UserName=\"dana\")[\"AccessKey\"], then aws.save_profile(\"dana\", key)")],
    "3a": [M_("aws.3a.hint1", "Outside us-east-1, create_bucket needs the region: CreateBucketConfiguration={\"LocationConstraint\": \"ap-northeast-1\"}."),
           M_("aws.3a.hint2", "s3.create_bucket(Bucket=private_bucket, CreateBucketConfiguration={\"LocationConstraint\": \"ap-northeast-1\"}); s3.put_bucket_tagging(Bucket=private_bucket, Tagging={\"TagSet\": [{\"Key\": \"Project\", \"Value\": \"workshop\"}, {\"Key\": \"CostCenter\", \"Value\": \"training\"}]})")],
    "3b": [M_("aws.3b.hint1", "Three calls on private_bucket, one per setting: put_public_access_block, put_bucket_encryption, put_bucket_versioning."),
           M_("aws.3b.hint2", "Open each method in the boto3 S3 documentation and follow its Request Syntax: Block Public Access has four settings (all True for a private bucket); encryption is a list of Rules, each with ApplyServerSideEncryptionByDefault; versioning has a Status."),
           M_("aws.3b.hint3", "A Request Syntax filled in, for another setting: s3.put_bucket_tagging(Bucket=private_bucket, Tagging={\"TagSet\": [{\"Key\": \"team\", \"Value\": \"finance\"}]}). Do the same with the three pages; the encryption algorithm is \"AES256\", the versioning status \"Enabled\"."),
           M_("aws.3b.hint4", "s3.put_public_access_block(Bucket=private_bucket, PublicAccessBlockConfiguration={\"BlockPublicAcls\": True, \"IgnorePublicAcls\": True, \"BlockPublicPolicy\": True, \"RestrictPublicBuckets\": True}); s3.put_bucket_encryption(Bucket=private_bucket, ServerSideEncryptionConfiguration={\"Rules\": [{\"ApplyServerSideEncryptionByDefault\": {\"SSEAlgorithm\": \"AES256\"}}]}); s3.put_bucket_versioning(Bucket=private_bucket, VersioningConfiguration={\"Status\": \"Enabled\"})")],
    "3c": [M_("aws.3c.hint1", "Five steps, in the order of the list: bucket, Block Public Access (two switches off), policy, page, website."),
           M_("aws.3c.hint2", "The policy is a dictionary like the one in 2b, with a Principal in its statement; put_bucket_policy wants it as text, json.dumps(...). upload_file takes the file on your computer, the bucket and the key; ExtraArgs is a dictionary."),
           M_("aws.3c.hint3", "After create_bucket and put_public_access_block: s3.put_bucket_policy(Bucket=site_bucket, Policy=json.dumps(website_policy)) with the statement {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": f\"arn:aws:s3:::{site_bucket}/*\"}; s3.upload_file(\"index.html\", site_bucket, \"index.html\", ExtraArgs={\"ContentType\": \"text/html\"}); s3.put_bucket_website(Bucket=site_bucket, WebsiteConfiguration={\"IndexDocument\": {\"Suffix\": \"index.html\"}})")],
    "4a": [M_("aws.4a.hint1", "Two rules in IpPermissions: port 80 from \"0.0.0.0/0\", port 22 from the office address with /32."),
           M_("aws.4a.hint2", "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"203.0.113.25/32\"}]}")],
    "4b": [M_("aws.4b.hint1", "One call, run_instances, then one more for termination protection. Keep what run_instances answers in a variable: the instance's ID is inside."),
           M_("aws.4b.hint2", "run_instances(ImageId=image_id, InstanceType=\"t3.micro\", MinCount=1, MaxCount=1, ...) plus the security group (a list with sg_id) and TagSpecifications with ResourceType \"instance\"."),
           M_("aws.4b.hint3", "Tags go in TagSpecifications=[{\"ResourceType\": \"instance\", \"Tags\": [{\"Key\": \"Name\", \"Value\": \"web-1\"}, {\"Key\": \"Project\", \"Value\": \"workshop\"}]}]; then web_id = result[\"Instances\"][0][\"InstanceId\"] and ec2.modify_instance_attribute(InstanceId=web_id, DisableApiTermination={\"Value\": True})")],
    "4c": [M_("aws.4c.hint1", "stop_instances pauses a server; terminate_instances deletes it for good."),
           M_("aws.4c.hint2", "Find scratch-1's ID with describe_instances(Filters=[{\"Name\": \"tag:Name\", \"Values\": [\"scratch-1\"]}]).")],
    "5a": [M_("aws.5a.hint1", "You declare only the key: KeySchema names it, AttributeDefinitions gives its type (\"S\" for text)."),
           M_("aws.5a.hint2", "In the boto3 documentation of DynamoDB, create_table: both KeySchema and AttributeDefinitions are lists of small dictionaries. BillingMode=\"PAY_PER_REQUEST\" needs no capacity numbers."),
           M_("aws.5a.hint3", "Look at the orders example above: change the table's name, the key's name and its type (\"S\" instead of \"N\"), and put BillingMode=\"PAY_PER_REQUEST\" in place of ProvisionedThroughput."),
           M_("aws.5a.hint4", "dynamodb.create_table(TableName=\"notes\", KeySchema=[{\"AttributeName\": \"note_id\", \"KeyType\": \"HASH\"}], AttributeDefinitions=[{\"AttributeName\": \"note_id\", \"AttributeType\": \"S\"}], BillingMode=\"PAY_PER_REQUEST\", Tags=[{\"Key\": \"Project\", \"Value\": \"workshop\"}, {\"Key\": \"CostCenter\", \"Value\": \"training\"}])")],
    "5b": [M_("aws.5b.hint1", "Two policies: the trust policy (who may use the role: lambda.amazonaws.com) and the permission policy (what the role may do)."),
           M_("aws.5b.hint2", "In the boto3 IAM documentation: create_role takes AssumeRolePolicyDocument, put_role_policy takes RoleName, PolicyName and PolicyDocument; both documents go as text, json.dumps(...). The table's ARN is in describe_table's answer under Table, then TableArn."),
           M_("aws.5b.hint3", "Trust statement: {\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"lambda.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}. Permission statement: \"Action\": [\"dynamodb:PutItem\", \"dynamodb:GetItem\"], \"Resource\": table_arn")],
    "5c": [M_("aws.5c.hint1", "Handler = file name without .py, a dot, the function name: \"notes_handler.lambda_handler\"."),
           M_("aws.5c.hint2", "The handler reads os.environ[\"TABLE_NAME\"] and calls put_item with the note_id and text from the event.")],
    "6a": [M_("aws.6a.hint1", "Billing data exists only in us-east-1: make the sns and cloudwatch clients with region_name=\"us-east-1\"."),
           M_("aws.6a.hint2", "Keep the topic's ARN from create_topic (under \"TopicArn\"); subscribe and AlarmActions both need it. A dimension is written like [{\"Name\": \"InstanceId\", \"Value\": \"i-0abc\"}] for a server; yours is the currency."),
           M_("aws.6a.hint3", "sns.subscribe(TopicArn=topic_arn, Protocol=\"email\", Endpoint=\"you@example.com\"); put_metric_alarm needs Namespace=\"AWS/Billing\", MetricName=\"EstimatedCharges\", Dimensions=[{\"Name\": \"Currency\", \"Value\": \"USD\"}] and AlarmActions=[topic_arn].")],
    "6b": [M_("aws.6b.hint1", "One call, create_budget, on a Budgets client in us-east-1: the budget itself, and a list of warnings, each with who gets the e-mail."),
           M_("aws.6b.hint2", "In the boto3 documentation of Budgets, create_budget: Budget needs BudgetName, BudgetLimit (an Amount in quotes and a Unit), TimeUnit and BudgetType; AccountId is aws.account_id."),
           M_("aws.6b.hint3", "A different budget, 300 USD per quarter: Budget={\"BudgetName\": \"quarter\", \"BudgetLimit\": {\"Amount\": \"300\", \"Unit\": \"USD\"}, \"TimeUnit\": \"QUARTERLY\", \"BudgetType\": \"COST\"}. For the warning, change the forecast_warning example above to actual costs and 80 percent, with your own address."),
           M_("aws.6b.hint4", "budgets = session.client(\"budgets\", region_name=\"us-east-1\"); budgets.create_budget(AccountId=aws.account_id, Budget={\"BudgetName\": \"monthly-limit\", \"BudgetLimit\": {\"Amount\": \"20\", \"Unit\": \"USD\"}, \"TimeUnit\": \"MONTHLY\", \"BudgetType\": \"COST\"}, NotificationsWithSubscribers=[{\"Notification\": {\"NotificationType\": \"ACTUAL\", \"ComparisonOperator\": \"GREATER_THAN\", \"Threshold\": 80, \"ThresholdType\": \"PERCENTAGE\"}, \"Subscribers\": [{\"SubscriptionType\": \"EMAIL\", \"Address\": \"you@example.com\"}]}])")],
    "6c": [M_("aws.6c.hint1", "Loop over every region from describe_regions; in each, delete NAT gateways, terminate instances, then release Elastic IPs that have no AssociationId."),
           M_("aws.6c.hint2", "A protected instance needs modify_instance_attribute(InstanceId=..., DisableApiTermination={\"Value\": False}) before terminate_instances.")],
    "6d": [M_("aws.6d.hint1", "Two resources stay after the clean-up: the topic and the alarm of 6a, both in us-east-1. Each service tags its own resources with its own call, and each call needs the resource's ARN."),
           M_("aws.6d.hint2", "In the boto3 documentation: SNS tag_resource (ResourceArn, Tags) and CloudWatch tag_resource (ResourceARN, Tags; note the capital letters). Both take Tags as a list of dictionaries with Key and Value. The alarm's ARN is in describe_alarms, under \"AlarmArn\"; the topic's you kept in 6a."),
           M_("aws.6d.hint3", "The same call with other tags, for a server: ec2.create_tags(Resources=[web_id], Tags=[{\"Key\": \"Owner\", \"Value\": \"dana\"}]). Build one list `cost_tags` with your two tags and give it to both calls."),
           M_("aws.6d.hint4", "cost_tags = [{\"Key\": \"Project\", \"Value\": \"workshop\"}, {\"Key\": \"CostCenter\", \"Value\": \"training\"}]; sns.tag_resource(ResourceArn=topic_arn, Tags=cost_tags); alarm_arn = cloudwatch.describe_alarms(AlarmNames=[\"billing-over-10-usd\"])[\"MetricAlarms\"][0][\"AlarmArn\"]; cloudwatch.tag_resource(ResourceARN=alarm_arn, Tags=cost_tags)")],
    "7a": [M_("aws.7a.hint1", "Ask of each task: is it about the building and the hardware (security \"of\" the cloud), or about what you put in and configure (security \"in\" the cloud)?"),
           M_("aws.7a.hint2", "Read \"The shared responsibility model\" again, especially its second paragraph: on EC2 and on a managed service such as RDS, the line is in a different place.")],
    "7b": [M_("aws.7b.hint1", "Two facts in the scenario decide it: the job runs only a few hours a night, and it does not mind being interrupted."),
           M_("aws.7b.hint2", "Read \"How AWS charges for servers\" again: which option is the cheapest, and what is its catch?")],
    "7c": [M_("aws.7c.hint1", "Three conditions: survive the loss of one data center, a copy that is always up to date (close by, fast connection), and the data stays in Japan."),
           M_("aws.7c.hint2", "Read \"Regions, Availability Zones and edge locations\" again: what is one data center, and how far apart are they?")],
    "7d": [M_("aws.7d.hint1", "Two needs: an engineer by phone at any hour, and an answer within an hour when production is down. Then the cheapest plan that has both."),
           M_("aws.7d.hint2", "Read \"Support plans\" again, from the top: stop at the first plan that answers 24 hours a day by phone.")],
    "7e": [M_("aws.7e.hint1", "What happens in the scenario when something breaks? Look for the pillar whose name says \"it keeps working\"."),
           M_("aws.7e.hint2", "Read \"The Well-Architected Framework\" again: which pillar is about recovering when something fails?")],
    "7f": [M_("aws.7f.hint1", "Two separate needs: spread the visitors over several servers (and away from a broken one), and change the number of servers with the load."),
           M_("aws.7f.hint2", "Read \"Which service for which job\" again: the first two services of the list each do one of these.")],
    "7g": [M_("aws.7g.hint1", "`database`: the team wants to keep SQL and MySQL but give away the chores. `images`: the pictures do not change; the distance is the problem."),
           M_("aws.7g.hint2", "Read \"Which service for which job\" again: look for a managed relational database, and for the service that keeps copies near the users.")],
    "7h": [M_("aws.7h.hint1", "Work line by line, and keep a running `total` that starts at 0: first the servers (a loop over the server types), then storage, function requests and data out. For each line: the amount used, minus what is free (never below 0), times the price."),
           M_("aws.7h.hint2", "Where to look: the Region's prices are prices[\"regions\"][architecture[\"region\"]]; the free amounts are in prices[\"free_tier\"][\"first_12_months\"] and [\"always_free\"]. Walk through architecture[\"servers\"] with .items() to get each type and its count. max(0, used - free) keeps a line from going below 0."),
           M_("aws.7h.hint3", "The same kind of line, on other data: a phone plan with 3 GB free and 2 USD per extra GB: extra = max(0, used_gb - 3), then total += extra * 2. For servers the \"used\" amount is count * 730 hours, and the free hours come off only when \"first_year\" is True and the type is the free type. By hand, the shop: 2 × 730 = 1460 hours, minus 750 free, = 710 paid hours × 0.0136 USD."),
           M_("aws.7h.hint4", "price = prices[\"regions\"][architecture[\"region\"]]; total = 0; for server_type, count in architecture[\"servers\"].items(): hours = count * prices[\"hours_per_month\"], and if architecture[\"first_year\"] and server_type == first_year[\"server_type\"]: hours = max(0, hours - first_year[\"server_hours\"]); total += hours * price[\"server_per_hour\"][server_type]. Then storage (free only in the first year), requests / 1000000 and data out (always free amounts), and return round(total, 2).")],
    "7i": [M_("aws.7i.hint1", "Think about what anyone on the internet can do with that key during the next minutes, and what stops it."),
           M_("aws.7i.hint2", "Read the shared responsibility model above (who looks after your keys?) and the part on access keys in notebook 2. This question is scored only when graded, so no hint gives its answer.")],
}


# =====================================================================================================================
# 8. A web server that really serves (notebook 8-webserver): its checks and hints live in web.py and register here.
# =====================================================================================================================
from . import web as _web  # noqa: E402,F401


# =====================================================================================================================
# 9. An API in front of a function, its logs, who did this (notebook 9-api): checks and hints in checks_api.py.
# =====================================================================================================================
from . import checks_api as _checks_api  # noqa: E402,F401
