/*
 * floor.c - the read-only floor that `make bench` measures pcts against.
 *
 *   floor read FILE   read(2) the classic-pcap file in 1 MiB chunks and walk
 *                     the record headers: the cost of touching every byte
 *                     and every record, nothing else.
 *   floor hash FILE   the same, plus the least a per-pair statistic needs:
 *                     find the IPv4 (src, dst) of each Ethernet frame and
 *                     count it in an open-addressing hash table.
 *
 * Deliberately minimal and trusting (bench input only, little-endian
 * microsecond pcap from pcapgen): not a pattern for real parsing.
 * Prints "packets=N pairs=P".
 */
#include <fcntl.h>
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

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "read") && strcmp(argv[1], "hash"))) {
        fprintf(stderr, "usage: floor read|hash FILE.pcap\n");
        return 2;
    }
    int hash = !strcmp(argv[1], "hash");
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
    if (!buf || !keys || !cnt)
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
        }
        start += 16 + (size_t)caplen;
    }
    printf("packets=%llu pairs=%llu\n", (unsigned long long)packets, (unsigned long long)pairs);
    free(buf);
    free(keys);
    free(cnt);
    close(fd);
    return 0;
}
