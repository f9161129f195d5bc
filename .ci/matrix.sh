#!/usr/bin/env bash
# The Python matrix of CI: the unit tests and every notebook (`python -m pytest`, the README's
# second command) in a fresh virtual environment per configuration:
#   3.10    the oldest supported Python, newest dependencies
#   3.13    the newest supported Python, newest dependencies
#   lowest  every direct dependency at its declared floor (uv --resolution lowest-direct) on
#           Python 3.10; ruff at its floor checks the code too
# .ci/run covers the default python3 with pip, exactly as the README says.
#
# Usage: .ci/matrix.sh [--check | CONFIG...]   CONFIG in 3.10 3.13 lowest (default: all three);
#        --check only finds the interpreters (.ci/run does that first, to fail early).
# Interpreters come from pyenv ($PYENV_ROOT/versions/3.10.*, newest patch release); a missing one
# fails CI: skipping it would report a matrix that did not run.
# Only the test extra is installed, as the README's first command does: the browser and nbgrader
# tests run in .ci/run on the default Python only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=.ci/timing.sh
source .ci/timing.sh

pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}

interpreter() {  # interpreter 3.10 -> path of the newest pyenv 3.10.x python
  local found
  found=$(find "$pyenv_root/versions" -mindepth 1 -maxdepth 1 -name "$1.*" 2>/dev/null \
    | sort -V | tail -n 1)
  if [ -z "$found" ] || [ ! -x "$found/bin/python" ]; then
    echo "CI FAILED: the Python matrix needs a Python $1 interpreter and none was found" \
      "($pyenv_root/versions/$1.*/bin/python). Install one with: pyenv install $1" >&2
    return 1
  fi
  echo "$found/bin/python"
}

configs=("$@")
check_only=0
if [ "${configs[0]:-}" = "--check" ]; then
  check_only=1
  configs=()
fi
[ "${#configs[@]}" -gt 0 ] || configs=(3.10 3.13 lowest)

declare -A python_of
for config in "${configs[@]}"; do
  case "$config" in
    3.10 | 3.13) python_of[$config]=$(interpreter "$config") ;;
    lowest) python_of[$config]=$(interpreter 3.10) ;;
    *) echo "unknown configuration '$config' (expected 3.10, 3.13 or lowest)" >&2; exit 2 ;;
  esac
  echo "$config: ${python_of[$config]}"
done
[ "$check_only" -eq 0 ] || exit 0

# The packages whose versions each configuration prints.
packages="^(numpy|scipy|matplotlib|ipywidgets|jupyterlab|tqdm|threadpoolctl|pytest|nbval|hypothesis|ruff)$"
work=$(mktemp -d)
stage "matrix: uv (the installer; pip's and uv's caches are reused between runs)"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet uv
uv=$work/tools/bin/uv

# Every configuration runs even if one fails, so one CI run shows the whole matrix.
failed=()
for config in "${configs[@]}"; do
  venv=$work/$config
  resolution=()
  [ "$config" != lowest ] || resolution=(--resolution lowest-direct)
  stage "$config: install -e .[test]${resolution[*]:+ ${resolution[*]}}"
  # --seed: pip in the venv, as `python -m venv` gives it (the wheel test of the CLI uses it).
  if ! { "$uv" venv --quiet --seed --python "${python_of[$config]}" "$venv" &&
         VIRTUAL_ENV=$venv "$uv" pip install --quiet "${resolution[@]}" -e ".[test]"; }; then
    stage_failed
    failed+=("$config (install)")
    continue
  fi
  echo "$config: Python $("$venv/bin/python" -V | cut -d' ' -f2);" \
    "$(VIRTUAL_ENV=$venv "$uv" pip list 2>/dev/null | awk "\$1 ~ /$packages/" | tr -s ' ' \
       | paste -s -d ',' | sed 's/,/, /g')"
  stage "$config: python -m pytest (unit tests + notebooks)"
  if ! PATH=$venv/bin:$PATH VIRTUAL_ENV=$venv "$venv/bin/python" -m pytest -q; then
    stage_failed
    failed+=("$config (pytest)")
  fi
  if [ "$config" = lowest ]; then
    stage "lowest: ruff check"
    "$venv/bin/ruff" check . || { stage_failed; failed+=("lowest (ruff)"); }
  fi
  rm -rf "$venv"
done
rm -rf "$work"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "CI FAILED: Python matrix: $(printf '%s; ' "${failed[@]}")" >&2
  exit 1
fi
