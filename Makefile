# The two commands of the README:  make start   (learners)   and   make test   (everyone, and CI).
# Both set up everything on a fresh machine: a virtual environment, the Python packages, each lab's extra
# install step (labs/*/install.sh), and the Debian packages in apt.txt.
PYTHON    ?= python3
VENV      ?= .venv
lang      ?=
port      ?= 8888
# browser=no: do not try to open a browser window (a server, a test)
browser   ?= yes
# challenge=yes: goals and checks only, for learners who already program (challenge=no: back to the full lessons)
challenge ?=
workspace ?= workspace
course    ?= digital-skills-day
# pytest's parallel workers: one more than the cores, because many tests wait on a browser, a robot or a server
# (measured on a 2-core CI machine: pytest 1652 s with 2 workers, 1555 s with 3)
workers   ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))

BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: start test install system-deps build bench clean-build hub hub-env

start: install
	@scripts/install-system-deps.sh || true
	$(BIN)/graders start --course $(course) --workspace $(workspace) --port $(port) $(if $(lang),--lang $(lang)) $(if $(filter no,$(browser)),--no-browser) $(if $(filter yes,$(challenge)),--challenge) $(if $(filter no,$(challenge)),--no-challenge)

test: install hub-env
	scripts/install-system-deps.sh --required
	$(BIN)/python -m pytest -n $(workers) --dist loadgroup -q --durations=25 $(pytest_args)

install: $(STAMP)

$(STAMP): pyproject.toml $(wildcard labs/*/install.sh)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[all,test]"
	for script in labs/*/install.sh; do [ -e "$$script" ] || continue; VENV="$(abspath $(VENV))" bash "$$script" || exit 1; done
	touch $(STAMP)

# Instructor: the nbgrader course directory for a class (lang=all for a mixed-language class).
build: install
	$(BIN)/graders build --course $(course) --out build/$(course) --lang $(or $(lang),en) $(if $(filter yes,$(challenge)),--challenge)

# Organiser (as root): the class JupyterHub on http://127.0.0.1:$(hub_port)/ (hub/README.md). class=CSV adds people first.
hub_port  ?= 8000
class     ?=
hub: install hub-env
	$(if $(class),$(BIN)/graders hub add-class $(class),)
	$(BIN)/graders hub start --port $(hub_port)

# The hub's own environment under /opt (root only; quick when nothing changed). Without root the hub's tests skip.
hub-env:
	@if [ "$$(id -u)" = 0 ]; then hub/install.sh; \
	else echo "(not root: the class hub's environment is not installed, its tests will be skipped; sudo hub/install.sh)"; fi

bench: install
	for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done
