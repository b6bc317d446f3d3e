#!/bin/sh
# make fuzz-run: run each libFuzzer target for N seconds on a corpus kept in
# build/fuzz/corpus/<target> (seeded from generated captures and, when
# present, ../shared/pcaps).  New crashes land in build/fuzz/crashes/.
set -u
build=$1 secs=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
c=build/fuzz/corpus
if [ ! -d "$c/reader" ] || [ ! -d "$c/main" ]; then
    "$build/pcapgen" cases build/fuzz/cases >/dev/null
    "$build/pcapgen" sample build/fuzz/cases/sample.pcap >/dev/null
    set -- build/fuzz/cases/*
    [ -d ../shared/pcaps ] && set -- "$@" $(find ../shared/pcaps -type f \( -name '*.pcap*' -o -name '*.cap' -o -name '*.snoop' -o -name '*.txt' \))
    [ -d "$c/reader" ] || python3 tests/fuzz/seeds.py "$c" "$@"
    # fuzz_main: option bytes before captures, and hostile captures of its own
    [ -d "$c/main" ] || python3 tests/fuzz/seeds_main.py "$c/main" "$@"
fi
mkdir -p build/fuzz/crashes
failed=0
for t in reader decode series names quic main; do
    echo "== fuzz_$t for ${secs}s"
    mkdir -p "$c/$t" # the seeds cover reader, decode and series; the others start empty
    # the pipe below loses libFuzzer's exit status: its status goes to a file
    { ./build/fuzz/fuzz_$t "$c/$t" tests/fuzz/regress -max_total_time="$secs" -max_len=262144 \
        -rss_limit_mb=4096 -timeout=20 -close_fd_mask=3 -artifact_prefix=build/fuzz/crashes/$t- -print_final_stats=1 \
        2>&1; echo $? >build/fuzz/status; } |
        grep -E '^#[0-9]+.*(DONE|pulse)|cov:|stat::|ERROR|SUMMARY|Test unit written' | tail -n 12
    rc=$(cat build/fuzz/status)
    if [ "$rc" != 0 ]; then
        echo "FAIL fuzz_$t: exit $rc (inputs that failed are in build/fuzz/crashes/$t-*)"
        failed=$((failed + 1))
    fi
done
[ "$failed" = 0 ] || exit 1
