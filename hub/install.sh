#!/usr/bin/env bash
# Install (or update) the class hub's own environment: idempotent, quick when nothing changed, safe to run again.
#
#   /opt/digital-skills-hub/venv   Python venv made from Debian's /usr/bin/python3, readable by every learner:
#                                  JupyterHub 6, the idle culler, JupyterLab + nbgrader + our course. The course is
#                                  installed as a copy (not editable) WITHOUT grading-only data and reference
#                                  solutions (graders/gradingonly.py lists them): learners can read
#                                  this environment, so nothing in it may give answers away.
#   /opt/digital-skills-hub/node   configurable-http-proxy from npm (the Python port only if npm cannot install it)
#   /opt/digital-skills-hub/venv-labelstudio   Label Studio for the annotation lab (labs/annotation/install.sh), made
#                                  from the venv's own Python so every learner can run it, with its migrated template;
#                                  learners' servers find it beside their environment (graders/services/labelstudio.py:
#                                  sys.prefix + "-labelstudio"). GRADERS_SKIP_LABEL_STUDIO=1: none (the lab falls back
#                                  to its in-notebook tools).
#
# Environment: DSH_PREFIX (default /opt/digital-skills-hub), DSH_EXTRAS (pip extras of our package, default "all"),
# DSH_FORCE=1 (reinstall even when nothing changed). pip's cache is used (no --no-cache-dir), so a second
# environment costs little more than copying files. Needs root (it installs under /opt).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${DSH_PREFIX:-/opt/digital-skills-hub}"
EXTRAS="${DSH_EXTRAS:-all}"
PY=/usr/bin/python3
VENV="${DSH_VENV:-$PREFIX/venv}"      # an existing environment is used as it is (TLJH: DSH_VENV=/opt/tljh/user)
PROXY="${DSH_PROXY:-1}"               # 0: no configurable-http-proxy (TLJH and Kubernetes bring their own)
LS_VENV="$VENV-labelstudio"          # where graders/services/labelstudio.py looks by default (sys.prefix + "-labelstudio")
STAMP="$PREFIX/.installed.sha256"
DEPS_STAMP="$PREFIX/.dependencies.sha256"

say() { printf '[hub/install] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "hub/install.sh must run as root (it installs under $PREFIX; the hub makes Unix users later)." >&2
    exit 1
fi

# What a learner may see of the course: everything but grading-only data, reference solutions and build output.
# The grading-only folders come from one list, graders/gradingonly.py (DEFAULT_DIRS and each lab.toml's [grading_only]).
mapfile -t GRADING_ONLY_EXCLUDES < <("$PY" "$REPO/graders/gradingonly.py" excludes)
[ "${#GRADING_ONLY_EXCLUDES[@]}" -gt 0 ] || { echo "hub/install.sh: graders/gradingonly.py gave no list" >&2; exit 1; }
stage_course() {  # stage_course DIR|-   (a deterministic tar stream, so its digest tells whether anything changed)
    tar -C "$REPO" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
        --exclude=.git --exclude=.venv --exclude=build --exclude='*.egg-info' --exclude=test-artifacts \
        "${GRADING_ONLY_EXCLUDES[@]}" --exclude=__pycache__ --exclude='*.pyc' --exclude=.pytest_cache \
        --exclude=workspace -cf - pyproject.toml graders labs courses hub/configure_env.py
}

digest="$( { stage_course; cat "$REPO/hub/install.sh" "$REPO/labs/annotation/install.sh"; echo "$EXTRAS"; } | sha256sum | cut -d' ' -f1)"
deps_digest="$( { cat "$REPO/pyproject.toml" "$REPO/hub/install.sh"; echo "$EXTRAS"; } | sha256sum | cut -d' ' -f1)"
if [ "${DSH_FORCE:-0}" != 1 ] && [ -x "$VENV/bin/jupyterhub" ] && { [ "$PROXY" = 0 ] || [ -x "$VENV/bin/configurable-http-proxy" ]; } \
    && { [ "${GRADERS_SKIP_LABEL_STUDIO:-0}" = 1 ] || [ -f "$LS_VENV/template/label_studio.sqlite3" ]; } \
    && [ "$(cat "$STAMP" 2>/dev/null)" = "$digest" ]; then
    say "up to date: $VENV"
    exit 0
fi

if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
    say "installing Debian's python3-venv"
    apt-get install -y python3-venv >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y python3-venv >/dev/null; }
