"""The concept map: which Python constructs a piece of code uses, and which ones a learner knows at a notebook.

Every notebook declares in its lab's ``lab.toml`` what it teaches (``[notebook."<name>"] teaches = [...]``) and every
lab which labs come first (``requires = [...]``). A concept is *known* in a notebook when it is taught by that
notebook, an earlier notebook of the same lab, or any notebook of a required lab (transitively).
``tests/test_concepts.py`` reads every reference answer with :func:`concepts_in` and fails when an answer uses a
concept that is not known where it is asked, so no exercise needs something nobody taught.

The ids (:data:`VOCABULARY`) are shared with the lab authors; add ids, never rename one.
"""
from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .labdef import LabDef, LabDefinitionError, load_lab

# id -> what it means (for messages and for the lab authors)
VOCABULARY: dict[str, str] = {
    "variable": "a name given a value (x = ...)",
    "string": "a text in quotes",
    "number": "an int or float literal",
    "list": "a list literal [a, b]",
    "dict": "a dict literal {\"k\": v}",
    "tuple": "a tuple literal (a, b)",
    "set": "a set literal {a, b}",
    "subscript": "one index or key, x[i] / x[\"k\"]",
    "nested_subscript": "a chain of indexes or keys, x[a][b]",
    "slice": "x[a:b]",
    "call": "calling a function, f(x)",
    "method": "the dot: calling a method, obj.m(x), or reading an attribute, obj.name",
    "keyword_args": "f(name=value)",
    "def": "defining a function",
    "return": "return from a function",
    "default_args": "def f(x=1)",
    "if": "if / elif / else (and a if c else b)",
    "comparison": "==, !=, <, in, is ...",
    "bool_ops": "and / or / not",
    "for": "a for loop",
    "while": "a while loop",
    "break_continue": "break / continue in a loop",
    "augassign": "x += 1",
    "unpacking": "a, b = ... (also in a for loop)",
    "fstring": "f\"...{x}...\"",
    "try": "try / except",
    "raise": "raise an exception",
    "with": "a with block",
    "lambda": "lambda x: ...",
    "comprehension": "[x for x in ...] (list, set, dict comprehensions and generator expressions)",
    "class": "defining a class",
    "assert": "assert",
}
IMPORT_PREFIX = "import:"
# the course's own packages: their helpers are introduced where a notebook hands them out, they are no concept
COURSE_PACKAGES = {"labs", "graders"}
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION", re.S | re.M)


def is_known_id(concept: str) -> bool:
    """A vocabulary id or ``import:<top-level module>``."""
    if concept.startswith(IMPORT_PREFIX):
        return re.fullmatch(r"[A-Za-z_]\w*", concept[len(IMPORT_PREFIX):]) is not None
    return concept in VOCABULARY


