#!/bin/sh
# make bench-big: a capture larger than 10 GB streamed through a pipe (never
# stored), read by pcts in bounded memory.  Prints time, packets/s and peak
# RSS for the packet series (--series packets --group ip) and the default
# flow series, and the same for 1/10 and 1/100 of the packets to show that
# cost grows linearly.  Usage: bench/big.sh BUILD_DIR [PACKETS]
set -eu
build=$1
n=${2:-150000000}
gen="$build/pcapgen"
pcts="$build/pcts"
run() { # label packets args...
    label=$1 k=$2; shift 2
    /usr/bin/time -f "%e %M" -o /tmp/pcts-big.time sh -c "\"$gen\" bench - --packets $k --pairs 50000 --snap 64 | \"$pcts\" -q -F csv -o /dev/null $* -" 
    set -- $(cat /tmp/pcts-big.time)
    awk -v l="$label" -v k="$k" -v t="$1" -v m="$2" 'BEGIN {
        printf "%-40s %11d pkts %8.1f s %7.2f M pkts/s %8.1f MiB peak RSS (%.1f GB of pcap)\n",
               l, k, t, k / t / 1e6, m / 1024, k * 80 / 1e9 }'
}
command -v /usr/bin/time >/dev/null || { echo "bench-big needs /usr/bin/time (Debian package time)"; exit 1; }
echo "pcapgen bench | pcts - (50k pairs, 64-byte snapshot, 80 bytes per record on the wire of the pipe)"
for k in $((n / 100)) $((n / 10)) $n; do
    run "--series packets --group ip" "$k" --series packets --group ip
done
for k in $((n / 100)) $((n / 10)) $n; do
    run "default (flows, service)" "$k"
done
