"""The grading sandbox and the evidence bridge on their own, and a whole grading run as a normal user.

Nothing here sends traffic anywhere but loopback: the network checks run inside a network namespace the test makes
(only ``lo``), aimed at a documentation address (TEST-NET-3), and show the connect refused before a packet exists.
"""
from __future__ import annotations

import datetime
import decimal
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graders.grade.evidence import Opaque, RemoteFunction, TooLarge, _encode, decode
from graders.grade.sandbox import human_bytes, parse_size, probe
from graders.grade.verdicts import check_calls

REPO = Path(__file__).resolve().parents[1]
CAPS = probe()
needs_namespaces = pytest.mark.skipif(not CAPS.full, reason="this machine allows no namespaces here")


def _round_trip(value):
    return decode(json.loads(json.dumps(_encode(value))))


def test_plain_values_cross_unchanged():
    for value in [None, True, 3, -2.5, "Олена", "東京", [1, "a", None], (1, 2), {"a": [1, {"b": 2}]}, {1, 2},
                  b"\x00\xff", 10 ** 30, float("inf"), 2 + 3j, pathlib.Path("/tmp/x"), datetime.date(2026, 11, 25),
                  datetime.datetime(2026, 11, 25, 10, 30), decimal.Decimal("1.10")]:
        back = _round_trip(value)
        assert back == value and type(back) is type(value), value


def test_numpy_and_pandas_cross_as_themselves():
    arr = np.arange(6, dtype="int64").reshape(2, 3)
    back = _round_trip(arr)
    assert isinstance(back, np.ndarray) and back.dtype == arr.dtype and (back == arr).all()
    assert _round_trip(np.float64(2.5)) == 2.5 and isinstance(_round_trip(np.int64(7)), np.integer)
    frame = pd.DataFrame({"session": ["a", "b"], "minutes": [30, 45]})
    back = _round_trip(frame)
    assert isinstance(back, pd.DataFrame) and back.equals(frame)
    series = _round_trip(frame["minutes"])
    assert isinstance(series, pd.Series) and series.tolist() == [30, 45] and series.name == "minutes"


def test_functions_become_remote_and_other_objects_stand_ins():
    def greet(name):
        return "Hello, " + name + "!"

    back = _round_trip(greet)
    assert isinstance(back, RemoteFunction) and back.__name__.endswith("greet")

    class Robot:
        def __repr__(self):
            return "<Robot>"

    stand_in = _round_trip(Robot())
    assert isinstance(stand_in, Opaque) and type(stand_in).__name__ == "Robot" and repr(stand_in) == "<Robot>"
    from graders.checks import kind_of_value
    assert kind_of_value(stand_in, "en") == "a value of type Robot"
    assert isinstance(decode({"$toolarge": 10 ** 9}), TooLarge)


HOSTILE_PAYLOADS = [
    {"$type": "os.system"}, {"$opaque": "__import__('keys_planted')", "repr": "__import__('keys_planted')"},
    {"$unknown": "__import__('keys_planted')"}, {"$dataframe": '{"schema": {"fields": []}, "data": []}'},
    {"$ndarray": "object", "shape": [1], "data": {"$list": ["__import__('keys_planted')"]}},
    {"$npscalar": "int64", "value": "__import__('keys_planted')"}, {"$decimal": "__import__('keys_planted')"},
    {"$dict": [["__import__('keys_planted')", {"$opaque": "keys_planted.Evil", "repr": "keys_planted"}]]},
    {"$path": "__import__('keys_planted')"}, {"$function": "__import__('keys_planted')", "name": "keys_planted"},
]
RISKY_EVENTS = {"exec", "os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "pickle.find_class",
                "marshal.loads", "ctypes.dlopen", "builtins.input"}


