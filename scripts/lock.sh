#!/usr/bin/env bash
# Rewrite constraints.txt from what the project really installs.
#   bash scripts/lock.sh            # keep today's versions, drop what is no longer needed, pin what is new
#   bash scripts/lock.sh --upgrade  # the newest versions that pyproject.toml allows
# Installs the packages exactly as scripts/install.sh does (it runs that script) into a new temporary venv,
# then writes `pip freeze` of that venv: torch left out (install.sh pins it), the project itself left out.
# Refuses (exit 1, constraints.txt untouched) any line that is not a plain name==version pin: a direct
# reference, a URL or a path would only install on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") PINS_FROM=constraints.txt ;;
  --upgrade) PINS_FROM="" ;;
  *) echo "usage: bash scripts/lock.sh [--upgrade]" >&2; exit 2 ;;
esac
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"${PYTHON:-python3}" -m venv "$WORK/venv"
VENV_PY="$WORK/venv/bin/python"
PYTHON="$VENV_PY" AUDIO_OMNI_CONSTRAINTS="$PINS_FROM" AUDIO_OMNI_PACKAGES_ONLY=1 bash scripts/install.sh
{
  echo "# Versions this project was last tested with (pip install -c constraints.txt ...)."
  echo "# Written by scripts/lock.sh from a new venv; torch is left out: scripts/install.sh installs torch==2.13.0."
  "$VENV_PY" -m pip freeze --disable-pip-version-check --exclude-editable --exclude torch --exclude audio-omni
} >"$WORK/constraints.txt"
if ! "$VENV_PY" scripts/check_install_files.py --constraints "$WORK/constraints.txt"; then
  echo "lock.sh: refused: the lines above are not plain name==version pins; constraints.txt is unchanged" >&2
  exit 1
fi
cp "$WORK/constraints.txt" constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"
