/*
 * floor.c - the read-only floor that `make bench` measures pcts against.
 *
 *   floor read FILE   read(2) the classic-pcap file in 1 MiB chunks and walk
 *                     the record headers: the cost of touching every byte
 *                     and every record, nothing else.
 *   floor hash FILE   the same, plus the least a per-pair statistic needs:
 *                     find the IPv4 (src, dst) of each Ethernet frame and
 *                     count it in an open-addressing hash table.
 *   floor median FILE the same, plus the least exact interval statistics
 *                     need (what --series packets computes): every packet's
 *                     time kept per pair (a growing array of 64-bit
 *                     microseconds), and at the end each pair's intervals
 *                     with their mean, standard deviation, median and MAD
 *                     (quickselect, twice).  The speed issue's own reference
 *                     puts such a loop at about a quarter of the hash one's
 *                     rate; this measures it on the same file in the same
 *                     run, so that pcts' packet series can be held against
 *                     the least its exact statistics cost.
 *
 * Deliberately minimal and trusting (bench input only, little-endian
 * microsecond pcap from pcapgen): not a pattern for real parsing.
 * Prints "packets=N pairs=P" (median: and a checksum of the statistics, so
 * the compiler cannot drop them).
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

struct times {
    int64_t *t;
    uint32_t n, cap;
};

/* The k-th smallest of v[0, n) (0-based), reordering v: Hoare's selection. */
static int64_t select_k(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t piv = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < piv)
                i++;
            while (v[j] > piv)
                j--;
            if (i <= j) {
                int64_t x = v[i];
                v[i] = v[j];
                v[j] = x;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* The median of v[0, n), n >= 1, reordering v. */
static double median(int64_t *v, size_t n)
{
    int64_t hi = select_k(v, n, n / 2);
    if (n % 2)
        return (double)hi;
    int64_t lo = v[0]; /* the largest below n / 2: select_k left them there */
    for (size_t i = 1; i < n / 2; i++)
        if (v[i] > lo)
            lo = v[i];
    return ((double)lo + (double)hi) / 2;
}

/* Mean, standard deviation, median and MAD of each pair's intervals. */
static double interval_stats(struct times *tm, size_t slots)
{
    double sum = 0;
    int64_t *gap = NULL;
    size_t gcap = 0;
    for (size_t i = 0; i < slots; i++) {
        size_t n = tm[i].n;
        if (n < 2)
            continue;
        if (n - 1 > gcap) {
            gcap = 2 * n;
            gap = realloc(gap, gcap * sizeof(*gap));
            if (!gap)
                exit(1);
        }
        double s = 0, s2 = 0;
        for (size_t j = 1; j < n; j++) {
            gap[j - 1] = tm[i].t[j] - tm[i].t[j - 1];
            s += (double)gap[j - 1];
        }
        double mean = s / (double)(n - 1);
        for (size_t j = 0; j + 1 < n; j++)
            s2 += ((double)gap[j] - mean) * ((double)gap[j] - mean);
        double med = median(gap, n - 1);
        for (size_t j = 0; j + 1 < n; j++) /* MAD: around the median, in 1/2 units */
            gap[j] = (int64_t)fabs(2 * (double)gap[j] - 2 * med);
        double mad = median(gap, n - 1) / 2;
        sum += mean + sqrt(s2 / (double)(n - 1)) + med + mad;
    }
    free(gap);
    return sum;
}

int main(int argc, char **argv)
{
    if (argc != 3 ||
        (strcmp(argv[1], "read") && strcmp(argv[1], "hash") && strcmp(argv[1], "median"))) {
        fprintf(stderr, "usage: floor read|hash|median FILE.pcap\n");
        return 2;
    }
    int med = !strcmp(argv[1], "median");
    int hash = med || !strcmp(argv[1], "hash");
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 2 * CHUNK;
    uint8_t *buf = malloc(cap);
    size_t mask = (1u << 20) - 1;
    uint64_t *keys = calloc(mask + 1, sizeof(uint64_t));
    uint64_t *cnt = calloc(mask + 1, sizeof(uint64_t));
    struct times *tm = med ? calloc(mask + 1, sizeof(*tm)) : NULL;
    if (!buf || !keys || !cnt || (med && !tm))
        return 1;
    size_t start = 0, end = 0;
    uint64_t packets = 0, pairs = 0;
    int header = 1;
    for (;;) {
        if (end - start < 16 + 65536) {
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
            ssize_t r = read(fd, buf + end, cap - end);
            if (r < 0) {
                perror("read");
                return 1;
            }
            end += (size_t)r;
            if (r == 0 && end - start < 16)
                break;
        }
        if (header) {
            start += 24;
            header = 0;
            continue;
        }
        if (end - start < 16)
            break;
        uint32_t caplen = rd32(buf + start + 8);
        if (caplen > 65536 || end - start < 16 + (size_t)caplen)
            break;
        const uint8_t *f = buf + start + 16;
        packets++;
        if (hash && caplen >= 34 && f[12] == 0x08 && f[13] == 0x00) {
            uint64_t k = (uint64_t)rd32(f + 26) << 32 | rd32(f + 30);
            size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 44) & mask;
            while (keys[i] && keys[i] != k)
                i = (i + 1) & mask;
            if (!keys[i]) {
                keys[i] = k;
                pairs++;
            }
            cnt[i]++;
            if (med) {
                struct times *v = &tm[i];
                if (v->n == v->cap) {
                    v->cap = v->cap ? 2 * v->cap : 16;
                    v->t = realloc(v->t, v->cap * sizeof(*v->t));
                    if (!v->t)
                        return 1;
                }
                v->t[v->n++] = (int64_t)rd32(buf + start) * 1000000 + rd32(buf + start + 4);
            }
        }
        start += 16 + (size_t)caplen;
    }
    printf("packets=%llu pairs=%llu", (unsigned long long)packets, (unsigned long long)pairs);
    if (med) {
        printf(" checksum=%.6g", interval_stats(tm, mask + 1));
        for (size_t i = 0; i <= mask; i++)
            free(tm[i].t);
        free(tm);
    }
    printf("\n");
    free(buf);
    free(keys);
    free(cnt);
    close(fd);
    return 0;
}
