"""Bridge lab: the Python between orientation and the workshop labs (dictionaries, nested API responses, loops,
f-strings, functions, files, reading an error, try/except). Every answer is a function or an error the learner
made; the checks call the functions on the examples and, when graded, on hidden cases."""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from graders.checks import MSG_RAISED, MSG_TOO_SLOW, Check, Questions, StopCheck, kind_of_value
from graders.i18n import Domain

M_ = Domain.beside(__file__)
questions = Questions("bridge")

# The data the notebook shows (the first order of data/orders.json and an ec2.describe_instances() response).
DATA = Path(__file__).parent / "data"
ORDERS = json.loads((DATA / "orders.json").read_text(encoding="utf-8"))
ORDER = ORDERS[0]


def _instance(instance_id: str, state: str, code: int, name: str, kind: str = "t3.micro") -> dict:
    return {"InstanceId": instance_id, "InstanceType": kind, "ImageId": "ami-0d52744d6551d851e",
            "State": {"Code": code, "Name": state}, "PrivateIpAddress": "10.0.1.17",
            "Placement": {"AvailabilityZone": "ap-northeast-1a"}, "Tags": [{"Key": "Name", "Value": name}]}


RESPONSE = {
    "Reservations": [
        {"ReservationId": "r-0a1b2c3d4e5f60718", "OwnerId": "123456789012",
         "Instances": [_instance("i-0c5d2a7f3b9e81d44", "running", 16, "shop-web"),
                       _instance("i-07e1f9a2b4c6d8e05", "stopped", 80, "shop-batch")]},
        {"ReservationId": "r-09f8e7d6c5b4a3921", "OwnerId": "123456789012",
         "Instances": [_instance("i-0a9b8c7d6e5f40312", "running", 16, "annotation-tool", "t3.large")]},
    ],
    "ResponseMetadata": {"RequestId": "c7e5a0d2-5b7e-4c61-9d2a-1f0e3b6a8c44", "HTTPStatusCode": 200},
}
# A second response the learner never sees in the notebook: its first instance is stopped.
RESPONSE_2 = {
    "Reservations": [
        {"ReservationId": "r-0123456789abcdef0", "OwnerId": "123456789012",
         "Instances": [_instance("i-0f1e2d3c4b5a69788", "stopped", 80, "robot-runner")]},
        {"ReservationId": "r-0fedcba9876543210", "OwnerId": "123456789012",
         "Instances": [_instance("i-0d4c3b2a190817263", "running", 16, "label-studio"),
                       _instance("i-0e5d4c3b2a1908172", "pending", 0, "label-studio-2")]},
    ],
    "ResponseMetadata": {"RequestId": "0b6f2d9e-7a1c-4e3b-8f5d-2c9a7e1b4d60", "HTTPStatusCode": 200},
}


def _hidden_responses(data: dict) -> list[dict]:
    """hidden/*.json keeps responses short: {"Reservations": [[[id, state, code, name], ...], ...]}."""
    out = []
    for spec in data["responses"]:
        out.append({"Reservations": [
            {"ReservationId": f"r-{index:017x}", "OwnerId": "123456789012",
             "Instances": [_instance(*inst) for inst in reservation]}
            for index, reservation in enumerate(spec)], "ResponseMetadata": {"HTTPStatusCode": 200}})
    return out


# Shared messages: what a learner's function did ----------------------------------------------------------------------
RETURNS_NONE = M_("bridge.returns_none", "`{call}` gives back nothing (None). Did you print the result instead of handing it back with `return`? A function hands its result to whoever called it with `return`.")
HARD_CODED = M_("bridge.hard_coded", "`{call}` gives {actual}, the answer for the example in the notebook, but this is other data, where the right answer is {expected}. Work with the parameter the function receives, not with a value copied from the example.")
BY_POSITION = M_("bridge.by_position", "`{call}` stopped with KeyError: {key}. A dictionary has no positions: you reach a value by its key, a name in quotes. Numbers in square brackets such as [0] work on lists.")
NO_KEY = M_("bridge.no_key", "`{call}` stopped with KeyError: '{key}'. That dictionary has no key \"{key}\". Print the data and look at the exact spelling of its keys (capital letters count) and at how deep the value sits.")
LIST_BY_KEY = M_("bridge.list_by_key", "`{call}` stopped with TypeError: {error}. You used a key in quotes on a list. A list is reached by position ([0] is the first item) or walked through with `for`.")
CONCAT = M_("bridge.concat", "`{call}` stopped with TypeError: {error}. `+` cannot join text and a number. Put the values into an f-string instead.")
NO_FILE = M_("bridge.no_file", "`{call}` stopped with FileNotFoundError: there is no file \"{file}\". Open the path the function receives as its parameter (the name of the parameter, without quotes).")