def _code_run_by(decoder, tmp_path, monkeypatch) -> list:
    """Decode every hostile payload with ``decoder``; what of it ran code: risky audit events, a compile or an
    import that mentions the planted module, or the planted module itself (it writes a file when imported)."""
    (tmp_path / "keys_planted.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\nclass Evil: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen, recording = [], [True]

    def hook(event, args):   # audit hooks cannot be removed: this one goes quiet after the test
        if not recording[0]:
            return
        if event in RISKY_EVENTS or (event in ("compile", "import") and "keys_planted" in repr(args)[:2000]):
            seen.append((event, repr(args)[:200]))

    sys.addaudithook(hook)
    try:
        for payload in HOSTILE_PAYLOADS:
            try:
                decoder(payload)
            except (ValueError, KeyError, TypeError, decimal.InvalidOperation):
                pass
    finally:
        recording[0] = False
    if (tmp_path / "imported").exists():
        seen.append(("imported", "keys_planted"))
    return seen


def test_decoding_never_runs_code(tmp_path, monkeypatch):
    # a hostile kernel can send any JSON; none of it turns into code or an import of its choosing
    assert _code_run_by(decode, tmp_path, monkeypatch) == []


def test_the_decoding_guard_sees_a_decoder_that_runs_code(tmp_path, monkeypatch):
    # the guard above is not empty: a decoder that evaluates an $opaque type name (a planted defect) is caught
    def evaluating(payload):
        if isinstance(payload, dict) and "$opaque" in payload:
            return eval(payload["$opaque"])  # noqa: S307 (the planted defect)
        return decode(payload)

    seen = _code_run_by(evaluating, tmp_path, monkeypatch)
    assert ("imported", "keys_planted") in seen and any(e == "exec" or e == "compile" for e, _ in seen)


def test_check_calls_are_read_from_the_master_source():
    calls = check_calls('lab.check("q4")\n### BEGIN HIDDEN TESTS\nlab.check("q4", hidden={"names": ["Олена"]})\n'
                        "### END HIDDEN TESTS")
    assert [(c.question, c.hidden) for c in calls] == [("q4", None), ("q4", {"names": ["Олена"]})]
    assert check_calls("print('no checks here')") == [] and check_calls("lab.check(") == []


def test_the_kernel_runs_a_check_cell_without_its_hidden_block():
    from graders.grade.preprocessors.sandboxedexecute import without_hidden_tests

    master = ('lab.check("q4")\n### BEGIN HIDDEN TESTS\nlab.check("q4", hidden={"names": ["Олена"]})\n'
              "### END HIDDEN TESTS\nprint('after')\n")
    kernel = without_hidden_tests(master)
    assert kernel == 'lab.check("q4")\nprint(\'after\')\n'
    assert "Олена" not in kernel and "hidden" not in kernel
    assert [c.question for c in check_calls(kernel)] == ["q4"]
    assert without_hidden_tests('lab.check("q1")') == 'lab.check("q1")'


def test_hidden_data_that_does_not_round_trip_fails_the_build(tmp_path):
    # JSON allows NaN; Python's repr of it (nan) is no literal: the grader used to read no hidden data at all and grade
    # without the hidden part. The build now refuses it, naming the file; the grader fails such a check itself.
    from types import SimpleNamespace

    from graders.build import BuildError, _insert_hidden

    source = 'lab.check("q1")\n### BEGIN HIDDEN TESTS\nlab.check("q1", hidden=HIDDEN)\n### END HIDDEN TESTS'
    lab = SimpleNamespace(hidden_dir=tmp_path)
    (tmp_path / "q1.json").write_text('{"cases": [[1, 2.5], ["Олена", null]]}', encoding="utf-8")
    built = _insert_hidden(lab, "q1", source, "nb")
    assert [(c.question, c.hidden, c.error) for c in check_calls(built)] == [
        ("q1", None, None), ("q1", {"cases": [[1, 2.5], ["Олена", None]]}, None)]
    for bad in ('{"cases": [NaN]}', '{"limit": Infinity}'):
        (tmp_path / "q1.json").write_text(bad, encoding="utf-8")
        with pytest.raises(BuildError, match="q1.json"):
            _insert_hidden(lab, "q1", source, "nb")
    unreadable = check_calls('lab.check("q1", hidden={"cases": [nan]})')
    assert unreadable[0].hidden is None and "cannot be read" in unreadable[0].error


def test_sizes_read_and_write_as_people_say_them():
    assert parse_size("1GiB") == 1024 ** 3 and parse_size("512MiB") == 512 * 1024 ** 2 and parse_size(100) == 100
    assert human_bytes(1024 ** 3) == "1 GiB" and human_bytes(1.5 * 1024 ** 2) == "1.5 MiB"


def test_a_fork_bomb_is_told_from_the_programs_a_kernel_runs():
    """The init that watches a kernel counts the kernel's copies (forked, never exec'd) from /proc/PID/stat, and
    kills only those after a bomb: a program the kernel started (exec'd), even Python itself, is not a copy."""
    from graders.grade.launch import _copies

    copies = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:  # a copy of this process, as a fork bomb makes them
            import time
            time.sleep(60)
            os._exit(0)
        copies.append(pid)
    program = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the same name, exec'd
    try:
        assert sorted(_copies(os.getpid(), "/proc", [*copies, program.pid])) == sorted(copies)
    finally:
        for pid in copies:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        program.kill()
        program.wait()


def test_no_folder_a_kernel_sees_holds_the_course(tmp_path, monkeypatch, capsys, venv_bin):
    """A folder bound into the kernel's view that holds the course folder would show it the gradebook and the
    solutions (and the submission's folder could not be made writable under it: every kernel failed to start). A
    folder Python merely imports from (here: a script's own folder) is left out; one the instructor allows is refused
    with a message that says what to allow instead."""
    from types import SimpleNamespace

    from nbgrader.api import Gradebook

    from graders.grade.app import CourseInView, main, sandbox_settings

    course = tmp_path / "teacher" / "course"
    course.mkdir(parents=True)
    coursedir = SimpleNamespace(root=str(course), db_url=f"sqlite:///{course / 'gradebook.db'}")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = sandbox_settings(coursedir)["allow"]
    assert seen and not [p for p in seen if f"{course}/".startswith(os.path.realpath(p).rstrip("/") + "/")]
    with pytest.raises(CourseInView):
        sandbox_settings(coursedir, allow=[str(tmp_path / "teacher")])
    assert sandbox_settings(coursedir, allow=[str(tmp_path / "data")])["allow"][-1] == str(tmp_path / "data")

    monkeypatch.setenv("PATH", f"{venv_bin}{os.pathsep}{os.environ['PATH']}")  # nbgrader runs alembic on a new gradebook
    with Gradebook(coursedir.db_url, "demo") as gb:
        gb.add_assignment("orientation")
    code = main(["orientation", f"--course-dir={course}", "--CourseDirectory.course_id=demo", "--no-progress",
                 f"--allow={tmp_path / 'teacher'}", "--lang=uk"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"--allow {tmp_path / 'teacher'} містить теку курсу ({course})" in err


def test_a_kernel_waits_for_a_bombs_remains_only_while_there_is_no_room_for_it():
    """Before a kernel starts, the grader waits while the kernel user's leftover tasks (a fork bomb's, going) fill its
    process limit. With a small limit (``--max-procs 48``) an idle user must not count as crowded: every kernel would
    wait the whole timeout (30 s) before it started."""
    from types import SimpleNamespace

    from graders.grade.kernel import too_crowded_to_start

    def cfg(max_procs, base=0):
        return SimpleNamespace(limits={"max_procs": max_procs}, nproc_base=base)

    for limit in (16, 48, 512):
        assert not too_crowded_to_start(0, cfg(limit)), limit          # nothing left over: start at once
        assert not too_crowded_to_start(3, cfg(limit, base=40)), limit  # a normal user's own processes are the base
        assert too_crowded_to_start(limit, cfg(limit)), limit           # the limit is full: wait
    assert too_crowded_to_start(460, cfg(512)) and not too_crowded_to_start(440, cfg(512))  # 64 free are enough
    assert too_crowded_to_start(30, cfg(48)) and not too_crowded_to_start(20, cfg(48))      # half of a small limit


KERNEL_PROBE = r'''
import asyncio, json, os, sys
from dataclasses import asdict
from graders.grade import sandbox
from graders.grade.kernel import SandboxedKernelManager
from graders.grade.sandbox import LaunchConfig, Limits

work, secret, status, how = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
sandbox.enter_private_network()
template = None
if how == "template":  # forked from a kernel template (what a worker does), not exec'd
    from graders.grade.kerneltemplate import Template
    template = Template(["pandas"], dict(os.environ))
    while template.state is None:
        template._drain(0.1)
    assert template.state, "the template did not start"
root = os.geteuid() == 0
if root:
    os.chown(work, 61990, 61990)
cfg = LaunchConfig(limits=asdict(Limits(memory=512 * 1024 ** 2, max_procs=48)), workdir=work, status_path=status,
                   uid=61990 if root else None, gid=61990 if root else None, userns=not root,
                   allow=sandbox.needed_paths(), hide=[], env={"OPENBLAS_NUM_THREADS": "1"})
CODE = {
    "who": "import os; print(json.dumps([os.getuid(), os.getpid(), os.getppid()]))",
    "interfaces": "print(json.dumps([l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]]))",
    "connect": "import socket, errno\ntry:\n    socket.create_connection(('203.0.113.9', 80), timeout=3)\nexcept OSError as e:\n    print(json.dumps(e.errno and errno.errorcode[e.errno] or str(e)))",
    "secret": "print(json.dumps(os.path.exists(%r)))" % secret,
    "root": "print(json.dumps(sorted(os.listdir('/'))))",
    "fds": "fds = []\nfor f in os.listdir('/proc/self/fd'):\n    try:\n        fds.append(os.readlink('/proc/self/fd/' + f))\n    except OSError:\n        pass\nprint(json.dumps(sorted(fds)))",
    "memory": "try:\n    x = bytearray(900 * 1024 ** 2)\n    print(json.dumps('allocated'))\nexcept MemoryError:\n    print(json.dumps('MemoryError'))",
    "daemon": "import subprocess\nsubprocess.Popen(['setsid', 'sleep', '301.7'], start_new_session=True)\nprint(json.dumps('ok'))",
    "procs": "import subprocess\nps = []\ntry:\n    for _ in range(100):\n        ps.append(subprocess.Popen(['sleep', '300.3']))\n    print(json.dumps('started all'))\nexcept OSError as e:\n    print(json.dumps(type(e).__name__))",
}

async def main():
    km = SandboxedKernelManager(kernel_name="python3", launch_config=cfg, kernel_template=template)
    await km.start_kernel(cwd=work)
    out = {"template": None}
    if template is not None:
        fds = f"/proc/{template.proc.pid}/fd"  # its own: the socket to us, its wake-up pipe (not its std streams)
        out["template"] = sorted(os.readlink(f"{fds}/{fd}") for fd in os.listdir(fds) if int(fd) > 2)
        out["launcher_parent"] = int(open(f"/proc/{km.provisioner.pid}/stat").read().rsplit(")", 1)[1].split()[1])
        out["template_pid"] = template.proc.pid
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    await kc.execute_interactive("import json", timeout=30)
    for name, code in CODE.items():
        lines = []
        await kc.execute_interactive(code, timeout=60,
                                     output_hook=lambda m: lines.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        out[name] = json.loads("".join(lines).strip().splitlines()[-1])
    await km.shutdown_kernel(now=False)
    if template is not None:
        template.close()
        out["template_exit"] = template.proc.returncode
    print("PROBE " + json.dumps(out))

asyncio.run(main())
'''


def _sleepers(tag: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").strip() == f"sleep {tag}".encode():
                    found.append(pid)
            except OSError:
                pass
    return found


@needs_namespaces
@pytest.mark.slow
@pytest.mark.parametrize("how", ["exec", "template"])
def test_a_kernel_in_the_sandbox(tmp_path, how):
    """The same sandbox whether the kernel was exec'd by the launcher, or forked from the worker's kernel template
    (kerneltemplate.py, with ipykernel and pandas imported) and run in the launcher's forked process."""
    work = tmp_path / "course" / "autograded" / "learner" / "lab"
    work.mkdir(parents=True)
    secret = tmp_path / "course" / "gradebook.db"
    secret.write_text("grades")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "tests"), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", KERNEL_PROBE, str(work), str(secret), str(tmp_path / "status.json"),
                           how], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert "PROBE " in proc.stdout, proc.stderr[-3000:]
    got = json.loads(proc.stdout.split("PROBE ", 1)[1])
    uid, pid, ppid = got["who"]
    assert (pid, ppid) == (2, 1)                              # its own PID namespace, our init is its parent
    assert uid == (61990 if os.geteuid() == 0 else 1000)      # no privileges
    assert got["interfaces"] == ["lo"]                        # loopback only ...
    assert "Network access is switched off" in got["connect"] or got["connect"] == "ENETUNREACH"  # ... no packet
    assert got["secret"] is False                             # the course folder is not in its view
    assert "home" not in got["root"] and set(got["root"]) >= {"usr", "etc", "tmp", "proc"}
    assert got["memory"] == "MemoryError"                     # 512 MiB limit
    assert got["procs"] == "BlockingIOError"                  # 48 processes and threads
    assert got["daemon"] == "ok"
    # it holds what it opened itself (and the standard streams it was given): not the init's status file, nor the
    # template's socket or wake-up pipe
    assert not [f for f in got["fds"] if "status" in f or f in (got["template"] or [])], (got["fds"], got["template"])
    if how == "template":
        assert len(got["template"]) >= 2
        assert got["launcher_parent"] == got["template_pid"] and got["template_exit"] == 0
    assert _sleepers("300.3") == [] and _sleepers("301.7") == []  # nothing outlives the kernel
    status = json.loads((tmp_path / "status.json").read_text() or "{}")
    # the init took the probe's many processes for a fork bomb (half the limit of 48) and stopped them there
    assert status.get("hit_task_limit") is True and status.get("peak_tasks", 0) >= 48 // 2


@pytest.mark.slow
def test_a_kernel_whose_port_was_taken_is_started_again(tmp_path):
    """Two kernels starting at once can be handed the same free port; the one that binds second dies before it
    answers. The grader starts a new kernel (none of the learner's code has run yet) instead of failing the
    submission."""
    import socket

    from nbformat.v4 import new_code_cell, new_notebook

    from graders.grade.preprocessors import SandboxedExecute

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    managers = []

    class PortTakenOnce(SandboxedExecute):
        def create_kernel_manager(self):
            km = super().create_kernel_manager()
            if not managers:  # as if another kernel had bound this port between its choice and our kernel's bind
                km.cache_ports = False
                km.shell_port = taken.getsockname()[1]
            managers.append(km)
            return km

    try:
        nb, _ = PortTakenOnce(sandbox=False, timeout=60).preprocess(
            new_notebook(cells=[new_code_cell("print(6 * 7)")]), {"metadata": {"path": str(tmp_path)}})
    finally:
        taken.close()
    assert len(managers) == 2
    assert [o.get("text") for o in nb.cells[0].outputs] == ["42\n"]


USER = 65534


def _python_for(uid: int) -> list[str] | None:
    """A Python the user ``uid`` can run with this environment's packages (the venv's own may be unreadable)."""
    site = next((p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()), None)
    for python in (sys.executable, "/usr/bin/python3"):
        probe_cmd = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "env", "-i",
                     "PATH=/usr/bin:/bin", f"PYTHONPATH={REPO}:{site}", python, "-c",
                     "import sys, nbgrader, graders; print(sys.version_info[:2])"]
        try:
            out = subprocess.run(probe_cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == str(sys.version_info[:2]):
            return [python, site]
    return None


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become a normal user")
def test_grading_as_a_normal_user():
    """The whole `graders grade` as an unprivileged user: user + network namespaces, kernels without capabilities,
    the course folder out of the kernels' view, the same scores."""
    from nbgrader.api import Gradebook

    from graders.grade.classroom import make_class, release_copy, submit
    from graders.testing import fill_answers, reference_answers
    import nbformat

    found = _python_for(USER)
    if found is None:
        pytest.skip("no Python here that a normal user may run with this environment's packages")
    python, site = found
    import tempfile
    tmp_path = Path(tempfile.mkdtemp(prefix="graders-normal-user-", dir="/tmp"))  # every folder above it: o+x
    try:
        _grade_as_normal_user(tmp_path, python, site)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _grade_as_normal_user(tmp_path: Path, python: str, site: str) -> None:
    from nbgrader.api import Gradebook

    from graders.grade.classroom import make_class, release_copy, submit
    from graders.testing import fill_answers, reference_answers
    import nbformat

    root = tmp_path / "course"
    learners = make_class(root, "orientation", 3)
    source = nbformat.read(root / "source" / "orientation" / "orientation.ipynb", as_version=4)
    answers = reference_answers(source)
    sneaky = dict(answers, q2_answer="import glob\nprint('FOUND', glob.glob('../../../gradebook.db'))\n"
                                     "open('../../../gradebook.db', 'a').write('x')\ntotal_hours = 18")
    submit(root, "orientation", "sneaky", {"orientation": fill_answers(release_copy(root, "orientation", "orientation", "en"), sneaky)})
    subprocess.run(["chown", "-R", f"{USER}:{USER}", str(tmp_path)], check=True)
    os.chmod(tmp_path, 0o755)
    cmd = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin",
           f"HOME={tmp_path}", "LANG=C.UTF-8", f"GRADERS_WORKSPACE={tmp_path}", f"PYTHONPATH={REPO}:{site}", python,
           "-m", "graders.grade", "orientation", f"--course-dir={root}", "--workers=2", "--no-progress",
           "--cell-timeout=60", "--lang=en"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "userns+netns" in proc.stdout and "user namespace" in proc.stdout
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment("orientation").submissions}
    for x in learners:
        if x.kind == "reference":
            assert scores[x.student] == 7
    assert scores["sneaky"] == 6  # q2's cell failed: the gradebook is not in its view
    nb = nbformat.read(root / "autograded" / "sneaky" / "orientation" / "orientation.ipynb", as_version=4)
    assert any("FOUND []" in o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.slow
def test_a_kernel_booted_ahead_that_died_is_replaced(tmp_path):
    """A worker boots the next submission's kernel while the current notebook runs; should that kernel die before it
    answers (the previous submission's fork bomb used up the processes its user may run), a fresh kernel is started
    for the notebook (none of the learner's code has run yet) instead of failing the submission."""
    import signal
    import time

    from nbformat.v4 import new_code_cell, new_notebook

    from graders.grade.kernel import _children
    from graders.grade.preprocessors import SandboxedExecute
    from graders.grade.warm import start_warm_kernel

    student = tmp_path / "learner"
    work = student / "lab"
    no_namespaces = {"mount": False, "pidns": False, "userns": False}
    warm = start_warm_kernel(no_namespaces, {"SandboxedExecute": {"timeout": 60}}, student, work, None,
                             tmp_path / "none.ipynb", {})
    assert warm is not None
    work.mkdir()
    launcher = warm.km.provisioner.pid
    deadline = time.monotonic() + 30
    while not any(_children(init) for init in _children(launcher)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for init in _children(launcher):
        for pid in _children(init):
            os.kill(pid, signal.SIGKILL)  # the kernel dies before it ever answered
    managers = []

    class Counting(SandboxedExecute):
        def create_kernel_manager(self):
            managers.append(super().create_kernel_manager())
            return managers[-1]

    nb, _ = Counting(sandbox=True, timeout=60).preprocess(
        new_notebook(cells=[new_code_cell("import os\nprint(6 * 7, os.path.basename(os.getcwd()))")]),
        {"metadata": {"path": str(work)}, "graders": {"warm": warm}})
    assert len(managers) == 1                      # the warm kernel's manager was not made here; a fresh one was
    assert [o.get("text") for o in nb.cells[0].outputs] == ["42 lab\n"]