def imported_names(source: str) -> dict[str, str]:
    """{name bound by an import: top-level module} for every import in ``source`` (unparsable source: {})."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return {}
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = node.module.split(".")[0]
    return {name: module for name, module in names.items() if module not in COURSE_PACKAGES}


class _Finder(ast.NodeVisitor):
    def __init__(self, modules: dict[str, str], lines: tuple[int, int] | None):
        self.modules = modules
        self.lines = lines
        self.found: set[str] = set()

    def _inside(self, node: ast.AST) -> bool:
        if self.lines is None or not hasattr(node, "lineno"):
            return True
        first, last = self.lines
        return first <= node.lineno <= last

    def add(self, node: ast.AST, concept: str) -> None:
        if self._inside(node):
            self.found.add(concept)

    def generic_visit(self, node: ast.AST) -> None:
        n = node
        if isinstance(n, ast.Constant):
            # True, False and None are values a prompt names, like the names of things: no construct
            if isinstance(n.value, bool) or n.value is None:
                pass
            elif isinstance(n.value, (int, float, complex)):
                self.add(n, "number")
            elif isinstance(n.value, (str, bytes)):
                self.add(n, "string")
        elif isinstance(n, ast.JoinedStr):
            self.add(n, "fstring")
            # the literal parts of an f-string are not separate strings a learner writes
            for value in n.values:
                if isinstance(value, ast.FormattedValue):
                    self.visit(value)
            return
        elif isinstance(n, (ast.Assign, ast.AnnAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    self.add(n, "variable")
                elif isinstance(target, (ast.Tuple, ast.List)):
                    self.add(n, "variable")
                    self.add(n, "unpacking")
        elif isinstance(n, ast.AugAssign):
            self.add(n, "augassign")
        elif isinstance(n, ast.List) and isinstance(n.ctx, ast.Load):
            self.add(n, "list")
        elif isinstance(n, ast.Tuple) and isinstance(n.ctx, ast.Load):
            self.add(n, "tuple")
        elif isinstance(n, ast.Dict):
            self.add(n, "dict")
        elif isinstance(n, ast.Set):
            self.add(n, "set")
        elif isinstance(n, ast.Subscript):
            if isinstance(n.slice, ast.Slice):
                self.add(n, "slice")
            else:
                self.add(n, "subscript")
                if isinstance(n.value, ast.Subscript):
                    self.add(n, "nested_subscript")
        elif isinstance(n, ast.Attribute):
            if isinstance(n.value, ast.Name) and n.value.id in self.modules:
                self.add(n, IMPORT_PREFIX + self.modules[n.value.id])
            self.add(n, "method")
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.modules:
            self.add(n, IMPORT_PREFIX + self.modules[n.id])
        elif isinstance(n, ast.Call):
            self.add(n, "method" if isinstance(n.func, ast.Attribute) else "call")
            if isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                    and n.func.value.id in self.modules:
                self.add(n, IMPORT_PREFIX + self.modules[n.func.value.id])
            if n.keywords:
                self.add(n, "keyword_args")
            if isinstance(n.func, ast.Attribute):
                # obj.m() is a method call, not also a separate attribute read
                self.visit(n.func.value)
                for arg in (*n.args, *n.keywords):
                    self.visit(arg)
                return
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.add(n, "def")
            if n.args.defaults or any(d is not None for d in n.args.kw_defaults):
                self.add(n, "default_args")
        elif isinstance(n, ast.Return):
            self.add(n, "return")
        elif isinstance(n, (ast.If, ast.IfExp)):
            self.add(n, "if")
        elif isinstance(n, ast.Compare):
            self.add(n, "comparison")
        elif isinstance(n, ast.BoolOp) or (isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not)):
            self.add(n, "bool_ops")
        elif isinstance(n, (ast.For, ast.AsyncFor)):
            self.add(n, "for")
            if isinstance(n.target, (ast.Tuple, ast.List)):
                self.add(n, "unpacking")
        elif isinstance(n, ast.While):
            self.add(n, "while")
        elif isinstance(n, (ast.Break, ast.Continue)):
            self.add(n, "break_continue")
        elif isinstance(n, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.add(n, "try")
        elif isinstance(n, ast.Raise):
            self.add(n, "raise")
        elif isinstance(n, (ast.With, ast.AsyncWith)):
            self.add(n, "with")
        elif isinstance(n, ast.Lambda):
            self.add(n, "lambda")
        elif isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self.add(n, "comprehension")
        elif isinstance(n, ast.ClassDef):
            self.add(n, "class")
        elif isinstance(n, ast.Assert):
            self.add(n, "assert")
        elif isinstance(n, ast.Import):
            for alias in n.names:
                if alias.name.split(".")[0] not in COURSE_PACKAGES:
                    self.add(n, IMPORT_PREFIX + alias.name.split(".")[0])
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            if n.module.split(".")[0] not in COURSE_PACKAGES:
                self.add(n, IMPORT_PREFIX + n.module.split(".")[0])
        super().generic_visit(n)


def concepts_in(source: str, modules: dict[str, str] | None = None,
                lines: tuple[int, int] | None = None) -> set[str]:
    """The concept ids ``source`` uses.

    ``modules`` maps names bound by imports elsewhere (a notebook's setup cell) to their module, so ``re.search(...)``
    counts as ``import:re`` even where the answer does not import it. ``lines`` (first, last; 1-based) keeps only
    what starts on those lines, e.g. the reference answer inside a cell whose ``def`` line the notebook gives.
    Raises SyntaxError for code that does not parse."""
    tree = ast.parse(textwrap.dedent(source))
    finder = _Finder({**imported_names(source), **(modules or {})}, lines)
    finder.visit(tree)
    return finder.found


def solution_concepts(cell_source: str, modules: dict[str, str] | None = None) -> set[str]:
    """The concepts of the reference answer(s) between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` in a cell.

    The whole cell is parsed (the markers are comments) and only the lines between the markers count, so an answer
    written inside a ``def`` the notebook provides is read in its place."""
    found: set[str] = set()
    # IPython magics (%%writefile x.py, !pip) are no Python: blank them, keeping the line numbers
    cell_source = re.sub(r"(?m)^[ \t]*[%!].*$", "", cell_source)
    for m in SOLUTION.finditer(cell_source):
        first = cell_source.count("\n", 0, m.start(1)) + 1
        last = cell_source.count("\n", 0, m.end(1))
        try:
            found |= concepts_in(cell_source, modules, (first, last))
        except SyntaxError:
            found |= concepts_in(m.group(1), modules)
    return found


# ---------------------------------------------------------------------------------------------------------------
# lab.toml: teaches / requires

@dataclass(frozen=True)
class Unknown:
    """A ``teaches`` entry that is no concept id."""
    lab: str
    notebook: str
    concept: str


def teaches(lab: LabDef, notebook: str) -> list[str]:
    return list(lab.notebook_meta(notebook).get("teaches", []))


def required_labs(lab_id: str, load: Callable[[str], LabDef] = load_lab,
                  _seen: frozenset[str] = frozenset()) -> list[str]:
    """The labs ``lab_id`` requires, transitively, each once, deepest first. Raises LabDefinitionError on a cycle
    or on a required lab that does not exist."""
    if lab_id in _seen:
        raise LabDefinitionError(f"labs/{lab_id}/lab.toml: `requires` goes round in a circle through {lab_id!r}")
    order: list[str] = []
    for required in load(lab_id).requires:
        for lab in [*required_labs(required, load, _seen | {lab_id}), required]:
            if lab not in order:
                order.append(lab)
    return order


def missing_required(lab_id: str, load: Callable[[str], LabDef] = load_lab) -> list[str]:
    """Labs that ``lab_id`` requires (transitively) but that do not exist (yet)."""
    missing: list[str] = []
    todo, seen = [lab_id], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            todo.extend(load(current).requires)
        except LabDefinitionError:
            missing.append(current)
    return sorted(missing)


def known_concepts(lab_id: str, notebook: str, load: Callable[[str], LabDef] = load_lab) -> set[str]:
    """What a learner knows in ``notebook`` of ``lab_id``: taught there, in an earlier notebook of the lab, or in any
    notebook of a required lab (transitively)."""
    lab = load(lab_id)
    if notebook not in lab.notebooks:
        raise LabDefinitionError(f"labs/{lab_id}/lab.toml lists no notebook {notebook!r}")
    known: set[str] = set()
    for required in required_labs(lab_id, load):
        other = load(required)
        for name in other.notebooks:
            known.update(teaches(other, name))
    for name in lab.notebooks[:lab.notebooks.index(notebook) + 1]:
        known.update(teaches(lab, name))
    return known


def unknown_teaches(lab_id: str, load: Callable[[str], LabDef] = load_lab) -> list[Unknown]:
    lab = load(lab_id)
    return [Unknown(lab_id, nb, c) for nb in lab.notebooks for c in teaches(lab, nb) if not is_known_id(c)]


# ---------------------------------------------------------------------------------------------------------------
# reference answers

@dataclass(frozen=True)
class Answer:
    """One reference answer: where it is, and its source (the lines between the solution markers)."""
    lab: str
    notebook: str
    question: str
    code: str
    concepts: frozenset[str]


def notebook_modules(path: Path) -> dict[str, str]:
    """Names bound by the imports of every code cell of a notebook source."""
    import jupytext

    names: dict[str, str] = {}
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            names.update(imported_names(cell.source))
    return names


def reference_answers(lab_id: str, load: Callable[[str], LabDef] = load_lab) -> list[Answer]:
    """Every reference answer of a lab's notebooks, with its concepts."""
    import jupytext

    lab = load(lab_id)
    answers: list[Answer] = []
    for notebook in lab.notebooks:
        path = lab.notebook_source(notebook)
        modules = notebook_modules(path)
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code" or cell.metadata.get("role") != "answer":
                continue
            question = str(cell.metadata.get("question") or cell.metadata.get("id") or "?")
            code = "\n".join(m.group(1) for m in SOLUTION.finditer(cell.source))
            answers.append(Answer(lab_id, notebook, question, code,
                                  frozenset(solution_concepts(cell.source, modules))))
    return answers


def untaught(answer: Answer, load: Callable[[str], LabDef] = load_lab) -> list[str]:
    """The concepts an answer uses that are not known in its notebook, sorted."""
    return sorted(answer.concepts - known_concepts(answer.lab, answer.notebook, load))


def explain(answer: Answer, concepts: list[str]) -> str:
    """``aws/1-basics 1b uses comprehension, which no earlier notebook on the path teaches (...)``."""
    names = ", ".join(concepts)
    which = "which no earlier notebook on the path teaches"
    return (f"{answer.lab}/{answer.notebook} {answer.question} uses {names}, {which} (add it to a `teaches` list "
            f"where it is taught, or simplify the answer)")


# ---------------------------------------------------------------------------------------------------------------
# No dictation: a line of a reference answer must not be readable in the prose, the example cells or a hint but
# the last one.

_TRIVIAL = re.compile(r"""
    [\s()\[\]{},:]*                                       # blank, or closing brackets: `)`, `},`, `],`
  | (pass|continue|break|return|return\ None|else:|try:|finally:|except(\ \w+)?(\ as\ \w+)?:)
  | (return\ )?[A-Za-z_][\w.]*                              # a bare (dotted) name, or returning one
  | def\ \w+\(.*\):                                        # a def line: the interface the goal names
  | True|False|None|-?\d+(\.\d+)?                          # a bare constant
  | (import\ |from\ \S+\ import\ ).*                       # an import: which module is no secret
  | print\(.*\)                                           # what to print is shown, never checked
  | \#.*                                                   # a comment
  | .*[(\[{]                                               # an opening line: it names the call, not the answer
  | ("[^"]*"|'[^']*'|\w+)\s*[:=]\s*                        # one key or keyword with one constant value:
      ("[^"]*"|'[^']*'|-?\d+(\.\d+)?|[A-Za-z_][\w.]*)\s*,?  # or name: what the goal states, the check looks at
""", re.X)


def normalise(text: str) -> str:
    """For comparing code with prose: no whitespace at all, one kind of quote, no backticks."""
    return re.sub(r"\s+", "", text).replace("'", '"').replace("`", "")


