#!/usr/bin/env bash
# The class on a TLJH server (The Littlest JupyterHub, one machine, real Unix users). Run as root from a checkout of
# this repository, after TLJH's own installer, on the server itself:
#
#   sudo hub/deploy/tljh/install.sh class.csv
#
# 1. installs the course into TLJH's user environment (/opt/tljh/user) without grading-only data or reference
#    solutions, with the learner-side settings (hub/install.sh does both);
# 2. writes the class (names, languages, the instructor) to /opt/tljh/config/digital-skills-class.json and
#    installs hub/deploy/class_config.py as a jupyterhub_config.d snippet;
# 3. makes the nbgrader exchange /srv/nbgrader/exchange, applies config.yaml with tljh-config and reloads the hub.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CLASS_CSV="${1:?usage: hub/deploy/tljh/install.sh class.csv [https://hub.school.example]}"
PUBLIC_URL="${2:-}"   # the hub's address in browsers (optional: else the address each learner's browser used)
TLJH=/opt/tljh

[ "$(id -u)" = 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
[ -x "$TLJH/user/bin/python" ] || { echo "TLJH is not installed here ($TLJH/user missing)" >&2; exit 1; }

DSH_VENV="$TLJH/user" DSH_PREFIX="$TLJH/user" DSH_PROXY=0 "$REPO/hub/install.sh"

"$TLJH/user/bin/python" -m graders hub export-class "$CLASS_CSV" --json --exchange /srv/nbgrader/exchange \
    --user-env "$TLJH/user" ${PUBLIC_URL:+--public-url "$PUBLIC_URL"} > "$TLJH/config/digital-skills-class.json.tmp"
mv "$TLJH/config/digital-skills-class.json.tmp" "$TLJH/config/digital-skills-class.json"
chmod 600 "$TLJH/config/digital-skills-class.json"
mkdir -p "$TLJH/config/jupyterhub_config.d"
install -m 644 "$REPO/hub/deploy/class_config.py" "$TLJH/config/jupyterhub_config.d/digital_skills.py"

mkdir -p /srv/nbgrader/exchange
chmod 1777 /srv/nbgrader/exchange

# config.yaml, one `tljh-config set KEY VALUE` per setting.
"$TLJH/user/bin/python" - "$REPO/hub/deploy/tljh/config.yaml" <<'PY' | while read -r key value; do tljh-config set "$key" "$value" >/dev/null; done
import sys, yaml
def leaves(prefix, node):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from leaves(prefix + key + ".", value)
        else:
            yield prefix + key, str(value).lower() if isinstance(value, bool) else value
for key, value in leaves("", yaml.safe_load(open(sys.argv[1]))):
    print(key, value)
PY
tljh-config reload
echo "The class is on the hub. Learners log in with their username and choose a password at their first login."
echo "Instructor: build the course in your home (git clone this repository there, then"
echo "  graders build --course digital-skills-day --lang all --out ~/digital-skills-day), and release from the Formgrader."