TIME_LIMIT = 3


def _attempt(check: Check, fn, *args) -> tuple[str, object]:
    """Call the learner's function without recording anything: ("ok", result), ("error", "Kind: message") or
    ("slow", None). The same in the learner's kernel and in the grader (where the function runs in the kernel)."""
    before = len(check.parts)
    try:
        return "ok", check.call(fn, *args, timeout=TIME_LIMIT)
    except StopCheck:
        part = check.parts[before] if len(check.parts) > before else None
        del check.parts[before:]
        if part is not None and part.message.id == MSG_TOO_SLOW.id:
            return "slow", None
        return "error", str(part.params.get("error", "")) if part is not None else ""


def _explain(error: str, call: str):
    """A message for the mistakes beginners make most, or None (then the general 'stopped with an error')."""
    kind, _, text = error.partition(": ")
    if kind == "KeyError":
        try:
            key = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            key = text
        if isinstance(key, int) and not isinstance(key, bool):
            return BY_POSITION, {"call": call, "key": key}
        return NO_KEY, {"call": call, "key": key}
    if kind == "TypeError" and "indices must be integers" in text:
        return LIST_BY_KEY, {"call": call, "error": text}
    if kind == "TypeError" and ("concatenate" in text or "unsupported operand" in text and "'str'" in text):
        return CONCAT, {"call": call, "error": text}
    if kind == "FileNotFoundError":
        found = re.search(r": '(.*)'$", text)
        return NO_FILE, {"call": call, "file": found.group(1) if found else text}
    return None


def _call(check: Check, fn, *args, call: str):
    """Call the learner's function (time limit, no traceback); common mistakes get a message of their own."""
    status, value = _attempt(check, fn, *args)
    if status == "ok":
        return value
    if status == "slow":
        check.stop(MSG_TOO_SLOW, seconds=TIME_LIMIT)
    explained = _explain(value, call)
    if explained:
        check.stop(explained[0], **explained[1])
    check.stop(MSG_RAISED, error=value)


def _show(value) -> str:
    return repr(value)


# q1: a dictionary -----------------------------------------------------------------------------------------------
Q1_OK = M_("bridge.q1.ok", "`{call}` gives \"{expected}\".")
Q1_KEY_ITSELF = M_("bridge.q1.key_itself", "`{call}` gives the word \"customer\": that is the key itself, not what the order keeps under it. Look the key up in the dictionary with square brackets.")
Q1_WHOLE = M_("bridge.q1.whole", "`{call}` gives back the whole order (a dictionary). Pick one value out of it: the customer's name.")
Q1_WRONG = M_("bridge.q1.wrong", "`{call}` gives {actual}, but the customer of this order is \"{expected}\". Which key holds the customer?")


def _q1_case(check: Check, fn, order: dict, example: str) -> bool:
    call = f"customer_of(<{order['id']}>)"
    result = _call(check, fn, order, call=call)
    expected = order["customer"]
    if result == expected:
        check.ok(Q1_OK, call=call, expected=expected)
        return True
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if result == "customer":
        check.stop(Q1_KEY_ITSELF, call=call)
    if isinstance(result, dict):
        check.stop(Q1_WHOLE, call=call)
    if result == example:
        check.stop(HARD_CODED, call=call, actual=_show(result), expected=_show(expected))
    check.fail(Q1_WRONG, call=call, actual=_show(result), expected=expected)
    return False


@questions("q1")
def q1(check: Check) -> None:
    fn = check.function("customer_of")
    for order in ORDERS:
        _q1_case(check, fn, order, ORDER["customer"])
    if check.hidden:
        with check.hidden_part():
            for order in check.hidden["orders"]:
                _q1_case(check, fn, order, ORDER["customer"])


