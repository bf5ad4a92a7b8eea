"""nbgrader's ``Execute``, with the kernel in a sandbox, limits that end in readable reasons, and the grader's own
verdict for every check cell.

What it adds to ``nbgrader.preprocessors.Execute`` (which it subclasses, so ``Execute.timeout`` and the rest of the
course's nbgrader configuration still apply):

* the kernel starts through :mod:`graders.grade.launch` (namespaces, memory/process/file limits, no privileges);
* a wall clock per cell (``Execute.timeout``) *and* per notebook (``notebook_timeout``); a runaway cell is
  interrupted, a cell that ignores the interrupt ends the kernel; either way the reason is written on that cell;
* output is capped per cell while it streams in, so a print loop cannot fill the grader's memory;
* a kernel that dies (``os._exit``, a crash, the memory limit) does not end the grading of the submission: the cells
  run so far keep their results, the rest are marked "not run" with the reason;
* a kernel that dies before it answers (its port was taken by another kernel between choice and bind) is started
  again, before any of the learner's code has run;
* after each check cell, the question's verdict is computed again in the grader's process (outside evidence from the
  submission's services and files, kernel evidence handed over as data) and kept for ``SealVerdicts``.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader import utils as nbutils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Float, Integer, Unicode

from ...checks import time_limit, _Timeout
from ...i18n import LANGUAGES
from ...labdef import load_lab
from ..evidence import KernelRPC, KernelUnresponsive
from ..kernel import SandboxedKernelManager
from ..reasons import (CELL_TIMEOUT, CHECK_ERROR, KERNEL_DIED, KERNEL_STUCK, MEMORY, NETWORK, NOT_RUN,
                       NOTEBOOK_TIMEOUT, OUTPUT, PROCESSES, cell_name, reason)
from ..sandbox import LaunchConfig, Limits, human_bytes, parse_size
from ..verdicts import HiddenDataError, check_calls, evaluate_kernel, unknown_question

SETUP_LANG = re.compile(r"""Lab\(\s*["'][\w-]+["']\s*,\s*lang\s*=\s*["']([\w-]+)["']""")
NETWORK_MARK = re.compile(r"\[graders-sandbox:network\].*?Refused: (\S+)")


def without_hidden_tests(source: str) -> str:
    """A check cell as the learner's kernel runs it while graded: without its hidden-tests block.

    The block (``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``) holds ``lab.check("q3", hidden={...})``, the
    grading-only data inlined. The grader reads that call from the master source and computes its verdict itself;
    were the kernel to run it, a submission that replaced ``lab`` (or ``Lab.check``) would receive the hidden cases
    and their answers, and could set its answer variables from them before the grader looks at them."""
    if "### BEGIN HIDDEN TESTS" not in source:
        return source
    out, inside = [], False
    for line in source.splitlines(keepends=True):
        mark = line.strip()
        if mark.startswith("### BEGIN HIDDEN TESTS"):
            inside = True
        elif mark.startswith("### END HIDDEN TESTS"):
            inside = False
        elif not inside:
            out.append(line)
    return "".join(out)


def notebook_language(nb) -> str:
    """The learner's language: the notebook's metadata, else the setup cell's ``Lab(..., lang=...)``, else en."""
    langs = nb.metadata.get("graders", {}).get("languages") or []
    if len(langs) == 1 and langs[0] in LANGUAGES:
        return langs[0]
    for cell in nb.cells:
        if cell.cell_type == "code":
            m = SETUP_LANG.search(cell.source)
            if m and m.group(1) in LANGUAGES:
                return m.group(1)
    return "en"


class SandboxedExecute(Execute):

    notebook_timeout = Float(600.0, help="Wall-clock seconds for all cells of one notebook together.").tag(config=True)
    memory_limit = Unicode("1GiB", help="Memory a kernel may allocate (RLIMIT_DATA), e.g. 1GiB, 512MiB.").tag(config=True)
    max_procs = Integer(512, help="Processes and threads a kernel may run at once.").tag(config=True)
    file_size_limit = Unicode("256MiB", help="The largest file a kernel may write.").tag(config=True)
    output_limit = Unicode("1MiB", help="Output kept per cell; the rest is cut off.").tag(config=True)
    interrupt_grace = Float(5.0, help="Seconds a cell gets to stop after an interrupt before its kernel is ended.").tag(config=True)
    sandbox = Bool(True, help="Start kernels inside the sandbox (namespaces, limits).").tag(config=True)
    checker_memory = Unicode("4GiB", help="Memory of the checker that runs outside-evidence checks (and what they start, e.g. a robot's browser).").tag(config=True)
    checker_max_procs = Integer(512, help="Processes and threads of the checker.").tag(config=True)

    # Every cell has run and every verdict is decided when the kernel is stopped: nothing it could still do counts.
    # A graceful shutdown (nbclient's default) waits for a kernel running at low priority to tear its interpreter
    # down, about 0.6 s per notebook on a busy machine, and lets the learner's exit handlers run on; stopped at once,
    # the whole sandbox ends with it (its init is PID 1 of the kernel's PID namespace).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="How the kernel is stopped after the last cell.").tag(config=True)

    # --- per notebook --------------------------------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        g = resources.setdefault("graders", {})
        self._g = g
        self._state = g.setdefault("state", {})
        self._cells = self._state.setdefault("cells", {})          # cell index -> [reasons]
        self._verdicts = self._state.setdefault("verdicts", {})    # grade id -> [verdict json]
        self._stopped = None                                        # reason (dict) once no more cells run
        self._rpc = None
        self._output_bytes = {}
        self._lang = notebook_language(nb)
        self._state["lang"] = self._lang
        self._limits = Limits(cell_timeout=float(self.timeout or 0) or 3600.0,
                              notebook_timeout=self.notebook_timeout, memory=parse_size(self.memory_limit),
                              max_procs=self.max_procs, file_size=parse_size(self.file_size_limit),
                              output_bytes=parse_size(self.output_limit))
        self._deadline = time.monotonic() + self._limits.notebook_timeout
        self._workdir = resources.get("metadata", {}).get("path") or os.getcwd()
        self._status_path = None
        self._lab = load_lab(g["lab"]) if g.get("lab") else None
        self._chdir = None
        warm = g.get("warm")
        warm = warm.take() if (warm is not None and self.sandbox and km is None
                               and os.path.realpath(warm.workdir) == os.path.realpath(self._workdir)) else None
        if warm is not None:  # started while nbgrader prepared the submission (see graders.grade.warm)
            km, self._launch, self._status_path, self._chdir = warm.km, warm.launch, warm.launch.status_path, warm.workdir
            self.kernel_name = "python3"
            # should it die before it answers, a fresh kernel is started the usual way (async_start_new_kernel_client)
            self._start_kwargs = {"cwd": warm.launch.workdir, "env": dict(os.environ, NBGRADER_EXECUTION="autograde")}
            self._warm_fallback = True
        else:
            self._warm_fallback = False
            self._launch = self._launch_config(g) if self.sandbox else None
        owner = (g.get("sandbox") or {}).get("chown")
        if owner is not None and self._launch is not None:
            _chown_tree(self._workdir, owner["uid"], owner["gid"])
        started = self._started = time.monotonic()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._rpc is not None:
                self._rpc.close()
            if warm is not None:  # nbclient does not stop a kernel it was given
                try:
                    self._cleanup_kernel()  # at once (see shutdown_kernel above)
                except Exception:  # noqa: BLE001
                    pass
            if g.get("on_executed") is not None:  # e.g. the worker boots the next submission's kernel now
                try:
                    g["on_executed"]()
                except Exception:  # noqa: BLE001
                    pass
            if owner is not None and self._launch is not None:
                _chown_tree(self._workdir, owner["back_uid"], owner["back_gid"])
            self._state["seconds"] = round(time.monotonic() - started, 3)
            self._state["kernel"] = self._kernel_status()

    def _launch_config(self, g: dict) -> LaunchConfig | None:
        sb = g.get("sandbox")
        if not sb:
            return None
        import tempfile
        fd, status = tempfile.mkstemp(prefix="graders-kernel-status-", suffix=".json")
        os.close(fd)
        self._status_path = status
        from dataclasses import asdict
        return LaunchConfig(limits=asdict(self._limits), workdir=str(self._workdir), status_path=status,
                            mount=sb.get("mount", True), pidns=sb.get("pidns", True), userns=sb.get("userns", False),
                            uid=sb.get("uid"), gid=sb.get("gid"), allow=list(sb.get("allow", [])),
                            hide=list(sb.get("hide", [])), nproc_base=sb.get("nproc_base", 0),
                            env=dict(g.get("kernel_env", {})),
                            guard={"blocked_paths": list(sb.get("hide", [])), "allowed_paths": [str(self._workdir)]})

    def _kernel_status(self) -> dict | None:
        if not self._status_path:
            return None
        try:
            text = Path(self._status_path).read_text()
            return json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            return None
        finally:
            Path(self._status_path).unlink(missing_ok=True)

    # --- a kernel that could not start ---------------------------------------------------------------------------
    kernel_start_attempts = Integer(3, help="Kernels started for one notebook before its kernel counts as dead "
                                            "(a start fails when a port is taken between choice and bind).").tag(config=True)

    async def async_start_new_kernel(self, **kwargs):
        self._start_kwargs = kwargs
        return await super().async_start_new_kernel(**kwargs)

    async def async_start_new_kernel_client(self):
        """jupyter_client picks free TCP ports and the kernel binds them a moment later; with several kernels
        starting at once (a class graded in parallel) another one can take a port in between, and this kernel dies
        before it answers. None of the learner's code has run yet, so start a fresh kernel on fresh ports. The same for
        a kernel booted ahead (warm) that died as it started (e.g. the previous submission's fork bomb took all the
        processes its user may run while it booted)."""
        attempt = 1
        while True:
            try:
                return await super().async_start_new_kernel_client()
            except RuntimeError as exc:
                if (attempt >= self.kernel_start_attempts or not (self.owns_km or self._warm_fallback)
                        or "before replying to kernel_info" not in str(exc)):
                    raise
                attempt += 1
                self.log.warning("the kernel died as it started (%s); starting a new one (try %d of %d)",
                                 exc, attempt, self.kernel_start_attempts)
                self.km = self.create_kernel_manager()
                await self.async_start_new_kernel(**self._start_kwargs)  # set by the first start

    # nbclient's synchronous names wrap its own coroutines; ``setup_kernel`` calls these
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def create_kernel_manager(self):
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        self.km = SandboxedKernelManager(kernel_name=self.kernel_name, config=self.config,
                                         launch_config=self._launch)
        return self.km

    # --- per cell ------------------------------------------------------------------------------------------------
    def _note(self, index: int, entry: dict) -> None:
        self._cells.setdefault(str(index), []).append(entry)

    def _cell_name(self, index: int) -> dict:
        """How the reasons name a cell: by its question ("your answer to q1"), not by its position."""
        return cell_name(self.nb, index)

    def _stop(self, index: int, entry: dict) -> None:
        self._note(index, entry)
        self._stopped = {"cell": self._cell_name(index)}
        self._kill_kernel()

    def _kill_kernel(self) -> None:
        from jupyter_core.utils import run_sync
        try:
            if self.km is not None:
                run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001
            pass

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if not self._state.get("ready_after"):
            self._state["ready_after"] = round(time.monotonic() - self._started, 3)
            self.log.info("kernel ready %.2f s after the notebook's turn came", self._state["ready_after"])
            if self._g.get("on_kernel_ready") is not None:  # e.g. the worker boots the next submission's kernel
                try:                                        # now, while this one runs its cells
                    self._g["on_kernel_ready"]()
                except Exception:  # noqa: BLE001
                    pass
        if self._chdir is not None:  # a warm kernel: into the submission's folder, now that it is filled
            msg_id = self.kc.execute(f"__import__('os').chdir({self._chdir!r})", silent=True, store_history=False)
            self.wait_for_reply(msg_id)
            self._chdir = None
        if self._stopped is not None:
            cell.outputs = []
            if nbutils.is_grade(cell):
                self._note(index, reason(NOT_RUN, cell=self._stopped["cell"]))
            return cell, resources
        remaining = self._deadline - time.monotonic()
        if remaining <= 1:
            self._stop(index, reason(NOTEBOOK_TIMEOUT, seconds=int(self._limits.notebook_timeout), cell=self._cell_name(index)))
            if nbutils.is_grade(cell):
                self._note(index, reason(NOT_RUN, cell=self._cell_name(index)))
            return cell, resources
        budget = min(self._limits.cell_timeout, remaining)
        self.timeout = max(1, int(budget))
        self.iopub_timeout = max(self.iopub_timeout, int(self.interrupt_grace))
        self._output_bytes[index] = 0
        started = time.monotonic()
        master = cell.source
        if nbutils.is_grade(cell):   # the kernel never gets the grading-only data (see without_hidden_tests)
            cell.source = without_hidden_tests(master)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stop(index, self._death_reason(index))
            return cell, resources
        except CellTimeoutError:
            self._stop(index, reason(KERNEL_STUCK, cell=self._cell_name(index), seconds=self.timeout))
            return cell, resources
        finally:
            cell.source = master
        elapsed = time.monotonic() - started
        self._scan_outputs(cell, index, elapsed, budget)
        if self._stopped is None and nbutils.is_grade(cell) and cell.cell_type == "code":
            self._grade_check_cell(cell, index)
        return cell, resources

    def _timed_out(self, cell) -> bool:
        return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError" for o in cell.outputs)

    def _scan_outputs(self, cell, index: int, elapsed: float, budget: float) -> None:
        timed_out = self._timed_out(cell) or elapsed >= budget
        if timed_out:
            if budget < self._limits.cell_timeout:  # it was the notebook's budget that ran out
                self._stop(index, reason(NOTEBOOK_TIMEOUT, seconds=int(self._limits.notebook_timeout),
                                         cell=self._cell_name(index)))
            else:
                self._note(index, reason(CELL_TIMEOUT, cell=self._cell_name(index), seconds=int(budget)))
        seen = set()
        for out in cell.outputs:
            if out.get("output_type") != "error":
                continue
            ename, evalue = out.get("ename", ""), str(out.get("evalue", ""))
            if ename == "MemoryError" and "memory" not in seen:
                seen.add("memory")
                self._note(index, reason(MEMORY, cell=self._cell_name(index), limit=human_bytes(self._limits.memory)))
            elif ename == "BlockingIOError" and "11" in evalue and "procs" not in seen:
                seen.add("procs")
                self._state["task_limit_noted"] = True
                self._note(index, reason(PROCESSES, cell=self._cell_name(index), limit=self._limits.max_procs))
            elif "[graders-sandbox:network]" in evalue and "net" not in seen:
                seen.add("net")
                m = NETWORK_MARK.search(evalue)
                self._note(index, reason(NETWORK, cell=self._cell_name(index), host=m.group(1) if m else "?"))
            elif ename == "OSError" and "Network is unreachable" in evalue and "net" not in seen:
                seen.add("net")
                self._note(index, reason(NETWORK, cell=self._cell_name(index), host="?"))
        status = self._peek_status() or {}
        if status.get("hit_task_limit") and not self._state.get("task_limit_noted") and "procs" not in seen:
            self._state["task_limit_noted"] = True
            self._note(index, reason(PROCESSES, cell=self._cell_name(index), limit=self._limits.max_procs))
        if self._output_bytes.get(index, 0) > self._limits.output_bytes:
            self._note(index, reason(OUTPUT, cell=self._cell_name(index), limit=human_bytes(self._limits.output_bytes)))

    def _death_reason(self, index: int) -> dict:
        status = None
        for _ in range(20):  # the init writes the status as the kernel ends; give it a moment
            status = self._peek_status()
            if status and status.get("final"):
                break
            time.sleep(0.05)
        how = "?"
        if status:
            if status.get("hit_task_limit"):
                return reason(PROCESSES, cell=self._cell_name(index), limit=self._limits.max_procs)
            maxrss = (status.get("maxrss_kib") or 0) * 1024
            if status.get("signal") is not None:
                if maxrss >= 0.8 * self._limits.memory:
                    return reason(MEMORY, cell=self._cell_name(index), limit=human_bytes(self._limits.memory))
                how = f"signal {status['signal']}"
            elif status.get("exit_code") is not None:
                how = f"exit code {status['exit_code']}"
        return reason(KERNEL_DIED, cell=self._cell_name(index), how=how)

    def _peek_status(self) -> dict | None:
        if not self._status_path:
            return None
        try:
            text = Path(self._status_path).read_text()
            return json.loads(text) if text.strip() else None
        except (OSError, ValueError):
            return None

    # --- output cap while it streams in -------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        size = _message_size(msg)
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        limit = self._limits.output_bytes
        if used + size > limit:
            if used <= limit:
                from nbformat.v4 import new_output
                keep = max(0, limit - used)
                text = msg.get("content", {}).get("text")
                if msg.get("msg_type") == "stream" and isinstance(text, str) and keep:
                    outs.append(new_output("stream", name=msg["content"].get("name", "stdout"), text=text[:keep]))
                outs.append(new_output("stream", name="stdout", text="\n… (output cut off here)\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # --- the grader's own verdict ------------------------------------------------------------------------------------
    def _grade_check_cell(self, cell, index: int) -> None:
        calls = check_calls(cell.source)
        if not calls or self._lab is None:
            return
        gid = cell.metadata.nbgrader["grade_id"]
        verdicts = []
        for call in calls:
            try:
                verdicts.append(self._verdict(call))
            except KernelUnresponsive:
                self._stop(index, reason(KERNEL_STUCK, cell=self._cell_name(index), seconds=int(self.interrupt_grace)))
                verdicts.append(None)
                break
            except _Timeout:
                verdicts.append({"question": call.question, "passed": False, "error": "timeout",
                                 "reason": reason(CHECK_ERROR, question=call.question, error="time limit")})
            except Exception as exc:  # noqa: BLE001 (the grader's own problem: say so, do not give points)
                verdicts.append({"question": call.question, "passed": False, "error": repr(exc),
                                 "reason": reason(CHECK_ERROR, question=call.question, error=f"{type(exc).__name__}: {exc}")})
        self._verdicts[gid] = {"index": index, "verdicts": verdicts, "questions": [c.question for c in calls],
                               "evidence": [self._evidence_kind(c.question) for c in calls],
                               "hidden": [c.hidden is not None or c.error is not None for c in calls]}

    def _evidence_kind(self, question: str) -> str:
        return self._lab.checks.questions.evidence.get(question, "kernel")

    def _verdict(self, call) -> dict:
        """The verdict of one ``lab.check`` call, computed by the grader (JSON)."""
        if getattr(call, "error", None):   # hidden data that cannot be read: no points without the hidden part
            raise HiddenDataError(call.error)
        lab = self._lab
        if call.question not in lab.checks.questions.functions:
            return unknown_question(lab.id, call.question).to_json()
        timeout = max(5.0, self._limits.cell_timeout)
        if self._evidence_kind(call.question) == "outside":
            checker = self._g.get("checker")
            if checker is not None:  # the lab's checks, in the grader's sandboxed checker process
                return checker.evaluate(call.question, self._lang, call.hidden, Path(self._workdir), timeout)
            from ...lab import Lab
            context = {"workdir": Path(self._workdir), **self._g.get("context", {})}
            with time_limit(timeout):
                return Lab(lab.id, self._lang).evaluate(call.question, {}, hidden=call.hidden,
                                                        context=context).to_json()
        if self._rpc is None:
            self._rpc = KernelRPC(self.km, interrupt_grace=self.interrupt_grace)
        context = {"workdir": Path(self._workdir), **self._g.get("context", {})}
        with time_limit(timeout):
            return evaluate_kernel(lab, self._lang, call.question, self._rpc, call.hidden, context).to_json()


def _message_size(msg: dict) -> int:
    content = msg.get("content", {})
    if "text" in content and isinstance(content["text"], str):
        return len(content["text"])
    data = content.get("data")
    if isinstance(data, dict):
        return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())
    return len(json.dumps(content, default=str))


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                os.lchown(os.path.join(root, name), uid, gid)
            except OSError:
                pass

