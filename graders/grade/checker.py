"""The grader's checker for outside evidence: the lab's own question functions, in a sandboxed process of the grader.

A question with ``evidence="outside"`` is decided from what the notebook left outside the kernel, by the grader,
right after its check cell ran: ``Lab(lab, lang).evaluate(q, {}, hidden=..., context={"workdir": ..., <service>:
<the submission's own server>})``. Some labs' checks run the learner's code themselves to judge it (the RPA lab
re-runs the learner's robot against a fresh practice company). That code must not run with the grader's rights, next
to the gradebook: so the grader evaluates these questions in a *checker* process of its own, started per submission
inside the same sandbox as the kernel (no network but the submission's services, a file view without the course
folder, limits, no privileges). The question functions, the hidden data and the verdict stay the grader's; the
learner's code only ever runs inside the sandbox.

Protocol: one JSON request per line on stdin, one JSON answer per line on the original stdout (anything the check
code prints goes to stderr).
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ENV_FLAG = "GRADERS_OUTSIDE_BY_GRADER"   # in a graded kernel: outside-evidence checks are left to the grader


# --- in the sandbox ------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    lab_id = (argv or sys.argv[1:])[0]
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # print() in check code must not end up in the answers
    from ..lab import Lab
    from ..labdef import load_lab

    load_lab(lab_id).checks
    labs: dict[str, Lab] = {}
    for line in sys.stdin:
        try:
            req = json.loads(line)
            lang = req.get("lang", "en")
            if lang not in labs:
                labs[lang] = Lab(lab_id, lang)
            lab = labs[lang]
            context = {"workdir": Path(req["workdir"]), "data_dir": Path(req["data_dir"]),
                       **{name: lab.context[name] for name in lab.definition.services if name in lab.context}}
            verdict = lab.evaluate(req["question"], {}, hidden=req.get("hidden"), context=context)
            out = {"ok": True, "verdict": verdict.to_json()}
        except BaseException as exc:  # noqa: BLE001 (say what went wrong; the grader gives no points for it)
            out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        answers.write(json.dumps(out) + "\n")
        answers.flush()
    return 0


# --- in the grader -------------------------------------------------------------------------------------------------

class CheckerError(Exception):
    pass


class OutsideChecker:
    """The checker process of one submission (started on first use, stopped with the submission)."""

    def __init__(self, lab_id: str, sandbox: dict, limits, student_dir: Path, source: Path, kernel_env: dict,
                 log_path: Path | None = None):
        self.lab_id, self.sandbox, self.limits = lab_id, sandbox, limits
        self.student_dir, self.source, self.kernel_env, self.log_path = student_dir, source, kernel_env, log_path
        self.proc: subprocess.Popen | None = None
        self.scratch: Path | None = None
        self.data_dir: Path | None = None

    def __deepcopy__(self, memo):
        return self

    def _start(self) -> None:
        from .kernel import launcher_command
        from .sandbox import LaunchConfig

        self.scratch = Path(tempfile.mkdtemp(prefix="graders-checker-"))
        os.chmod(self.scratch, 0o755)
        # the lab's data files as the instructor ships them, without the source notebooks (they hold the solutions)
        self.data_dir = self.scratch / "data"
        shutil.copytree(self.source, self.data_dir, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        for folder, dirs, files in os.walk(self.scratch):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        status = self.scratch / "status.json"
        sb = self.sandbox
        launch = LaunchConfig(limits=asdict(self.limits), workdir=str(self.student_dir), status_path=str(status),
                              mount=sb.get("mount", True), pidns=sb.get("pidns", True), userns=sb.get("userns", False),
                              uid=sb.get("uid"), gid=sb.get("gid"), allow=[*sb.get("allow", []), str(self.data_dir)],
                              hide=list(sb.get("hide", [])), nproc_base=sb.get("nproc_base", 0),
                              env={**self.kernel_env, "PYTHONUNBUFFERED": "1"},
                              guard={"blocked_paths": list(sb.get("hide", [])), "allowed_paths": [str(self.student_dir)]})
        cmd = launcher_command(launch) + [sys.executable, "-P", "-m", "graders.grade.checker", self.lab_id]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                     env=dict(os.environ, NBGRADER_EXECUTION="autograde"), start_new_session=True,
                                     cwd=str(self.student_dir))
        if log is not subprocess.DEVNULL:
            log.close()
        self._buffer = b""

    def evaluate(self, question: str, lang: str, hidden, workdir: Path, timeout: float) -> dict:
        """The verdict (as JSON) of ``question`` for the submission in ``workdir``; raises CheckerError."""
        if self.proc is None:
            self._start()
        if self.proc.poll() is not None:
            raise CheckerError(f"the checker stopped (exit code {self.proc.returncode})")
        request = {"question": question, "lang": lang, "hidden": hidden, "workdir": str(workdir),
                   "data_dir": str(self.data_dir)}
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as exc:
            raise CheckerError(f"the checker stopped ({exc})") from None
        line = self._readline(timeout)
        if line is None:
            self.close()
            raise CheckerError(f"the check did not finish within {timeout:.0f} s")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise CheckerError(answer.get("error", "?"))
        return answer["verdict"]

    def _readline(self, timeout: float) -> bytes | None:
        import time

        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def close(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait()
            self.proc.stdout.close()
            self.proc = None
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


if __name__ == "__main__":
    sys.exit(main())
