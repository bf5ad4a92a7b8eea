"""Start a submission's kernel before nbgrader needs it, so the kernel boots while nbgrader does its bookkeeping.

nbgrader's steps before execution (create the student and submission, copy the instructor's files, sanitize the
notebook, look up every cell in the gradebook) use the grading worker's CPU; a kernel booting (Python, ipykernel,
the lab's imports) uses another process. Started first, the two overlap. The kernel starts in the learner's folder
``autograded/<student>/`` (its sandbox shows that folder, which nbgrader fills meanwhile) and moves into
``autograded/<student>/<assignment>/`` just before the first cell runs.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from .kernel import SandboxedKernelManager
from .sandbox import LaunchConfig, Limits, parse_size


TEMPLATE = None  # the worker's kernel template (kerneltemplate.Template), when it has one


class WarmKernel:
    """A started kernel waiting for its notebook; shared, not copied, when nbconvert deep-copies resources."""

    def __init__(self, km: SandboxedKernelManager, launch: LaunchConfig, workdir: str):
        self.km, self.launch, self.workdir, self.used = km, launch, workdir, False

    def __deepcopy__(self, memo):
        return self

    def take(self) -> "WarmKernel | None":
        if self.used:
            return None
        self.used = True
        return self

    def discard(self) -> None:
        if self.used:
            return
        self.used = True
        from jupyter_core.utils import run_sync
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001
            pass
        Path(self.launch.status_path).unlink(missing_ok=True)


def notebook_imports(path: Path) -> list[str]:
    """Top-level modules the instructor's notebook imports (what learners' notebooks will import too)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    names: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
    out = []
    for name in dict.fromkeys(names):
        try:
            if importlib.util.find_spec(name.split(".")[0]) is not None:
                out.append(name)
        except (ImportError, ValueError):
            continue
    return out


def start_warm_kernel(sandbox: dict, config: dict, student_dir: Path, workdir: Path, lab_id: str | None,
                      source_notebook: Path, kernel_env: dict) -> WarmKernel | None:
    """Launch the kernel for ``workdir`` (not there yet) from ``student_dir``; None when it cannot be done here."""
    from jupyter_core.utils import run_sync

    ex = dict(config.get("SandboxedExecute", {}))
    limits = Limits(cell_timeout=float(ex.get("timeout") or 60), notebook_timeout=float(ex.get("notebook_timeout", 600)),
                    memory=parse_size(ex.get("memory_limit", "1GiB")), max_procs=int(ex.get("max_procs", 512)),
                    file_size=parse_size(ex.get("file_size_limit", "256MiB")),
                    output_bytes=parse_size(ex.get("output_limit", "1MiB")))
    student_dir.mkdir(parents=True, exist_ok=True)
    fd, status = tempfile.mkstemp(prefix="graders-kernel-status-", suffix=".json")
    os.close(fd)
    preload = ["graders", *([f"labs.{lab_id}.checks"] if lab_id else []), *notebook_imports(source_notebook)]
    launch = LaunchConfig(limits=asdict(limits), workdir=str(student_dir), status_path=status,
                          mount=sandbox.get("mount", True), pidns=sandbox.get("pidns", True),
                          userns=sandbox.get("userns", False), uid=sandbox.get("uid"), gid=sandbox.get("gid"),
                          allow=list(sandbox.get("allow", [])), hide=list(sandbox.get("hide", [])),
                          nproc_base=sandbox.get("nproc_base", 0), env=dict(kernel_env),
                          guard={"blocked_paths": list(sandbox.get("hide", [])), "allowed_paths": [str(student_dir)],
                                 "preload": preload})
    km = SandboxedKernelManager(kernel_name="python3", launch_config=launch, kernel_template=TEMPLATE)
    env = dict(os.environ, NBGRADER_EXECUTION="autograde")
    try:
        # as nbclient starts the kernels it runs notebooks in: IPython's history in memory, not in a sqlite file
        # created in the kernel's fresh home folder for every submission
        run_sync(km.start_kernel)(cwd=str(student_dir), env=env,
                                  extra_arguments=["--HistoryManager.hist_file=:memory:"])
    except Exception:  # noqa: BLE001 (then the notebook starts its kernel the usual way)
        Path(status).unlink(missing_ok=True)
        return None
    return WarmKernel(km, launch, str(workdir))
