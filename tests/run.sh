#!/bin/sh
# The whole test suite: unit tests (cmocka), generated-capture checks, CLI
# behaviour, and (when ../shared/pcaps exists) the comparison with tshark's
# figures for every reference capture.  Usage: tests/run.sh BUILD_DIR
# Each part prints its own lines; the last line is the total
# "N passed, N failed" (plus skipped), and the exit status is 1 on failure.
set -u
build=${1:-build/rel}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pcts="$top/$build/pcts"
gen="$top/$build/pcapgen"
work=$(mktemp -d /tmp/pcts-test.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
export ASAN_OPTIONS=abort_on_error=1:halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
case "$build" in *san*) export PCTS_SANITIZED=1 ;; esac

P=0 F=0 S=0
add() { # parse "N passed, N failed[, N skipped]" from the last line of $1
    line=$(tail -n 1 "$1")
    p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
    if [ -z "$p" ] || [ -z "$f" ]; then
        echo "FAIL $2: no summary line (crashed?)"; F=$((F + 1)); return
    fi
    P=$((P + p)); F=$((F + f)); S=$((S + ${s:-0}))
}

echo "== unit tests ($build)"
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    "$t" >"$work/unit.out" 2>&1
    rc=$?
    sed 's/^/   /' "$work/unit.out" | grep -E 'FAILED|ERROR|PASSED|runtime error|Sanitizer' || true
    np=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$work/unit.out" | tail -n 1)
    nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$work/unit.out" | tail -n 1)
    P=$((P + ${np:-0})); F=$((F + ${nf:-0}))
    if [ $rc -ne 0 ] && [ -z "$nf" ]; then
        echo "FAIL $(basename "$t") exited $rc"; tail -n 20 "$work/unit.out"; F=$((F + 1))
    fi
done

echo "== fuzz corpus replay (regression inputs, generated captures, reference captures)"
"$gen" cases "$work/seed" >/dev/null && "$gen" sample "$work/seed/sample.pcap" >/dev/null
set -- tests/fuzz/regress "$work/seed"
[ -d "$top/../shared/pcaps" ] && set -- "$@" "$top/../shared/pcaps"
for t in reader decode series names quic main; do
    if "$build/fuzz/replay_$t" "$@" >"$work/replay.out" 2>&1; then
        echo "ok   replay_$t: $(tail -n 1 "$work/replay.out")"; P=$((P + 1))
    else
        echo "FAIL replay_$t"; tail -n 20 "$work/replay.out"; F=$((F + 1))
    fi
done

echo "== generated captures"
python3 tests/e2e/cases.py "$pcts" "$gen" "$work/cases" >"$work/cases.out" 2>&1
cat "$work/cases.out"; add "$work/cases.out" cases

echo "== thousands of groups: per-group figures against an independent reading"
python3 tests/e2e/many_groups.py "$pcts" "$gen" "$work/many" >"$work/many.out" 2>&1
cat "$work/many.out"; add "$work/many.out" many-groups

echo "== ranking: planted beacons in generated day-long scenarios"
python3 tests/e2e/ranking.py "$pcts" "$gen" "$work/rank" --seeds 1 >"$work/rank.out" 2>&1
grep -v '^info ' "$work/rank.out"
add "$work/rank.out" ranking

echo "== side by side with RITA v5's beacon score (re-implemented) on the same connections"
shared_arg=""
[ -d "$top/../shared/pcaps" ] && shared_arg="--shared $top/../shared/pcaps"
python3 tests/e2e/rita_compare.py "$pcts" "$gen" "$work/rita" --seeds 1 $shared_arg >"$work/rita.out" 2>&1
grep -E '^(FAIL|SKIP|   (pcts|RITA)|[0-9]+ passed)' "$work/rita.out"
add "$work/rita.out" rita

echo "== command line"
sh tests/e2e/cli.sh "$pcts" "$gen" "$work/cli" >"$work/cli.out" 2>&1
cat "$work/cli.out"; add "$work/cli.out" cli

echo "== HTML report (--html) in headless Chromium"
sh tests/e2e/html_test.sh "$pcts" "$gen" "$work/html" >"$work/html.out" 2>&1
cat "$work/html.out"; add "$work/html.out" html
cp "$work/html/report.png" "$build/report.png" 2>/dev/null && echo "   screenshot kept: $build/report.png"

shared="$top/../shared/pcaps"
if [ -d "$shared/expected" ]; then
    echo "== reference captures ($shared) against tshark's figures"
    python3 tests/e2e/shared_expected.py "$pcts" "$shared" >"$work/shared.out" 2>&1
    grep -v '^ok ' "$work/shared.out"
    add "$work/shared.out" shared
    echo "== reference captures again, median/MAD forced through the sketch (--exact-limit 128)"
    PCTS_EXTRA="--exact-limit 128" python3 tests/e2e/shared_expected.py "$pcts" "$shared" >"$work/shared2.out" 2>&1
    grep -v '^ok ' "$work/shared2.out"
    add "$work/shared2.out" shared-sketch
    echo "== labelled C2 pairs (GROUND_TRUTH.tsv): rank of each"
    python3 tests/e2e/ground_truth.py "$pcts" "$shared" >"$work/gt.out" 2>&1
    cat "$work/gt.out"
    add "$work/gt.out" ground-truth
    echo "== labelled C2 captures embedded in a generated day of office traffic"
    python3 tests/e2e/embedded.py "$pcts" "$gen" "$shared" >"$work/emb.out" 2>&1
    grep -E '^(ok|FAIL|SKIP|info|[0-9]+ passed)' "$work/emb.out"
    add "$work/emb.out" embedded
else
    echo "SKIP reference captures: $shared not found (tests that need ../shared skip outside the workplace)"
    S=$((S + 1))
fi

echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
