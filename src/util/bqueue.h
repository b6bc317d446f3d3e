/*
 * bqueue.h - hand batches from one producer thread to one consumer thread.
 *
 * A fixed set of caller-owned batches circulates: the producer takes a free
 * one (waiting while all are in flight), fills it and puts it; the consumer
 * takes full ones in order and releases them.  As many queue slots as
 * batches, so putting never waits.  Free batches come back to the producer
 * in the order they were released, that is in the order they were filled:
 * a producer may read what the consumer left in a batch (loop_flows' series
 * events) and see it in order.  Used by the packet loops of --threads
 * (reading and decoding on one core, tables and series on the other).
 * A side with nothing to take spins up to about 100 us before it sleeps
 * (util/spin.h): waking a sleeping thread cost more than that.
 */
#ifndef PCTS_BQUEUE_H
#define PCTS_BQUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define BQ_MAX 16

struct bqueue {
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_get;
    void *full[BQ_MAX];
    size_t head;
    _Atomic size_t count;    /* changed under mu; read without it while spinning */
    void *free_ring[BQ_MAX]; /* FIFO, like full */
    size_t fhead;
    _Atomic size_t nfree;
    int spin; /* spin a little before sleeping (util/spin.h) */
};

/* n (1..BQ_MAX) batches, all free at first; 0, or -1 if the pthread
 * objects cannot be created. */
int bq_init(struct bqueue *q, void *const *batches, size_t n);
void bq_destroy(struct bqueue *q);

void *bq_get_free(struct bqueue *q);        /* producer: waits for a free batch */
void bq_put(struct bqueue *q, void *b);     /* producer: a filled batch, in order */
void *bq_take(struct bqueue *q);            /* consumer: waits for the next full batch */
void bq_release(struct bqueue *q, void *b); /* consumer: done with it */

#endif
