"""Every lab proves itself: reference answers pass every check, known-wrong variants fail with their own message,
in every language. Labs are found from labs/*/lab.toml, so a new lab is tested as soon as it exists."""
import contextlib
import json

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


@pytest.fixture(scope="session")
def notebook_services(tmp_path_factory):
    """The services one notebook needs besides its lab's (lab.toml ``[notebook."<nb>"] services``, e.g. Label Studio
    for the annotation lab's project notebook), started at most once per test process, when a run first needs one,
    and shared by that notebook's runs (each takes ~20 s to start). Each run still works in a project of its own: the
    notebook remembers its project by number (project/state.json in the run's own folder) and exports only that one.
    The lab's own services (the practice order system, the practice cloud ...) stay fresh for every run."""
    from graders.services.registry import env_name, service_class

    started: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        def env_for(name: str) -> dict[str, str]:
            if name not in started:
                service = service_class(name).for_workspace(tmp_path_factory.mktemp(f"shared-{name}"))
                stack.enter_context(service)
                started[name] = json.dumps({"url": service.url, **service.info()})
            return {env_name(name): started[name]}
        yield env_for


@pytest.mark.slow
@pytest.mark.parametrize("lab_id, notebook, variant_name, lang", list(_cases()))
def test_lab_notebook(lab_id, notebook, variant_name, lang, tmp_path, notebook_services):
    lab = load_lab(lab_id)
    lab.checks  # import the lab's messages into the registry (the kernel has its own copy)
    variant = next((v for v in load_variants(lab) if v.name == variant_name), None)
    nb = learner_notebook(lab, notebook, lang, variant)
    if variant is not None:
        # A variant proves only the questions it expects (problems_with reads nothing else): the check cells of the
        # others are left out, so a robot lab does not re-run a robot nobody looks at (the reference runs prove them).
        nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("graders", {}).get("role") != "check"
                    or c.metadata["graders"].get("question") in variant.expect]
    own = [name for name in lab.raw.get("notebook", {}).get(notebook, {}).get("services", []) if name not in lab.services]
    with lab_services(lab, tmp_path / "services") as env:
        for name in own:
            env = {**env, **notebook_services(name)}
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