# q2: nested data (an ec2.describe_instances() response) ---------------------------------------------------------
Q2_OK = M_("bridge.q2.ok", "`{call}` gives \"{expected}\".")
Q2_STATE_DICT = M_("bridge.q2.state_dict", "`{call}` gives the dictionary {actual}. You are one step away: take its \"Name\".")
Q2_INSTANCE = M_("bridge.q2.instance", "`{call}` gives a whole instance (a dictionary). Go deeper: its \"State\", then the state's \"Name\".")
Q2_LIST = M_("bridge.q2.list", "`{call}` gives a list. A list holds several things: take the first with [0], then go on with the keys.")
Q2_WRONG = M_("bridge.q2.wrong", "`{call}` gives {actual}, but the state of the first instance is \"{expected}\".")


def _q2_case(check: Check, fn, response: dict, label: str) -> None:
    call = f"first_state({label})"
    result = _call(check, fn, response, call=call)
    instance = response["Reservations"][0]["Instances"][0]
    expected = instance["State"]["Name"]
    if result == expected:
        check.ok(Q2_OK, call=call, expected=expected)
        return
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if result == instance["State"]:
        check.stop(Q2_STATE_DICT, call=call, actual=_show(result))
    if isinstance(result, dict) and "InstanceId" in result:
        check.stop(Q2_INSTANCE, call=call)
    if isinstance(result, list):
        check.stop(Q2_LIST, call=call)
    if result == RESPONSE["Reservations"][0]["Instances"][0]["State"]["Name"]:
        check.stop(HARD_CODED, call=call, actual=_show(result), expected=_show(expected))
    check.fail(Q2_WRONG, call=call, actual=_show(result), expected=expected)


@questions("q2")
def q2(check: Check) -> None:
    fn = check.function("first_state")
    _q2_case(check, fn, RESPONSE, "response")
    _q2_case(check, fn, RESPONSE_2, "<another response>")
    if check.hidden:
        with check.hidden_part():
            for response in _hidden_responses(check.hidden):
                _q2_case(check, fn, response, "<another response>")


# q3: for, if, building a list -----------------------------------------------------------------------------------
Q3_OK = M_("bridge.q3.ok", "`{call}` gives {expected}.")
Q3_NOT_LIST = M_("bridge.q3.not_list", "`{call}` should give a list, but it gives {actual}. Start with an empty list, add to it in the loop, and return it after the loop.")
Q3_STOPPED_TOO = M_("bridge.q3.stopped_too", "`{call}` also lists instances that are not running: {extra}. Add only the instances whose state is \"running\" (an `if` inside the loop).")
Q3_TOO_EARLY = M_("bridge.q3.too_early", "`{call}` gives {actual}: it stops after the first instance. Is `return` indented inside the loop? Move it back, under the line that starts the function's work, so it runs once the loop has finished.")
Q3_MISSING = M_("bridge.q3.missing", "`{call}` misses running instances: {missing}. Are you going through every reservation, and every instance in each?")
Q3_NOT_IDS = M_("bridge.q3.not_ids", "`{call}` gives {actual}. The list should hold the instances' IDs (\"InstanceId\"), as text.")
Q3_WRONG = M_("bridge.q3.wrong", "`{call}` gives {actual}, but the running instances are {expected}.")


# Two running instances in the first reservation, one in the second: a `return` inside the loop gives [A], a loop
# over the first reservation only gives [A, B].
PROBE = {"Reservations": [
    {"ReservationId": "r-0a0a0a0a0a0a0a0a0", "Instances": [_instance("i-0aaaaaaaaaaaaaaa1", "running", 16, "a"),
                                                          _instance("i-0aaaaaaaaaaaaaaa2", "running", 16, "b")]},
    {"ReservationId": "r-0b0b0b0b0b0b0b0b0", "Instances": [_instance("i-0bbbbbbbbbbbbbbb3", "running", 16, "c")]}]}
PROBE_IDS = ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0bbbbbbbbbbbbbbb3"]


def _quiet(check: Check, fn, *args):
    """The learner's function's result, or None when it fails (only to tell two mistakes apart)."""
    status, value = _attempt(check, fn, *args)
    return value if status == "ok" else None


