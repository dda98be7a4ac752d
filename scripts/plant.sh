#!/usr/bin/env bash
# Plant one bug (a python -c snippet editing a file), run the named tests, report whether they failed, revert.
# usage: scripts/plant.sh FILE 'OLD' 'NEW' TESTS...   (OLD must occur in FILE; only the first occurrence changes)
set -u
file=$1; old=$2; new=$3; shift 3
cp "$file" "$file.orig"
python - "$file" "$old" "$new" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
assert old in text, f"planted text not found in {path}: {old!r}"
open(path, "w").write(text.replace(old, new, 1))
PY
if PYTHONPATH=$PWD python -m pytest -q -x -p no:cacheprovider "$@" >/tmp/plant.$$.log 2>&1; then
  echo "SURVIVED: $file: $old -> $new"
else
  echo "KILLED:   $file: $old -> $new  by $(grep -m1 -o 'FAILED [^ ]*' /tmp/plant.$$.log)"
fi
mv "$file.orig" "$file"
rm -f /tmp/plant.$$.log
