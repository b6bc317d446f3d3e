/*
 * fuzz_series.c - libFuzzer target: the grouping and statistics path fed
 * decoded packets with arbitrary timestamps (equal, decreasing, 1970, 2106,
 * the int64 extremes).
 *
 * Input: byte 0 selects the exact limit (bit 0: 128 forces the streaming
 * regime and the sketches early), a memory budget (bit 1: 16 KiB, so
 * exact lists stop early and sketches coarsen) and volumes (bit 2: events
 * carry one, series_set_volumes, up to 255 MB, so beats' sums saturate),
 * then 9-byte records: a group number (0-15) and
 * a little-endian int64 timestamp.  Every group's statistics are computed
 * and checked for the invariants the output relies on: no NaN, no negative
 * interval, min <= median <= max, counts consistent, a median beat volume
 * between 0 and the group's volume.
 */
#include "group/group.h"
#include "stats/series.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    series_set_exact_cap(data[0] & 1 ? SERIES_EXACT_MIN : SERIES_EXACT_CAP);
    series_set_budget(data[0] & 2 ? 16u << 10 : 0);
    int vols = (data[0] & 4) != 0;
    series_set_volumes(vols);
    double vol_total[16] = {0};
    struct group_table t;
    group_table_init(&t, GROUP_PORT, 0x1234);
    for (size_t off = 1; off + 9 <= size; off += 9) {
        struct pkt_meta m;
        memset(&m, 0, sizeof(m));
        m.family = 4;
        m.proto = 17;
        m.has_ports = 1;
        m.dport = data[off] & 15;
        m.src[0] = 10;
        m.dst[0] = 192;
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | data[off + 1 + (size_t)i];
        struct group_key k;
        group_key_make(GROUP_PORT, &m, &k);
        struct group *g = group_table_get(&t, &k);
        if (!g)
            abort(); /* no limit set: cannot happen */
        g->bytes += 60;
        if (vols) {
            uint32_t v = data[off] * 1000003u;
            vol_total[data[off] & 15] += v;
            series_add_vol(&g->s, (int64_t)u, data[off] * 17u, v);
        } else {
            vol_total[data[off] & 15] += data[off] * 17u;
            series_add(&g->s, (int64_t)u, data[off] * 17u);
        }
    }
    for (size_t i = 0; i < t.n; i++) {
        struct interval_stats st;
        uint64_t n = t.g[i].s.n;
        series_finish(&t.g[i].s, &st);
        /* a late event adds no interval (series.h) */
        if (st.late > (n ? n - 1 : 0) || st.count != (n ? n - 1 - st.late : 0))
            abort();
        if (st.count) {
            if (isnan(st.mean) || isnan(st.median) || isnan(st.mad) || st.min < 0 ||
                st.median < 0 || st.mad < 0)
                abort();
            if (st.median < st.min * (1 - 0.03) || st.median > st.max * (1 + 0.03) + 1e-9)
                abort();
            if (st.has_std && (isnan(st.std) || st.std < 0))
                abort();
        }
        struct series_features f;
        series_features(&t.g[i].s, &f);
        /* the group's number is its port, the dport its volumes went to */
        double total = vol_total[t.g[i].key.dport & 15];
        if (f.beats && (isnan(f.beat_vol_median) || f.beat_vol_median < 0 ||
                        f.beat_vol_median > total * 1.02 + 1))
            abort();
        series_features_release(&f);
    }
    group_table_release(&t);
    if (series_memory_used() != 0) /* the accounting follows every allocation */
        abort();
    series_set_budget(0);
    series_set_exact_cap(SERIES_EXACT_CAP);
    series_set_volumes(0);
    return 0;
}
