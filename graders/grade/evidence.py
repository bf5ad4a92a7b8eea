"""Kernel evidence, handed over to the grader: the learner's values cross as plain data, functions are called remotely.

While a submission is graded, a question with ``evidence="kernel"`` is decided in the grader's own process, not in
the learner's kernel: the question function gets a :class:`RemoteNamespace` instead of the kernel's globals. Looking up
``city`` asks the kernel for the value of ``city``, encoded as JSON by :func:`kernel_request` (run inside the
kernel); a function (``greet``) comes back as a :class:`RemoteFunction` that the check calls with its (hidden) cases,
the call running in the kernel, under the same time limit as in the learner's own check.

Why this cannot be fooled from inside the kernel: the kernel only supplies *evidence* (values, and results of its
own functions), which a learner controls anyway by writing the answer; the rules that judge it, the hidden cases and
the score live in the grader. Patching ``lab.check``, ``Check`` or the lab's checks module in the kernel changes
nothing, and a faked answer to "what is greet('Олена')?" is simply a correct function.

What a submission that replaces the encoder gains (it is looked up in the kernel's own ``sys.modules``, and the
kernel is the learner's: its builtins, ``json`` and IPython's own request handling can be replaced just as well, so
sending the encoder's code along would not make it trustworthy). It decides what the grader gets for a name or a call:
that is what the learner decides anyway by writing the answer, and a lie is only "right" when it is the right value.
It sees the names the check asks for and the arguments of each call (the hidden *inputs*, e.g. date texts, which the
learner's own function receives too), never an expected result: the hidden cases' answers stay in the grader, and the
check cell's hidden-tests block is not run in the kernel (``sandboxedexecute.without_hidden_tests``). Its answers are
decoded without running code, within size limits; an answer that cannot be read fails that check. It cannot reach
another question's verdict, the score or the gradebook. ``tests/test_adversarial_keys.py`` replaces it with one that
records every request: it earns what its control earns, and no expected result is in what it saw.

Decoding never runs code: JSON, then plain Python types, numpy arrays and pandas tables rebuilt from lists; anything
else arrives as an :class:`Opaque` stand-in named after its type (so a check says "a value of type Foo").

Lab authors: kernel evidence crosses as ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``,
``list``, ``tuple``, ``set``, ``dict``, ``pathlib`` paths, dates and times, ``Decimal``, numpy scalars and arrays, pandas
``DataFrame``/``Series`` and callables. Write checks that use these.
"""
from __future__ import annotations

import ast
import base64
import json
import math
from typing import Any

MAX_BYTES = 32 * 1024 * 1024   # larger evidence is replaced by a "too large" stand-in
MAX_DEPTH = 30


# --- inside the kernel ---------------------------------------------------------------------------------------------

_REFS: dict[int, Any] = {}


