"""Every lab proves itself: reference answers pass every check, known-wrong variants fail with their own message,
in every language. Labs are found from labs/*/lab.toml, so a new lab is tested as soon as it exists."""
import pytest

import graders.lab  # noqa: F401  (registers the core messages)

from graders.i18n import LANGUAGES, SOURCE_LANGUAGE, Domain
from graders.labdef import all_lab_ids, load_lab
from graders.testing import execute, lab_services, learner_notebook, load_variants, prepare_dir, problems_with, results


def _cases():
    for lab_id in all_lab_ids():
        lab = load_lab(lab_id)
        for notebook in lab.notebooks:
            for lang in LANGUAGES:
                yield pytest.param(lab_id, notebook, None, lang, id=f"{lab_id}-{notebook}-reference-{lang}")
        # A lab with slow notebooks may run each variant in one language, rotating (lab.toml [testing]).
        rotate = lab.raw.get("testing", {}).get("variant_languages") == "rotate"
        for index, variant in enumerate(load_variants(lab)):
            for lang in ([LANGUAGES[index % len(LANGUAGES)]] if rotate else LANGUAGES):
                yield pytest.param(lab_id, variant.notebook, variant.name, lang,
                                   id=f"{lab_id}-{variant.notebook}-{variant.name}-{lang}")


@pytest.mark.slow
@pytest.mark.parametrize("lab_id, notebook, variant_name, lang", list(_cases()))
def test_lab_notebook(lab_id, notebook, variant_name, lang, tmp_path):
    lab = load_lab(lab_id)
    lab.checks  # import the lab's messages into the registry (the kernel has its own copy)
    variant = next((v for v in load_variants(lab) if v.name == variant_name), None)
    nb = learner_notebook(lab, notebook, lang, variant)
    if variant is not None:
        # A variant proves only the questions it expects (problems_with reads nothing else): the check cells of the
        # others are left out, so a robot lab does not re-run a robot nobody looks at (the reference runs prove them).
        nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("graders", {}).get("role") != "check"
                    or c.metadata["graders"].get("question") in variant.expect]
    with lab_services(lab, tmp_path / "services", notebook) as env:
        executed = execute(nb, prepare_dir(lab, tmp_path / lab_id), env=env)
    got = results(executed)
    if variant is None:
        expect = {q.id: "pass" for q in lab.questions_in(notebook)}
    else:
        expect = variant.expect
        assert expect, f"variant {variant_name} expects nothing"
        assert any(v != "pass" for v in expect.values()), f"variant {variant_name} must fail somewhere"
    assert problems_with(got, expect) == []
    for question, wanted in expect.items():
        if wanted == "pass":
            continue
        # The learner reads the expected message, in their language, with its details filled in.
        message = Domain.registry[wanted]
        shown = "\n".join(got[question].texts)
        parts = [p for v in got[question].verdicts for p in v["parts"] if p["id"] == wanted and not p["ok"]]
        rendered = message.render(lang, **parts[0]["params"])
        assert rendered in shown, f"{question}: {rendered!r} not in what the learner saw:\n{shown}"
        if lang != SOURCE_LANGUAGE:
            assert message.render(lang) != message.render(SOURCE_LANGUAGE), f"{wanted} is not translated to {lang}"
        assert "Traceback" not in shown