def _q3_case(check: Check, fn, response: dict, label: str) -> None:
    call = f"running_ids({label})"
    result = _call(check, fn, response, call=call)
    instances = [i for r in response["Reservations"] for i in r["Instances"]]
    expected = [i["InstanceId"] for i in instances if i["State"]["Name"] == "running"]
    everything = [i["InstanceId"] for i in instances]
    if result == expected:
        check.ok(Q3_OK, call=call, expected=_show(expected))
        return
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if not isinstance(result, list):
        check.stop(Q3_NOT_LIST, call=call, actual=kind_of_value(result, check.lang))
    if result and not all(isinstance(x, str) and x.startswith("i-") for x in result):
        check.stop(Q3_NOT_IDS, call=call, actual=_show(result))
    if result == everything[:1] or result == expected[:1] and len(expected) > 1:
        # [first] is also what a loop over the first reservation only gives here: a response tells them apart
        if _quiet(check, fn, PROBE) == PROBE_IDS[:1]:
            check.stop(Q3_TOO_EARLY, call=call, actual=_show(result))
    extra = [x for x in result if x not in expected]
    if extra:
        check.stop(Q3_STOPPED_TOO, call=call, extra=", ".join(extra))
    missing = [x for x in expected if x not in result]
    if missing:
        check.stop(Q3_MISSING, call=call, missing=", ".join(missing))
    check.fail(Q3_WRONG, call=call, actual=_show(result), expected=_show(expected))


@questions("q3")
def q3(check: Check) -> None:
    fn = check.function("running_ids")
    _q3_case(check, fn, RESPONSE, "response")
    _q3_case(check, fn, RESPONSE_2, "<another response>")
    if check.hidden:
        with check.hidden_part():
            for response in _hidden_responses(check.hidden):
                _q3_case(check, fn, response, "<another response>")


# q4: an f-string ------------------------------------------------------------------------------------------------
Q4_OK = M_("bridge.q4.ok", "`{call}` gives \"{expected}\".")
Q4_NO_F = M_("bridge.q4.no_f", "`{call}` gives \"{actual}\": the curly braces came out as they are. Put the letter f right before the opening quote, so that Python fills them in.")
Q4_UNIT_PRICE = M_("bridge.q4.unit_price", "`{call}` gives \"{actual}\": that is the price of one piece. The line shows what all of them cost: quantity times price.")
Q4_NOT_TEXT = M_("bridge.q4.not_text", "`{call}` should give text, but it gives {actual}.")
Q4_WRONG = M_("bridge.q4.wrong", "`{call}` gives \"{actual}\", but it should give \"{expected}\". Compare them character by character: spaces, the x, the colon and the word yen.")


def _q4_line(item: dict) -> str:
    return f"{item['quantity']} x {item['name']}: {item['quantity'] * item['price']} yen"


def _q4_case(check: Check, fn, item: dict) -> None:
    call = f"order_line({item!r})"
    result = _call(check, fn, item, call=call)
    expected = _q4_line(item)
    if result == expected:
        check.ok(Q4_OK, call=call, expected=expected)
        return
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if not isinstance(result, str):
        check.stop(Q4_NOT_TEXT, call=call, actual=kind_of_value(result, check.lang))
    if "{" in result:
        check.stop(Q4_NO_F, call=call, actual=result)
    if result == f"{item['quantity']} x {item['name']}: {item['price']} yen":
        check.stop(Q4_UNIT_PRICE, call=call, actual=result)
    if result == _q4_line(ORDER["items"][0]):
        check.stop(HARD_CODED, call=call, actual=_show(result), expected=_show(expected))
    check.fail(Q4_WRONG, call=call, actual=result, expected=expected)


@questions("q4")
def q4(check: Check) -> None:
    fn = check.function("order_line")
    for item in ORDER["items"] + ORDERS[2]["items"][:1]:
        _q4_case(check, fn, item)
    if check.hidden:
        with check.hidden_part():
            for item in check.hidden["items"]:
                _q4_case(check, fn, item)


# q5: a function with two parameters that adds up ------------------------------------------------------------------
Q5_OK = M_("bridge.q5.ok", "`{call}` gives {expected}.")
Q5_NO_SHIPPING = M_("bridge.q5.no_shipping", "`{call}` gives {actual}: the items without the shipping fee. Add the second parameter to the total before you return it.")
Q5_ONLY_FIRST = M_("bridge.q5.only_first", "`{call}` gives {actual}: only the first item counts. Is `return` inside the loop? Return after the loop has gone through every item.")
Q5_ONLY_LAST = M_("bridge.q5.only_last", "`{call}` gives {actual}: only the last item counts. Does the total start again at 0 on every round of the loop? Set it to 0 once, before the loop.")
Q5_NO_QUANTITY = M_("bridge.q5.no_quantity", "`{call}` gives {actual}: each price counted once. An item's cost is its quantity times its price.")
Q5_TEXT = M_("bridge.q5.text", "`{call}` gives the text \"{actual}\", but the total should be a number you can calculate with. Return the number itself, not a sentence or a number in quotes.")
Q5_WRONG = M_("bridge.q5.wrong", "`{call}` gives {actual}, but this order costs {expected} yen with shipping.")


