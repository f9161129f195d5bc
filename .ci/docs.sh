#!/usr/bin/env bash
# CI stages of the book, the package and Binder (called at the end of .ci/run, inside its
# virtual environment): mypy, the Sphinx book built with warnings as errors and checked in
# headless Chromium, and the repo2docker configuration validated without docker.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { echo "== $1"; SECONDS=0; }
done_in() { echo "   ($SECONDS s)"; }

stage "typecheck: mypy on ufldl_helpers (configuration in pyproject.toml)"
python -m pip install --quiet -e ".[typecheck,docs]"
python -m mypy
done_in

stage "book: python -m sphinx -W -b html docs build/docs (stored outputs, nothing executed)"
rm -rf build/docs
python -m sphinx -W --keep-going -q -b html docs build/docs
done_in

stage "book in headless Chromium: pages, console, figures, math, links"
bash .ci/install_browser.sh
UFLDL_REQUIRE_BROWSER=1 UFLDL_DOCS_HTML=build/docs python -m pytest -m docs tests/docs -q
done_in

stage "binder: repo2docker --no-build reads binder/ (Python pinned, environment cached, postBuild)"
r2d=$(mktemp -d)
python -m venv "$r2d/venv"
# repo2docker imports tomli on Python < 3.11 without requiring it.
"$r2d/venv/bin/python" -m pip install --quiet jupyter-repo2docker "tomli; python_version < '3.11'"
"$r2d/venv/bin/repo2docker" --no-build --no-run --debug . > "$r2d/dockerfile.txt" 2>&1 \
    || { cat "$r2d/dockerfile.txt"; exit 1; }
python - "$r2d/dockerfile.txt" <<'PY'
import importlib.metadata
import re
import sys

log = open(sys.argv[1], encoding="utf-8").read()
env = open("binder/environment.yml", encoding="utf-8").read()
problems = []
pinned = re.search(r"^\s*- python=(3\.\d+)\s*$", env, re.MULTILINE)
if not pinned or f"Building conda environment for python={pinned.group(1)}" not in log:
    problems.append("binder/environment.yml must pin python=3.X and repo2docker must use it")
# Pre-build caching: the environment is installed before the whole repository is copied in.
env_update = log.find('--file "binder/environment.yml"')
copy_all = re.search(r"^COPY \S* ?src/ \$\{REPO_DIR\}/?$", log, re.MULTILINE)
if env_update < 0 or not copy_all or copy_all.start() < env_update:
    problems.append("repo2docker must install binder/environment.yml before copying the "
                    "repository (its pre-build cache)")
if "./binder/postBuild" not in log:
    problems.append("repo2docker does not run binder/postBuild")
names = set(re.findall(r"^\s*- ([A-Za-z0-9_.-]+)", env, re.MULTILINE))
for tool in ("pytest", "nbval", "hypothesis", "ruff", "matplotlib"):
    if tool in names:
        problems.append(f"binder/environment.yml must not list {tool}")
deps = [r for r in importlib.metadata.requires("ufldl-helpers") if "extra ==" not in r]
for dep in deps:
    name = re.match(r"[A-Za-z0-9_.-]+", dep).group(0)
    if {"matplotlib": "matplotlib-base"}.get(name, name) not in names:
        problems.append(f"runtime dependency {name} missing from binder/environment.yml")
if problems:
    sys.exit("binder check failed:\n  " + "\n  ".join(problems))
print(f"binder OK: python={pinned.group(1)}, {len(deps)} runtime dependencies, postBuild")
PY
rm -rf "$r2d"
done_in
