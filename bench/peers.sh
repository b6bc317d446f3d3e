#!/bin/sh
# Peers on the same traffic (docs/performance.md): pcts and the flow tools
# Debian packages (tshark, argus, nfpcapd, softflowd) on one generated file,
# best of 3 wall-clock seconds and peak RSS.  Tools that are not installed
# are skipped.  Usage: bench/peers.sh BUILD_DIR [PACKETS] [PAIRS]
set -eu
build=$1
n=${2:-1000000}
pairs=${3:-50000}
f=/tmp/pcts-peer-$n-$pairs.pcap
[ -f "$f" ] || "$build/pcapgen" bench "$f" --packets "$n" --pairs "$pairs" --snap 64 >/dev/null
cat "$f" >/dev/null
out=$(mktemp -d)
best() { # label command...
    label=$1; shift
    bt= bm=0
    for i in 1 2 3; do
        rm -rf "$out"/*
        /usr/bin/time -f "%e %M" -o "$out/.t" sh -c "$*" >/dev/null 2>&1 || { echo "$label: failed"; return; }
        read t m < "$out/.t"
        if [ -z "$bt" ] || awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then bt=$t; fi
        [ "$m" -gt "$bm" ] && bm=$m
    done
    awk -v l="$label" -v t="$bt" -v m="$bm" -v n="$n" \
        'BEGIN { printf "%-34s %7.2f s %7.3f M pkts/s %8.1f MiB\n", l, t, n / t / 1e6, m / 1024 }'
}
echo "$n packets, $pairs pairs: $f"
best "pcts (default)" "$build/pcts -q -F csv -o /dev/null $f"
best "pcts --threads 1" "$build/pcts -q -F csv -o /dev/null --threads 1 $f"
best "pcts --series packets --group ip" "$build/pcts -q -F csv -o /dev/null --series packets --group ip $f"
command -v softflowd >/dev/null && best "softflowd -m 200000" "softflowd -r $f -m 200000 -n 127.0.0.1:9"
command -v nfpcapd >/dev/null && best "nfpcapd" "nfpcapd -r $f -w $out"
command -v argus >/dev/null && best "argus" "argus -r $f -w $out/out.argus"
command -v tshark >/dev/null && best "tshark -z conv,ip" "tshark -q -z conv,ip -r $f"
rm -rf "$out"