def _q5_case(check: Check, fn, order: dict, shipping: int) -> None:
    call = f"order_total(<{order['id']}>, {shipping})"
    result = _call(check, fn, order, shipping, call=call)
    costs = [i["quantity"] * i["price"] for i in order["items"]]
    expected = sum(costs) + shipping
    if isinstance(result, (int, float)) and not isinstance(result, bool) and result == expected:
        check.ok(Q5_OK, call=call, expected=expected)
        return
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if isinstance(result, str):
        check.stop(Q5_TEXT, call=call, actual=result)
    if not isinstance(result, (int, float)) or isinstance(result, bool):
        check.stop(Q5_WRONG, call=call, actual=kind_of_value(result, check.lang), expected=expected)
    if result == sum(costs):
        check.stop(Q5_NO_SHIPPING, call=call, actual=result)
    if len(costs) > 1 and result in (costs[0], costs[0] + shipping):
        check.stop(Q5_ONLY_FIRST, call=call, actual=result)
    if len(costs) > 1 and result in (costs[-1], costs[-1] + shipping):
        check.stop(Q5_ONLY_LAST, call=call, actual=result)
    if result in (sum(i["price"] for i in order["items"]) + shipping, sum(i["price"] for i in order["items"])):
        check.stop(Q5_NO_QUANTITY, call=call, actual=result)
    check.fail(Q5_WRONG, call=call, actual=result, expected=expected)


@questions("q5")
def q5(check: Check) -> None:
    fn = check.function("order_total")
    _q5_case(check, fn, ORDERS[0], 500)
    _q5_case(check, fn, ORDERS[2], 0)
    if check.hidden:
        with check.hidden_part():
            for case in check.hidden["cases"]:
                _q5_case(check, fn, case["order"], case["shipping"])


# q6: import, a file, a path -------------------------------------------------------------------------------------
Q6_OK = M_("bridge.q6.ok", "`{call}` gives the {size} order of {file}, as Python data.", "`{call}` gives the {size} orders of {file}, as Python data.", count="size")
Q6_TEXT = M_("bridge.q6.text", "`{call}` gives the file's text, one long string. Turn the JSON text into Python lists and dictionaries with the json module before you return it.")
Q6_OTHER_FILE = M_("bridge.q6.other_file", "`{call}` gives the orders of orders.json, but it was asked for another file, {file}. Open the path the function receives, not a file name written into the function.")
Q6_WRONG = M_("bridge.q6.wrong", "`{call}` gives {actual}, but {file} holds a list of {size} order.", "`{call}` gives {actual}, but {file} holds a list of {size} orders.", count="size")


def _q6_case(check: Check, fn, path, expected: list) -> None:
    call = f"read_orders({str(path)!r})"
    result = _call(check, fn, path, call=call)
    name = Path(path).name
    if result == expected:
        check.ok(Q6_OK, call=call, size=len(expected), file=name)
        return
    if result is None:
        check.stop(RETURNS_NONE, call=call)
    if isinstance(result, str):
        check.stop(Q6_TEXT, call=call)
    if result == ORDERS:
        check.stop(Q6_OTHER_FILE, call=call, file=name)
    check.fail(Q6_WRONG, call=call, actual=kind_of_value(result, check.lang), size=len(expected), file=name)