fi
if ! command -v npm >/dev/null; then
    say "installing Debian's nodejs and npm"
    apt-get install -y nodejs npm >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y nodejs npm >/dev/null; } || true
fi

umask 022
mkdir -p "$PREFIX"
chmod 755 "$PREFIX"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY" -m venv "$VENV"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
stage_course | tar -C "$STAGE" -xf -
printf 'Digital skills labs (class hub copy, without grading-only data)\n' > "$STAGE/README.md"

pip_quiet() {  # pip, its chatter kept in a log that is shown only when it fails
    if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check "$@" >"$PREFIX/pip.log" 2>&1; then
        grep -v 'is ignored: it is neither a file nor a directory' "$PREFIX/pip.log" | tail -40 >&2
        exit 1
    fi
}
if [ "${DSH_FORCE:-0}" = 1 ] || [ "$(cat "$DEPS_STAMP" 2>/dev/null)" != "$deps_digest" ]; then
    say "installing JupyterHub, the idle culler, JupyterLab and the labs' packages into $VENV"
    pip_quiet "jupyterhub>=6,<7" "jupyterhub-idle-culler>=1.4" "$STAGE[$EXTRAS]"
fi
# Our own package: always the current source (the version number does not change with every edit).
say "installing the course (without grading-only data) into $VENV"
pip_quiet --no-deps --force-reinstall "$STAGE"

if [ "$PROXY" != 0 ] && [ ! -x "$PREFIX/node/node_modules/.bin/configurable-http-proxy" ]; then
    say "installing configurable-http-proxy (npm) into $PREFIX/node"
    if ! npm install --silent --no-audit --no-fund --prefix "$PREFIX/node" configurable-http-proxy@^4 >/dev/null; then
        say "npm could not install configurable-http-proxy: using its Python port instead"
        pip_quiet configurable-http-proxy
    fi
fi
if [ "$PROXY" != 0 ] && [ -x "$PREFIX/node/node_modules/.bin/configurable-http-proxy" ]; then
    ln -sf "$PREFIX/node/node_modules/.bin/configurable-http-proxy" "$VENV/bin/configurable-http-proxy"
fi

# Label Studio beside the environment (quick when its version is installed and its template made).
VENV="$VENV" GRADERS_LABEL_STUDIO_VENV="$LS_VENV" bash "$REPO/labs/annotation/install.sh"

# Learner-side configuration inside the environment (applies to every single-user server started from it).
"$VENV/bin/python" "$REPO/hub/configure_env.py" "$VENV"

# Refuse an environment that would give answers away to learners.
if ! (cd / && "$VENV/bin/python" -I - "$REPO" <<'PY'
import pathlib, sys
import labs
from graders import gradingonly
root = pathlib.Path(labs.__file__).parent
leaks = gradingonly.leaks(root, pathlib.Path(sys.argv[1]) / "labs")
for p in leaks:
    print(f"hub/install.sh: {root / p} must not be in the learners' environment", file=sys.stderr)
sys.exit(1 if leaks else 0)
PY
); then
    exit 1
fi
chmod -R a+rX "$PREFIX"
[ ! -d "$LS_VENV" ] || chmod -R a+rX "$LS_VENV"
echo "$digest" > "$STAMP"
echo "$deps_digest" > "$DEPS_STAMP"
say "ready: $VENV (JupyterHub $("$VENV/bin/jupyterhub" --version 2>/dev/null | tail -1), proxy $("$VENV/bin/configurable-http-proxy" --version 2>/dev/null || echo '?'))"
