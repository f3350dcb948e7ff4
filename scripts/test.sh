#!/usr/bin/env bash
# Runs the whole test suite: unit tests, integration tests in network
# namespaces (root), and a bounded fuzz run.  Prints "N passed, N failed".
#
#   scripts/test.sh              everything
#   scripts/test.sh --unit       unit tests only
set -uo pipefail
cd "$(dirname "$0")/.."

ninja -C build >/dev/null || { echo "build failed"; ninja -C build; echo "0 passed, 1 failed"; exit 1; }

suites=(--suite unit)
if [ "${1:-}" != "--unit" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		suites+=(--suite integration)
	else
		echo "test: not root, skipping the integration suite (network namespaces need root)"
	fi
fi

meson test -C build --print-errorlogs --num-processes 1 "${suites[@]}"
rc=$?

fuzz_rc=skip
if [ "${1:-}" != "--unit" ] && [ -x scripts/fuzz.sh ]; then
	fuzz_rc=0
	scripts/fuzz.sh "${FUZZ_SECONDS:-60}" || fuzz_rc=1
fi

# One plain summary line from meson's own results.
log=build/meson-logs/testlog.json
if [ -f "$log" ]; then
	/usr/bin/python3 - "$log" "$fuzz_rc" <<'PY'
import json, sys
ok = bad = skip = 0
failed = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r == "SKIP": skip += 1
    else:
        bad += 1
        failed.append(t)
# the bounded fuzz run counts as one test
if sys.argv[2] == "0": ok += 1
elif sys.argv[2] == "1": bad += 1
# The failures again, last, where a log's tail shows them: each test's
# name, result and the end of what it printed.
for t in failed:
    out = ((t.get("stdout") or "") + (t.get("stderr") or "")).rstrip().splitlines()
    print(f"==== failed: {t['name']} ({t['result']}, {t.get('duration', 0):.1f} s); its last lines:")
    for l in out[-25:]:
        print("  | " + l)
if sys.argv[2] == "1":
    print("==== failed: the bounded fuzz run (scripts/fuzz.sh; its output is above)")
print(f"{ok} passed, {bad} failed, {skip} skipped")
PY
fi
[ $rc -eq 0 ] && [ "$fuzz_rc" != 1 ]