@questions("q6")
def q6(check: Check) -> None:
    fn = check.function("read_orders")
    workdir = Path(check.context.get("workdir", "."))
    mine = workdir / "orders.json"
    _q6_case(check, fn, "orders.json",
             json.loads(mine.read_text(encoding="utf-8")) if mine.exists() else ORDERS)
    # Other files go into the learner's folder (when graded, the function runs in a sandbox that sees only that
    # folder, as its working directory), under a path relative to it, and are removed afterwards.
    folder = Path(tempfile.mkdtemp(prefix=".bridge-check-", dir=workdir))
    try:
        os.chmod(folder, 0o755)
        cases = [("orders_17_june.json", [ORDERS[1]], False)]
        if check.hidden:
            cases += [(f"замовлення_{i}.json", orders, True) for i, orders in enumerate(check.hidden["files"])]
        for name, orders, hidden in cases:
            path = folder / name
            path.write_text(json.dumps(orders, ensure_ascii=False, indent=1), encoding="utf-8")
            os.chmod(path, 0o644)
            relative = str(Path(folder.name) / name)
            if hidden:
                with check.hidden_part():
                    _q6_case(check, fn, relative, orders)
            else:
                _q6_case(check, fn, relative, orders)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# q7: reading an error message -----------------------------------------------------------------------------------
Q7_EXPLAIN = M_("bridge.q7.explain", "How to read your error: the last line of the message, `{kind}: {detail}`, names the kind of error ({kind}) and what it is about ({detail}). The lines above it show where it happened: the arrow ----> points to line {line} of your cell, `{code}`.")
Q7_NO_ERROR = M_("bridge.q7.no_error", "I can't see an error yet. Run the cell where you provoke one (the cell must end with a red error message), then your answer, then this check.")
Q7_NOT_KEYERROR = M_("bridge.q7.not_keyerror", "Your last error was a {kind}, not a KeyError. This exercise asks for the error you get when you ask a dictionary for a key it does not have: try again in the cell above.")
Q7_OK_KIND = M_("bridge.q7.ok_kind", "`error_type` is \"{kind}\": right, that is the kind of error.")
Q7_CASE = M_("bridge.q7.case", "Almost: `error_type` is \"{actual}\", but error kinds are spelled exactly, with capital letters: \"{kind}\".")
Q7_WHOLE_LINE = M_("bridge.q7.whole_line", "`error_type` holds the whole last line, \"{actual}\". Keep only the kind of error: the word before the colon.")
Q7_OTHER_KIND = M_("bridge.q7.other_kind", "`error_type` is \"{actual}\", but the last line of your error message starts with {kind}.")
Q7_OK_KEY = M_("bridge.q7.ok_key", "`missing_key` is \"{key}\": the key that the dictionary does not have.")
Q7_KEY_WRONG = M_("bridge.q7.key_wrong", "`missing_key` is {actual}, but the key your error names is {key}. It is written after the colon on the last line.")


@questions("q7")
def q7(check: Check) -> None:
    error_type = check.value("error_type", str)
    missing_key = check.value("missing_key")
    # labs/bridge/kit.py, imported by the check cell: it runs in the learner's kernel, where the error happened
    found = None
    if "last_error" in check.ns and callable(check.ns["last_error"]):
        status, found = _attempt(check, check.ns["last_error"])
        found = found if status == "ok" and isinstance(found, dict) else None
    if not found:
        check.stop(Q7_NO_ERROR)
    kind = str(found.get("kind"))
    check.ok(Q7_EXPLAIN, kind=kind, detail=found.get("detail"), line=found.get("line"), code=found.get("code"))
    given = error_type.strip()
    if given == kind:
        check.ok(Q7_OK_KIND, kind=kind)
    elif given.lower() == kind.lower():
        check.fail(Q7_CASE, actual=error_type, kind=kind)
    elif ":" in given and given.split(":")[0].strip() == kind:
        check.fail(Q7_WHOLE_LINE, actual=error_type)
    else:
        check.fail(Q7_OTHER_KIND, actual=error_type, kind=kind)
    if kind != "KeyError":
        check.stop(Q7_NOT_KEYERROR, kind=kind)
    key = found.get("key")
    given_key = missing_key.strip().strip("'\"") if isinstance(missing_key, str) else missing_key
    if given_key == key or (isinstance(given_key, str) and given_key == str(key)):
        check.ok(Q7_OK_KEY, key=key)
    else:
        check.fail(Q7_KEY_WRONG, actual=_show(missing_key), key=_show(key))