def is_trivial(line: str) -> bool:
    """A line that gives nothing away when a learner reads it: blank or brackets only, a keyword on its own
    (``pass``, ``else:``, ``return None``), a bare name or constant (or ``return`` of one), a ``def`` line (the
    function the goal asks for), an import, a ``print(...)``, a comment, an opening line, one key with one constant or name."""
    return _TRIVIAL.fullmatch(line.strip()) is not None


def _text_rows(code: str) -> set[int]:
    """The rows (1-based) of a string literal that spans several lines (the text of a letter, not code)."""
    import io
    import tokenize

    rows: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(textwrap.dedent(code)).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                rows.update(range(tok.start[0], tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return rows


def answer_lines(code: str) -> list[str]:
    """The non-trivial lines of a reference answer, stripped. The lines of a text that spans several lines (an
    email the learner writes) are language, not code: the phrases a notebook teaches may and should be reused."""
    text = _text_rows(code)
    return [line.strip() for row, line in enumerate(code.splitlines(), start=1)
            if row not in text and not is_trivial(line)]


BLANKED_SHARE = 0.6  # a template with "..." blanks gives an answer away when it spells out this much of it


def _statements(code: str) -> list[tuple[str, str]]:
    """(first source line, canonical form) of every simple statement of ``code``; [] when it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return []
    lines = textwrap.dedent(code).splitlines()
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body"):
            out.append((lines[node.lineno - 1].strip(), normalise(ast.unparse(node))))
    return out


def code_snippets(markdown: str) -> list[str]:
    """The code in a piece of prose: fenced blocks (whole, and line by line) and `inline spans`."""
    snippets = []
    for block in re.findall(r"```[\w]*\n(.*?)```", markdown, re.S):
        snippets.append(block)
        snippets.extend(block.splitlines())
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    snippets.extend(re.findall(r"`([^`\n]+)`", prose))
    return snippets


def _templates(snippets: list[str]) -> list[re.Pattern]:
    """Each statement of the snippets as a pattern in which a `...` or `"..."` blank stands for anything."""
    patterns, seen = [], set()
    for snippet in snippets:
        for _, canon in _statements(snippet):
            if canon in seen or re.fullmatch(r"[\w.]+", re.sub(r'"\.\.\."|\.\.\.|[()\[\]{},\s]', "", canon)):
                continue  # `ax.set_ylabel(...)`, `ws.append([...])` name the method to look up, nothing more
            seen.add(canon)
            pattern = re.escape(canon).replace(re.escape('"..."'), "(.+?)").replace(re.escape("..."), "(.+?)")
            patterns.append(re.compile(pattern))
    return patterns


def dictated(code: str, visible: str, snippets: list[str] | None = None) -> list[str]:
    """What of a reference answer a learner can read before solving it, with ``visible`` the text they read:

    * a non-trivial line of ``code`` that appears in ``visible`` (both normalised, see :func:`normalise`);
    * a whole statement (even one spread over trivial lines) that appears in ``visible``;
    * a statement that a code snippet of ``snippets`` (see :func:`code_snippets`) spells out but for `...` blanks
      that hide less than 40 % of it (``Bucket=..., VersioningConfiguration={"Status": "Enabled"}``)."""
    text = normalise(visible)
    found = [line for line in answer_lines(code) if normalise(line) in text]
    patterns = _templates(snippets or [])
    for first_line, canon in _statements(code):
        if is_trivial(first_line) and "\n" not in first_line and _TRIVIAL.fullmatch(canon):
            continue
        shown = canon in text
        for pattern in patterns if not shown else []:
            m = pattern.fullmatch(canon)
            if m and 1 - sum(len(g) for g in m.groups()) / len(canon) >= BLANKED_SHARE:
                shown = True
                break
        if shown and first_line not in found and not any(normalise(first_line) == normalise(f) for f in found):
            found.append(first_line + (" ..." if canon != normalise(first_line) else ""))
    return found


def visible_prose(path: Path) -> tuple[str, list[str]]:
    """What a learner reads in a notebook source: every markdown region (all languages) and every code cell
    without a role (worked examples) or with ``role="readonly"``; and the code snippets among it."""
    import jupytext

    parts, snippets = [], []
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            snippets.extend(code_snippets(cell.source))
        elif cell.metadata.get("role") in (None, "readonly"):
            parts.append(cell.source)
            snippets.append(cell.source)
            snippets.extend(cell.source.splitlines())
    return "\n".join(parts), snippets


def hint_texts(lab: LabDef, question: str) -> list[list[str]]:
    """The hints of a question, each as its texts in every language (English first)."""
    from .i18n import LANGUAGES

    hints = getattr(lab.checks, "HINTS", {}).get(question, [])
    return [[hint.render(lang) for lang in LANGUAGES] for hint in hints]
