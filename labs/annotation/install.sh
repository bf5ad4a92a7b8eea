#!/usr/bin/env bash
# Label Studio for the annotation lab, in an environment of its own beside the lab environment ($VENV).
# (Installed into the lab environment it would downgrade python-json-logger and pin an old pytz; the notebooks
# talk to it over HTTP with label-studio-sdk instead.) Run by `make install` for every lab with VENV set:
#   VENV=$PWD/.venv bash labs/annotation/install.sh
# Then runs Label Studio's slow first start (database migrations) once, into a template that every learner's
# server copies, so a learner's first start takes seconds, not half a minute.
# GRADERS_SKIP_LABEL_STUDIO=1 skips all of it (the lab works without Label Studio: the in-notebook tools).
set -euo pipefail
: "${VENV:?set VENV to the lab environment, for example VENV=\$PWD/.venv}"
LS_VERSION="1.23.2"
LS_VENV="${GRADERS_LABEL_STUDIO_VENV:-${VENV}-labelstudio}"

if [ "${GRADERS_SKIP_LABEL_STUDIO:-0}" = "1" ]; then
  echo "annotation: Label Studio skipped (GRADERS_SKIP_LABEL_STUDIO=1); the notebooks' own tools still work."
  exit 0
fi

installed() {
  "$LS_VENV/bin/python" - "$LS_VERSION" 2>/dev/null <<'PY'
import importlib.metadata, sys
sys.exit(0 if importlib.metadata.version("label-studio") == sys.argv[1] else 1)
PY
}

if ! installed; then
  echo "annotation: installing Label Studio $LS_VERSION into $LS_VENV (about a minute)"
  "$VENV/bin/python" -m venv --clear "$LS_VENV"
  "$LS_VENV/bin/python" -m pip install -q --disable-pip-version-check "label-studio==$LS_VERSION"
fi

# The first start, once (about 35 s). Not fatal: without a template each workspace's first start is just slower.
if ! GRADERS_LABEL_STUDIO_VENV="$LS_VENV" "$VENV/bin/python" -m graders.services.labelstudio \
    --make-template "$LS_VENV/template"; then
  echo "annotation: warning: could not prepare Label Studio's template; its first start will take about 35 s." >&2
fi