# q8: try / except -----------------------------------------------------------------------------------------------
Q8_OK = M_("bridge.q8.ok", "`{call}` gives {expected}.")
Q8_OK_NONE = M_("bridge.q8.ok_none", "`safe_quantity(None)` still stops with a TypeError: your `except` catches only what it should.")
Q8_RAISED = M_("bridge.q8.raised", "`{call}` stopped with {kind}: {error}. Text that is not a whole number should give 0: put the conversion inside `try`, and handle the {kind} in `except`.")
Q8_HIDES_ALL = M_("bridge.q8.hides_all", "`safe_quantity(None)` gives {actual}, but None is no text at all: that is a bug in the program that calls the function, and it must not be hidden. Your `except` catches every kind of error; name the one kind you expect (the one you saw when the text was not a number).")
Q8_TEXT = M_("bridge.q8.text", "`{call}` gives the text {actual}, but a quantity is a number you can calculate with, such as {expected} (no quotes).")
Q8_NONE = M_("bridge.q8.none", "`{call}` gives None. A text that is not a number should give the number 0.")
Q8_WRONG = M_("bridge.q8.wrong", "`{call}` gives {actual}, but it should give {expected}.")


def _q8_case(check: Check, fn, text: str, expected: int) -> None:
    call = f"safe_quantity({text!r})"
    status, result = _attempt(check, fn, text)
    if status == "slow":
        check.stop(MSG_TOO_SLOW, seconds=TIME_LIMIT)
    if status == "error":
        kind, _, error = str(result).partition(": ")
        check.stop(Q8_RAISED, call=call, kind=kind, error=error)
    if isinstance(result, int) and not isinstance(result, bool) and result == expected:
        check.ok(Q8_OK, call=call, expected=expected)
        return
    if isinstance(result, str):
        check.stop(Q8_TEXT, call=call, actual=_show(result), expected=expected)
    if result is None:
        check.stop(Q8_NONE if expected == 0 else RETURNS_NONE, call=call)
    check.fail(Q8_WRONG, call=call, actual=_show(result), expected=expected)


def _q8_none(check: Check, fn) -> None:
    status, result = _attempt(check, fn, None)
    if status == "slow":
        check.stop(MSG_TOO_SLOW, seconds=TIME_LIMIT)
    if status == "error":  # a TypeError, or another error: either way nothing is hidden
        check.ok(Q8_OK_NONE)
    else:
        check.fail(Q8_HIDES_ALL, actual=_show(result))


@questions("q8")
def q8(check: Check) -> None:
    fn = check.function("safe_quantity")
    for text, expected in [("3", 3), ("12", 12), ("two", 0), ("", 0)]:
        _q8_case(check, fn, text, expected)
    _q8_none(check, fn)
    if check.hidden:
        with check.hidden_part():
            for text, expected in check.hidden["cases"]:
                _q8_case(check, fn, text, expected)