def _encode(value: Any, depth: int = 0) -> Any:  # noqa: C901 (one flat dispatch is easiest to read)
    if depth > MAX_DEPTH:
        return {"$opaque": type(value).__name__, "repr": "(nested too deeply)"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) is int:
        return value if abs(value) < 2 ** 53 else {"$int": str(value)}
    if isinstance(value, float) and type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, complex):
        return {"$complex": [value.real, value.imag]}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list):
        return {"$list": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": [_encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[_encode(k, depth + 1), _encode(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__ or ""
    import datetime
    import decimal
    import pathlib

    if isinstance(value, pathlib.PurePath):
        return {"$path": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if module.startswith("numpy"):
        import numpy as np

        if isinstance(value, np.generic):
            return {"$npscalar": str(value.dtype), "value": _encode(value.item(), depth + 1)}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "biufcUSb":
                return {"$ndarray": str(value.dtype), "shape": list(value.shape),
                        "data": _encode(value.tolist(), depth + 1)}
            return {"$ndarray": "object", "shape": list(value.shape), "data": _encode(value.tolist(), depth + 1)}
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            return {"$dataframe": value.to_json(orient="table", date_format="iso", default_handler=str)}
        if isinstance(value, pd.Series):
            frame = value.to_frame(name=value.name if value.name is not None else "__series__")
            return {"$series": frame.to_json(orient="table", date_format="iso", default_handler=str),
                    "name": _encode(value.name, depth + 1)}
    if isinstance(value, type):
        return {"$type": f"{value.__module__}.{value.__qualname__}"}
    if callable(value):
        ref = id(value)
        _REFS[ref] = value
        return {"$function": ref, "name": getattr(value, "__qualname__", getattr(value, "__name__", "function"))}
    try:
        text = repr(value)[:200]
    except Exception:  # noqa: BLE001 (a learner's broken __repr__)
        text = "?"
    return {"$opaque": type(value).__name__, "repr": text}


def _dump(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=True, allow_nan=False)
    if len(text) > MAX_BYTES:
        return json.dumps({"ok": True, "found": True, "value": {"$toolarge": len(text)}})
    return text


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def kernel_request(request: str, namespace: dict) -> str:
    """Runs in the learner's kernel (called through ``user_expressions``); answers one request as JSON."""
    try:
        req = json.loads(request)
        if req["op"] == "get":
            name = req["name"]
            if name not in namespace:
                return _dump({"ok": True, "found": False})
            return _dump({"ok": True, "found": True, "value": _encode(namespace[name])})
        if req["op"] == "call":
            fn = _REFS.get(req["ref"])
            if fn is None:
                return _dump({"ok": False, "error": "the function is no longer there"})
            args = [decode(a) for a in req.get("args", [])]
            kwargs = {k: decode(v) for k, v in req.get("kwargs", {}).items()}
            try:
                result = fn(*args, **kwargs)
            except KeyboardInterrupt:
                return _dump({"ok": False, "interrupted": True})
            except BaseException as exc:  # noqa: BLE001 (SystemExit from the learner's function too)
                return _dump({"ok": False, "error": _describe(exc)})
            return _dump({"ok": True, "value": _encode(result)})
        return _dump({"ok": False, "error": f"unknown request {req.get('op')!r}"})
    except KeyboardInterrupt:
        return _dump({"ok": False, "interrupted": True})
    except BaseException as exc:  # noqa: BLE001
        return _dump({"ok": False, "error": _describe(exc), "internal": True})


# --- in the grader -------------------------------------------------------------------------------------------------

class Opaque:
    """Stands in for a kernel value of a type that does not cross (its class is named after the original type)."""

    def __init__(self, text: str = "?"):
        self._text = text

    def __repr__(self) -> str:
        return self._text


_OPAQUE_TYPES: dict[str, type] = {}


def _opaque(type_name: str, text: str) -> Opaque:
    name = type_name if type_name.isidentifier() else "object"
    cls = _OPAQUE_TYPES.get(name)
    if cls is None:
        cls = _OPAQUE_TYPES[name] = type(name, (Opaque,), {})
    return cls(text)


class TooLarge(Opaque):
    pass


def decode(data: Any, rpc: "KernelRPC | None" = None) -> Any:  # noqa: C901
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):  # plain JSON lists only come from the grader's own arguments
        return [decode(v, rpc) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        return _opaque("object", repr(data)[:100])
    tag = next(iter(data))
    if tag == "$list":
        return [decode(v, rpc) for v in data[tag]]
    if tag == "$tuple":
        return tuple(decode(v, rpc) for v in data[tag])
    if tag == "$set":
        items = [decode(v, rpc) for v in data[tag]]
        try:
            return set(items)
        except TypeError:
            return items
    if tag == "$dict":
        out = {}
        for k, v in data[tag]:
            key = decode(k, rpc)
            try:
                out[key] = decode(v, rpc)
            except TypeError:
                out[repr(key)] = decode(v, rpc)
        return out
    if tag == "$int":
        return int(data[tag])
    if tag == "$float":
        return float(data[tag])
    if tag == "$complex":
        return complex(*data[tag])
    if tag == "$bytes":
        return base64.b64decode(data[tag])
    if tag == "$path":
        import pathlib
        return pathlib.Path(data[tag])
    if tag in ("$datetime", "$date", "$time"):
        import datetime
        kind = {"$datetime": datetime.datetime, "$date": datetime.date, "$time": datetime.time}[tag]
        return kind.fromisoformat(data[tag])
    if tag == "$timedelta":
        import datetime
        return datetime.timedelta(seconds=data[tag])
    if tag == "$decimal":
        import decimal
        return decimal.Decimal(data[tag])
    if tag == "$npscalar":
        import numpy as np
        return np.dtype(data[tag]).type(decode(data["value"], rpc))
    if tag == "$ndarray":
        import numpy as np
        values = decode(data["data"], rpc)
        dtype = None if data[tag] == "object" else np.dtype(data[tag])
        arr = np.array(values, dtype=dtype if dtype is not None else object)
        return arr.reshape(data["shape"]) if arr.size == math.prod(data["shape"]) else arr
    if tag in ("$dataframe", "$series"):
        import io

        import pandas as pd
        frame = pd.read_json(io.StringIO(data[tag]), orient="table")
        if tag == "$dataframe":
            return frame
        series = frame.iloc[:, 0]
        series.name = decode(data.get("name"), rpc)
        return series
    if tag == "$function":
        return RemoteFunction(rpc, data[tag], str(data.get("name", "function")))
    if tag == "$type":
        return _opaque("type", data[tag])
    if tag == "$toolarge":
        return TooLarge(f"(too large to check: {data[tag]} bytes)")
    if tag == "$opaque":
        return _opaque(str(data[tag]), str(data.get("repr", "?")))
    return _opaque("object", "?")


def encode_argument(value: Any) -> Any:
    """The grader's arguments for a remote call (plain data: hidden cases, names, numbers)."""
    return _encode(value)


class RemoteError(Exception):
    """The learner's function raised; ``str()`` is ``"TypeError: ..."`` as the in-kernel check would say."""


class RemoteTimeout(Exception):
    pass


class KernelUnresponsive(BaseException):
    """The kernel did not answer, even after an interrupt: grading of this notebook cannot go on.

    A BaseException, so that a question function's own ``except Exception`` cannot swallow it."""


class KernelRPC:
    """Requests to one kernel over its shell channel, between cells (nbclient is not reading then)."""

    def __init__(self, km, interrupt_grace: float = 5.0):
        self.km = km
        self.client = km.blocking_client()
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.interrupt_grace = interrupt_grace
        self.broken = False

    def close(self) -> None:
        try:
            self.client.stop_channels()
        except Exception:  # noqa: BLE001
            pass

    def _interrupt(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.km.interrupt_kernel)()
        except Exception:  # noqa: BLE001
            pass

    def request(self, payload: dict, timeout: float) -> dict:
        if self.broken:
            raise KernelUnresponsive("the kernel stopped answering earlier")
        expr = (f"__import__('graders.grade.evidence', fromlist=['kernel_request'])"
                f".kernel_request({json.dumps(json.dumps(payload))}, globals())")
        msg_id = self.client.execute("", silent=True, store_history=False, user_expressions={"r": expr},
                                     allow_stdin=False, stop_on_error=False)
        reply = self._reply(msg_id, timeout)
        if reply is None:
            self._interrupt()
            reply = self._reply(msg_id, self.interrupt_grace)
            if reply is None:
                self.broken = True
                raise KernelUnresponsive(f"no answer within {timeout:.0f} s, even after an interrupt")
            raise RemoteTimeout()
        content = reply["content"]
        result = content.get("user_expressions", {}).get("r", {})
        if content.get("status") != "ok" or result.get("status") != "ok":
            if result.get("ename") == "KeyboardInterrupt" or content.get("ename") == "KeyboardInterrupt":
                raise RemoteTimeout()
            return {"ok": False, "error": f"{result.get('ename', content.get('ename'))}: "
                                          f"{result.get('evalue', content.get('evalue'))}", "internal": True}
        try:
            raw = result["data"]["text/plain"]
            if not isinstance(raw, str) or len(raw) > 2 * MAX_BYTES + 16:  # a kernel that ignores our limit
                return {"ok": False, "error": "the kernel's answer was too large", "internal": True}
            text = ast.literal_eval(raw)
            answer = json.loads(text)
        except (KeyError, ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return {"ok": False, "error": "the kernel's answer could not be read", "internal": True}
        if not isinstance(answer, dict):
            return {"ok": False, "error": "the kernel's answer could not be read", "internal": True}
        if answer.get("interrupted"):
            raise RemoteTimeout()
        return answer

    def _reply(self, msg_id: str, timeout: float):
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = self.client.get_shell_msg(timeout=left)
            except queue.Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg

    # --- what checks use ---------------------------------------------------------------------------------------
    def get(self, name: str, timeout: float = 30.0) -> tuple[bool, Any]:
        answer = self.request({"op": "get", "name": name}, timeout)
        if not answer.get("ok"):
            return False, None
        if not answer.get("found"):
            return False, None
        return True, decode(answer.get("value"), self)

    def call(self, ref: int, args: tuple, kwargs: dict, timeout: float) -> Any:
        answer = self.request({"op": "call", "ref": ref, "args": [encode_argument(a) for a in args],
                               "kwargs": {k: encode_argument(v) for k, v in kwargs.items()}}, timeout)
        if not answer.get("ok"):
            raise RemoteError(answer.get("error", "error"))
        return decode(answer.get("value"), self)


class RemoteFunction:
    """A learner's function that stays in the kernel; calling it runs it there."""

    default_timeout = 10.0

    def __init__(self, rpc: KernelRPC | None, ref: int, name: str):
        self._rpc, self._ref, self.__name__ = rpc, ref, name
        self.__qualname__ = name

    def invoke(self, args: tuple, kwargs: dict, timeout: float) -> Any:
        if self._rpc is None:
            raise RemoteError("RuntimeError: no kernel to call")
        return self._rpc.call(self._ref, args, kwargs, timeout)

    def __call__(self, *args, **kwargs):
        return self.invoke(args, kwargs, self.default_timeout)

    def __repr__(self) -> str:
        return f"<function {self.__name__}>"


class RemoteNamespace:
    """The kernel's globals as a check sees them (``name in ns``, ``ns[name]``, ``ns.get(name)``)."""

    def __init__(self, rpc: KernelRPC):
        self._rpc = rpc
        self._cache: dict[str, tuple[bool, Any]] = {}

    def _lookup(self, name: str) -> tuple[bool, Any]:
        if name not in self._cache:
            self._cache[name] = self._rpc.get(name)
        return self._cache[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._lookup(name)[0]

    def __getitem__(self, name: str) -> Any:
        found, value = self._lookup(name)
        if not found:
            raise KeyError(name)
        return value

    def get(self, name: str, default: Any = None) -> Any:
        found, value = self._lookup(name)
        return value if found else default
