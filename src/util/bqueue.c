/*
 * bqueue.c - see bqueue.h.
 */
#include "bqueue.h"

#include "cpus.h"
#include "spin.h"

int bq_init(struct bqueue *q, void *const *batches, size_t n)
{
    if (n == 0 || n > BQ_MAX)
        return -1; /* none: bq_get_free() would wait forever; more: bq_put() overflows */
    q->head = q->fhead = 0;
    atomic_init(&q->count, 0);
    for (size_t i = 0; i < n; i++)
        q->free_ring[i] = batches[i];
    atomic_init(&q->nfree, n);
    q->spin = cpus_two_full();
    if (pthread_mutex_init(&q->mu, NULL))
        return -1;
    if (pthread_cond_init(&q->can_put, NULL)) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    if (pthread_cond_init(&q->can_get, NULL)) {
        pthread_cond_destroy(&q->can_put);
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

void bq_destroy(struct bqueue *q)
{
    pthread_cond_destroy(&q->can_get);
    pthread_cond_destroy(&q->can_put);
    pthread_mutex_destroy(&q->mu);
}

void *bq_get_free(struct bqueue *q)
{
    spin_while_zero(&q->nfree, q->spin);
    pthread_mutex_lock(&q->mu);
    while (q->nfree == 0)
        pthread_cond_wait(&q->can_put, &q->mu);
    void *b = q->free_ring[q->fhead];
    q->fhead = (q->fhead + 1) % BQ_MAX;
    q->nfree--;
    pthread_mutex_unlock(&q->mu);
    return b;
}

void bq_put(struct bqueue *q, void *b)
{
    pthread_mutex_lock(&q->mu);
    q->full[(q->head + q->count) % BQ_MAX] = b;
    q->count++;
    pthread_cond_signal(&q->can_get);
    pthread_mutex_unlock(&q->mu);
}

void *bq_take(struct bqueue *q)
{
    spin_while_zero(&q->count, q->spin);
    pthread_mutex_lock(&q->mu);
    while (q->count == 0)
        pthread_cond_wait(&q->can_get, &q->mu);
    void *b = q->full[q->head];
    q->head = (q->head + 1) % BQ_MAX;
    q->count--;
    pthread_mutex_unlock(&q->mu);
    return b;
}

void bq_release(struct bqueue *q, void *b)
{
    pthread_mutex_lock(&q->mu);
    q->free_ring[(q->fhead + q->nfree) % BQ_MAX] = b;
    q->nfree++;
    pthread_cond_signal(&q->can_put);
    pthread_mutex_unlock(&q->mu);
}