# Hints: idea -> where to look -> a worked example on other data -> the answer (last) -------------------------------
HINTS = {
    "q1": [M_("bridge.q1.hint1", "The function receives one order, a dictionary. Inside it, ask that dictionary for the value kept under one of its keys, and hand that value back."),
           M_("bridge.q1.hint2", "Look at the keys of `order` in the cell that shows it: which one holds a person's name? The section \"Dictionaries\" shows how to read a value by its key."),
           M_("bridge.q1.hint3", "The same on other data: `def room_of(session): return session[\"room\"]` gives \"LODGE\" for the session in the example."),
           M_("bridge.q1.hint4", "The answer: `def customer_of(order):` and, on the next line, indented by four spaces, `return order[\"customer\"]`.")],
    "q2": [M_("bridge.q2.hint1", "Walk down the response one step at a time: a dictionary, then a list, then a dictionary, a list, a dictionary ... Use a key for a dictionary and [0] for the first item of a list."),
           M_("bridge.q2.hint2", "The path is: \"Reservations\" -> the first reservation -> \"Instances\" -> the first instance -> \"State\" -> \"Name\". Try each step in a cell of its own and look at what you get."),
           M_("bridge.q2.hint3", "The same walk on the S3 example: `buckets_response[\"Buckets\"][0][\"Name\"]` gives the name of the first bucket."),
           M_("bridge.q2.hint4", "The answer: `def first_state(response):` and, indented, `return response[\"Reservations\"][0][\"Instances\"][0][\"State\"][\"Name\"]`.")],
    "q3": [M_("bridge.q3.hint1", "Start with an empty list. Go through every reservation, and inside it through every instance; when an instance is running, add its ID to the list. Return the list at the end."),
           M_("bridge.q3.hint2", "You need two `for` loops, one inside the other, an `if` that compares the instance's state name with \"running\" (`==`), and the list method `append`. The section \"Loops and decisions\" shows each one."),
           M_("bridge.q3.hint3", "The programme example has the same shape: rooms hold sessions, and the long sessions' titles are collected. Replace rooms by reservations, sessions by instances, and the minutes test by the state test."),
           M_("bridge.q3.hint4", "The answer: `ids = []`, then `for reservation in response[\"Reservations\"]:`, inside it `for instance in reservation[\"Instances\"]:`, inside that `if instance[\"State\"][\"Name\"] == \"running\":` and `ids.append(instance[\"InstanceId\"])`; after both loops, `return ids`.")],
    "q4": [M_("bridge.q4.hint1", "Build the text with an f-string: f before the quote, and each value in curly braces. The total is quantity times price."),
           M_("bridge.q4.hint2", "Inside the braces you can read from the dictionary (use the other kind of quotes for the key than around the text) and even calculate. The section \"Text with values in it\" shows both."),
           M_("bridge.q4.hint3", "The same on other data: `f\"{session['title']}: {session['minutes'] * 60} seconds\"` gives \"Image annotation: 3600 seconds\"."),
           M_("bridge.q4.hint4", "The answer: `def order_line(item):`, then indented `cost = item[\"quantity\"] * item[\"price\"]` and `return f\"{item['quantity']} x {item['name']}: {cost} yen\"`.")],
    "q5": [M_("bridge.q5.hint1", "Keep a running total that starts at 0. Go through the order's items and add each item's cost to it. After the loop, add the shipping fee and return the result."),
           M_("bridge.q5.hint2", "The items are the list under the key \"items\". `+=` adds to a variable. Watch the indentation: `return` belongs after the loop, not inside it."),
           M_("bridge.q5.hint3", "The same on other data: `minutes = 0`, then `for session in sessions:` and, indented, `minutes += session[\"minutes\"]`; after the loop, `minutes + 30` adds a 30-minute break."),
           M_("bridge.q5.hint4", "The answer: `def order_total(order, shipping):`, then indented `total = 0`, `for item in order[\"items\"]:`, inside the loop `total += item[\"quantity\"] * item[\"price\"]`, and after the loop `return total + shipping`.")],
    "q6": [M_("bridge.q6.hint1", "Two steps: read the file's text from the path you receive, then turn that JSON text into Python data. Return the data."),
           M_("bridge.q6.hint2", "`Path(...)` from the pathlib module has a method that reads a file's text; the json module has a function that turns JSON text into lists and dictionaries. The section \"Files and paths\" shows both. Import both modules at the top of the cell."),
           M_("bridge.q6.hint3", "The same on other data: `Path(\"programme.txt\").read_text(encoding=\"utf-8\")` gives the programme's text, and `json.loads('[1, 2]')` gives the list [1, 2]."),
           M_("bridge.q6.hint4", "The answer: `import json` and `from pathlib import Path`; then `def read_orders(path):`, indented `text = Path(path).read_text(encoding=\"utf-8\")` and `return json.loads(text)`.")],
    "q7": [M_("bridge.q7.hint1", "First make the error happen: in the first cell, ask `order` for a key it does not have. The cell ends with a red message: that is what you read."),
           M_("bridge.q7.hint2", "Read the message from the bottom: the last line starts with the kind of error, then a colon, then what it is about. Put the kind into `error_type` and the key named after the colon into `missing_key`, both as text."),
           M_("bridge.q7.hint3", "The example in the notebook: for `\"Room \" + 5` the last line is `TypeError: can only concatenate str (not \"int\") to str`; its kind is TypeError."),
           M_("bridge.q7.hint4", "The answer: in the first cell `order[\"phone\"]`; in the second `error_type = \"KeyError\"` and `missing_key = \"phone\"`.")],
    "q8": [M_("bridge.q8.hint1", "Try to turn the text into a whole number. If that fails with the error you get for text like \"two\", give 0 instead."),
           M_("bridge.q8.hint2", "`int(...)` turns text into a whole number. Find out which error it raises for \"two\" (run it in a cell), and name exactly that error after `except`. The section \"When something can go wrong\" shows the shape."),
           M_("bridge.q8.hint3", "The room example has the same shape: `try:` with the lookup that can fail, `except KeyError:` with what to give instead."),
           M_("bridge.q8.hint4", "The answer: `def safe_quantity(text):`, then indented `try:` and under it `return int(text)`, then `except ValueError:` and under it `return 0`.")],
}
