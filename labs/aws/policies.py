"""Reading IAM policies as AWS does, for the checks: who is allowed which action on which resource.

Small and deliberate: Allow/Deny, Action/NotAction, Resource/NotResource, ``*`` and ``?`` wildcards (actions
compared without case, resources with). Conditions are not evaluated (a statement with a condition counts as if it
applied: when the question is "could this be allowed?", that is the careful answer).
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass
class NamedPolicy:
    name: str
    arn: str | None          # None for an inline policy
    document: dict
    attached_to: str         # "group operators", "user dana", "role notes-function-role"


def as_document(document: Any) -> dict:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return {}
    return document if isinstance(document, dict) else {}


def statements(document: Any) -> list[dict]:
    found = as_document(document).get("Statement", [])
    if isinstance(found, dict):
        found = [found]
    return [s for s in found if isinstance(s, dict)]


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _match(patterns: Any, value: str, ignore_case: bool) -> bool:
    fold = (lambda s: s.lower()) if ignore_case else (lambda s: s)
    return any(isinstance(p, str) and fnmatch.fnmatchcase(fold(value), fold(p)) for p in _list(patterns))


def statement_applies(statement: dict, action: str, resource: str) -> bool:
    if "NotAction" in statement:
        if _match(statement["NotAction"], action, True):
            return False
    elif not _match(statement.get("Action"), action, True):
        return False
    if "NotResource" in statement:
        return not _match(statement["NotResource"], resource, False)
    return _match(statement.get("Resource", "*"), resource, False)


def allows(documents: list[Any], action: str, resource: str = "*") -> bool:
    """Would these identity policies together allow ``action`` on ``resource``? (An explicit Deny wins.)"""
    allowed = False
    for document in documents:
        for statement in statements(document):
            if not statement_applies(statement, action, resource):
                continue
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


def grants_everything(document: Any) -> bool:
    """An Allow of every action (``*``) or of everything except a few (NotAction): administrator rights."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            return True
        if any(a in ("*", "*:*") for a in _list(statement.get("Action"))):
            return True
    return False


def actions_of(document: Any) -> list[str]:
    out = []
    for statement in statements(document):
        if statement.get("Effect") == "Allow":
            out += [a for a in _list(statement.get("Action")) if isinstance(a, str)]
    return out


def resources_of(document: Any, action_prefix: str) -> list[str]:
    """Resources of the Allow statements that mention an action starting with ``action_prefix`` (e.g. dynamodb:)."""
    out = []
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if any(isinstance(a, str) and (a.lower().startswith(action_prefix) or a in ("*", "*:*"))
               for a in _list(statement.get("Action"))):
            out += [r for r in _list(statement.get("Resource", "*")) if isinstance(r, str)]
    return out


# --- reading them from IAM --------------------------------------------------------------------------------------------

def _managed(iam, arn: str) -> dict:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    return as_document(version["Document"])


def group_policies(iam, group: str) -> list[NamedPolicy]:
    where = f"group {group}"
    out = [NamedPolicy(p["PolicyName"], p["PolicyArn"], _managed(iam, p["PolicyArn"]), where)
           for p in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]]
    for name in iam.list_group_policies(GroupName=group)["PolicyNames"]:
        out.append(NamedPolicy(name, None, as_document(iam.get_group_policy(GroupName=group, PolicyName=name)
                                                       ["PolicyDocument"]), where))
    return out


def user_policies(iam, user: str) -> list[NamedPolicy]:
    where = f"user {user}"
    out = [NamedPolicy(p["PolicyName"], p["PolicyArn"], _managed(iam, p["PolicyArn"]), where)
           for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]
    for name in iam.list_user_policies(UserName=user)["PolicyNames"]:
        out.append(NamedPolicy(name, None, as_document(iam.get_user_policy(UserName=user, PolicyName=name)
                                                       ["PolicyDocument"]), where))
    return out


def role_policies(iam, role: str) -> list[NamedPolicy]:
    where = f"role {role}"
    out = [NamedPolicy(p["PolicyName"], p["PolicyArn"], _managed(iam, p["PolicyArn"]), where)
           for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        out.append(NamedPolicy(name, None, as_document(iam.get_role_policy(RoleName=role, PolicyName=name)
                                                       ["PolicyDocument"]), where))
    return out
