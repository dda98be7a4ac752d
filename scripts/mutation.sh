#!/usr/bin/env bash
# Mutation testing of the modules that decide answers (docs/testing.md).  NOT part of CI.
#
#   scripts/mutation.sh quick   # evidence/fit.py, evidence/store.py, theory/exponents.py vs their fast unit tests
#   scripts/mutation.sh full    # everything in pyproject's [tool.mutmut] only_mutate (hours on 2 cores)
#   scripts/mutation.sh quick --max-children 2
#   MUTATE=scaling_exponents/systems/everett2024.py TESTS=tests/systems/test_everett_constraints.py \
#     scripts/mutation.sh custom                       # one module against chosen tests
#
# mutmut (pinned in the dev extra) writes a `mutants/` tree; to keep the checkout clean this copies the tracked
# and untracked-but-not-ignored files to a temporary directory ($MUTATION_WORKDIR to choose it and to resume),
# runs `mutmut run` there, lists every surviving mutant (`mutmut show NAME` in that directory prints its diff)
# and prints the mutation score = (killed + timeout) / (total - skipped).
set -euo pipefail
profile=${1:-quick}
shift || true
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=${MUTATION_WORKDIR:-$(mktemp -d -t scaling-exponents-mutation.XXXXXX)}
mkdir -p "$work"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$work")
cd "$work"
case "$profile" in
  full) ;;
  quick)
    python - <<'PY'
import re
from pathlib import Path
p = Path("pyproject.toml")
s = p.read_text()
s = re.sub(r"only_mutate = \[.*?\]", 'only_mutate = ["scaling_exponents/evidence/fit.py", "scaling_exponents/evidence/store.py", '
           '"scaling_exponents/theory/exponents.py"]', s, count=1, flags=re.S)
s = re.sub(r"pytest_add_cli_args_test_selection = \[.*?\]",
           'pytest_add_cli_args_test_selection = ["tests/evidence/test_fit_verdict.py", "tests/evidence/test_store.py", '
           '"tests/theory/test_exponents.py"]', s, count=1, flags=re.S)
p.write_text(s)
PY
    ;;
  custom)
    : "${MUTATE:?custom needs MUTATE=comma-separated globs}" "${TESTS:?custom needs TESTS=comma-separated test paths}"
    python - <<'PY'
import json, os, re
from pathlib import Path
p = Path("pyproject.toml")
s = p.read_text()
globs = [g.strip() for g in os.environ["MUTATE"].split(",") if g.strip()]
tests = [t.strip() for t in os.environ["TESTS"].split(",") if t.strip()]
s = re.sub(r"only_mutate = \[.*?\]", "only_mutate = " + json.dumps(globs), s, count=1, flags=re.S)
s = re.sub(r"pytest_add_cli_args_test_selection = \[.*?\]", "pytest_add_cli_args_test_selection = " + json.dumps(tests),
           s, count=1, flags=re.S)
p.write_text(s)
PY
    ;;
  *) echo "usage: scripts/mutation.sh [quick|full|custom] [mutmut run options]" >&2; exit 2 ;;
esac
echo "mutation workdir: $work (profile $profile)"
mutmut run "$@" || true   # a run with survivors still exits 0; an aborted run is reported by the stats below
echo "--- surviving / not-killed mutants (mutmut show NAME in $work for the diff) ---"
mutmut results
mutmut export-cicd-stats >/dev/null
python - <<'PY'
import json
s = json.load(open("mutants/mutmut-cicd-stats.json"))
tested = int(s.get("total", 0)) - int(s.get("skipped", 0))
score = 100.0 * (int(s.get("killed", 0)) + int(s.get("timeout", 0))) / tested if tested else 0.0
print("stats:", {k: s[k] for k in sorted(s)})
print(f"mutation score: {score:.1f}% ({s.get('killed', 0)} killed + {s.get('timeout', 0)} timeout of {tested} tested)")
PY
