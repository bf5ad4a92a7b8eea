"""nbgrader's exchange for a mixed-language class on a shared hub.

The instructor releases one all-language build of an assignment (``graders build --lang all``): every notebook holds
the prose in en, uk and ja (markdown cells tagged ``metadata.graders.lang``) and the same graded cells for everyone,
so one gradebook grades the whole class. Learners fetch it through nbgrader's own exchange; the two classes here
plug into it (``nbgrader_config.py`` of the learners' environment)::

    c.ExchangeFactory.fetch_assignment = "graders.exchange.LocalizedFetchAssignment"
    c.ExchangeFactory.submit = "graders.exchange.PrivateSubmit"

* :class:`LocalizedFetchAssignment` copies exactly as nbgrader does, then cuts each notebook it has *just copied*
  down to the learner's language (``$GRADERS_LANG``, then the learner's saved setting, then English) with
  :func:`graders.build.localize`. A notebook the learner already had is never touched (nbgrader itself refuses to
  fetch over an existing copy, and with ``replace_missing_files`` copies only what is missing).
* :class:`PrivateSubmit` submits exactly as nbgrader does, then takes away the world read (and write) bits nbgrader
  puts on the submission, so only the learner and the instructors' group (the exchange's ``inbound`` folder is
  set-group-id, so the submission belongs to the instructor's group) can read it: another learner cannot, even
  knowing its name.

nbgrader's autograde restores locked cells from the master copy and keeps the learner's answer and prose cells, so
a localized submission grades exactly like the all-language master.
"""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import nbformat
from nbgrader.exchange.default.fetch_assignment import ExchangeFetchAssignment
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import ignore_patterns
from traitlets import Unicode

from .build import challenge_cut, localize
from .i18n import LANGUAGES, normalize_language, resolve_language


def _files_under(path: Path) -> set[Path]:
    if not path.is_dir():
        return set()
    return {p for p in path.rglob("*") if p.is_file() or p.is_symlink()}


def localize_file(path: Path, lang: str, challenge: bool = False) -> bool:
    """Cut one fetched notebook to ``lang`` in place (and, for a learner in challenge mode, ``$GRADERS_CHALLENGE=1``
    from the hub's class list, to its challenge version); False (untouched) when there was nothing to cut."""
    nb = nbformat.read(path, as_version=4)
    g = nb.metadata.get("graders", {})
    langs = g.get("languages")
    cut = bool(langs) and len(langs) > 1 and lang in langs
    if cut:
        localize(nb, lang)
    if challenge and "lab" in g and g.get("challenge") is not True:
        challenge_cut(nb)
        cut = True
    if not cut:
        return False
    tmp = path.with_name(f".{path.name}.localizing")
    nbformat.write(nb, tmp)
    os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
    tmp.replace(path)
    return True


class LocalizedFetchAssignment(ExchangeFetchAssignment):
    """nbgrader's fetch, then each freshly copied all-language notebook is cut to the learner's language."""

    language = Unicode(
        "", help="The learner's language (en, uk, ja). Empty: $GRADERS_LANG, then the saved setting, then English."
    ).tag(config=True)

    def learner_language(self) -> str:
        lang = normalize_language(self.language) if self.language else None
        return lang or resolve_language()

    def do_copy(self, src, dest):
        before = _files_under(Path(dest))
        super().do_copy(src, dest)
        lang = self.learner_language()
        if lang not in LANGUAGES:  # resolve_language only returns known languages; keep the guard explicit
            return
        for path in sorted(_files_under(Path(dest)) - before):
            if path.suffix == ".ipynb" and not path.is_symlink():
                try:
                    if localize_file(path, lang, os.environ.get("GRADERS_CHALLENGE") == "1"):
                        self.log.info("Localized %s to %s", path, lang)
                except Exception as exc:  # a notebook we cannot read stays as nbgrader copied it
                    self.log.warning("Could not localize %s: %s", path, exc)


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, then the submission is readable by the learner and the instructors' group only."""

    def do_copy(self, src, dest, log=None):
        """Into the inbox: copy without copying the folder's mode at the end (as ``shutil.copytree`` does).

        The inbox is set-group-id, so a folder made in it belongs to the instructors' group and is set-group-id too;
        copying the learner's folder mode over it would drop that bit (a learner outside the group cannot set it
        again), and the files nbgrader writes next (``timestamp.txt``, ``submission_secret.txt``) would then belong
        to the learner's own group, which the instructor cannot read once they are private. The learner's own cache
        copy is made by nbgrader as usual."""
        if Path(dest).parent != Path(self.inbound_path):
            return super().do_copy(src, dest, log)
        if self.get_size(src) > 1000 * self.coursedir.max_dir_size:
            self.log.error("Directory size is too big")
            raise RuntimeError(f"Directory size is too big. Size is {self.get_size(src)}, "
                               f"maximum size is {1000 * self.coursedir.max_dir_size}")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)

        def copy(folder: str, target: str) -> None:
            os.mkdir(target)
            names = os.listdir(folder)
            skipped = ignore(folder, names)
            for name in names:
                if name in skipped:
                    continue
                source = os.path.join(folder, name)
                if os.path.isdir(source):
                    copy(source, os.path.join(target, name))
                else:
                    shutil.copyfile(source, os.path.join(target, name))

        copy(str(src), str(dest))

    def copy_files(self):
        super().copy_files()
        dest = Path(self.inbound_path) / self.assignment_filename
        if not dest.is_dir():
            return
        for folder, dirs, files in os.walk(dest):
            for name in files:
                os.chmod(os.path.join(folder, name), 0o640)
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o770)
        # The instructor deletes old submissions: keep group write on the top folder (no access for others).
        os.chmod(dest, 0o770)
