/* test_ratelimit.c — the sliding-window limiter and token buckets: limits, sliding, clearing,
 * retry-after values, bounded eviction, long keys and exact counts under
 * concurrent hits from several threads. Time is passed in explicitly. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ratelimit.h"

#define T0 1700000000LL

static void test_limit_and_window(void)
{
	struct ratelimit *rl = ratelimit_new(16, 3, 60);
	CHECK(ratelimit_allowed(rl, "alice", T0));
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0), 0);
	CHECK_INT(ratelimit_keys(rl), 0); /* asking records nothing */
	ratelimit_hit(rl, "alice", T0);
	ratelimit_hit(rl, "alice", T0 + 10);
	CHECK(ratelimit_allowed(rl, "alice", T0 + 10));
	ratelimit_hit(rl, "alice", T0 + 20);
	CHECK(!ratelimit_allowed(rl, "alice", T0 + 20));
	CHECK(!ratelimit_allowed(rl, "alice", T0 + 59));
	/* The oldest event (T0) leaves the window at T0 + 60. */
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 20), 40);
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 59), 1);
	CHECK(ratelimit_allowed(rl, "alice", T0 + 60));
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 60), 0);
	/* Other keys are independent. */
	CHECK(ratelimit_allowed(rl, "bob", T0 + 20));
	CHECK(ratelimit_allowed(rl, "alic", T0 + 20));

	/* The window slides: one more hit at T0 + 60 blocks again until T0 + 70. */
	ratelimit_hit(rl, "alice", T0 + 60);
	CHECK(!ratelimit_allowed(rl, "alice", T0 + 60));
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 60), 10);
	CHECK(ratelimit_allowed(rl, "alice", T0 + 70));
	CHECK(ratelimit_allowed(rl, "alice", T0 + 1000));

	/* Hits while blocked keep the key blocked (the ring keeps the newest events). */
	for (int i = 0; i < 10; i++)
		ratelimit_hit(rl, "mallory", T0 + i);
	CHECK_INT(ratelimit_retry_after(rl, "mallory", T0 + 9), 58); /* events at 7, 8, 9 remain */
	CHECK(ratelimit_allowed(rl, "mallory", T0 + 67));

	/* Clear forgets the key. */
	CHECK(!ratelimit_allowed(rl, "mallory", T0 + 10));
	ratelimit_clear(rl, "mallory");
	CHECK(ratelimit_allowed(rl, "mallory", T0 + 10));
	ratelimit_clear(rl, "mallory");
	ratelimit_clear(rl, "never-seen");
	CHECK_INT(ratelimit_keys(rl), 1); /* alice */
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static void test_out_of_order_times(void)
{
	struct ratelimit *rl = ratelimit_new(4, 2, 100);
	ratelimit_hit(rl, "k", T0 + 50);
	ratelimit_hit(rl, "k", T0 + 10); /* a thread with a slightly older clock */
	CHECK(!ratelimit_allowed(rl, "k", T0 + 60));
	CHECK_INT(ratelimit_retry_after(rl, "k", T0 + 60), 50); /* until T0 + 10 leaves */
	/* A full ring drops the earliest time, not the one written first. */
	ratelimit_hit(rl, "k", T0 + 70);
	CHECK_INT(ratelimit_retry_after(rl, "k", T0 + 70), 80); /* 50 and 70 remain */
	/* An event older than everything in a full ring changes nothing. */
	ratelimit_hit(rl, "k", T0);
	CHECK_INT(ratelimit_retry_after(rl, "k", T0 + 70), 80);
	ratelimit_free(rl);
}

static void test_eviction(void)
{
	enum { SLOTS = 64 };
	struct ratelimit *rl = ratelimit_new(SLOTS, 2, 3600);
	char key[32];
	/* "victim" is blocked, then many other keys arrive. */
	ratelimit_hit(rl, "victim", T0);
	ratelimit_hit(rl, "victim", T0);
	CHECK(!ratelimit_allowed(rl, "victim", T0));
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
		ratelimit_hit(rl, key, T0 + 1);
		ratelimit_hit(rl, key, T0 + 1);
		if (i % 1000 == 0)
			CHECK(ratelimit_keys(rl) <= SLOTS);
	}
	CHECK_INT(ratelimit_keys(rl), SLOTS);
	/* The least recently hit keys went first; the newest SLOTS keys are all tracked. */
	CHECK(ratelimit_allowed(rl, "victim", T0 + 1));
	int blocked = 0;
	for (int i = 10000 - SLOTS; i < 10000; i++) {
		snprintf(key, sizeof key, "10.0.%d.%d", i / 256, i % 256);
		blocked += !ratelimit_allowed(rl, key, T0 + 1);
	}
	CHECK_INT(blocked, SLOTS);
	snprintf(key, sizeof key, "10.0.%d.%d", (9999 - SLOTS) / 256, (9999 - SLOTS) % 256);
	CHECK(ratelimit_allowed(rl, key, T0 + 1));

	/* Hitting a key again makes it recent: it outlives keys created after it. */
	ratelimit_hit(rl, "keeper", T0 + 2); /* evicts one address; 63 remain */
	for (int i = 0; i < SLOTS / 2; i++) {
		snprintf(key, sizeof key, "wave-%d", i);
		ratelimit_hit(rl, key, T0 + 3);
	}
	ratelimit_hit(rl, "keeper", T0 + 3); /* now newer than every wave key */
	for (int i = SLOTS / 2; i < SLOTS; i++) {
		snprintf(key, sizeof key, "wave-%d", i);
		ratelimit_hit(rl, key, T0 + 4);
	}
	/* The 31 remaining addresses and wave-0 were evicted, keeper was not. */
	CHECK(!ratelimit_allowed(rl, "keeper", T0 + 4));
	CHECK_INT(ratelimit_keys(rl), SLOTS);
	ratelimit_hit(rl, "wave-0", T0 + 4);
	CHECK(ratelimit_allowed(rl, "wave-0", T0 + 4)); /* a fresh entry with one hit */
	ratelimit_hit(rl, "wave-2", T0 + 4);
	CHECK(!ratelimit_allowed(rl, "wave-2", T0 + 4)); /* still tracked: two hits */
	/* wave-0 came back by evicting wave-1, the least recent at that point. */
	ratelimit_hit(rl, "wave-1", T0 + 4);
	CHECK(ratelimit_allowed(rl, "wave-1", T0 + 4));

	/* Clearing frees a slot that is then reused without evicting anyone. */
	ratelimit_clear(rl, "keeper");
	CHECK_INT(ratelimit_keys(rl), SLOTS - 1);
	CHECK(ratelimit_allowed(rl, "keeper", T0 + 4));
	ratelimit_hit(rl, "fresh", T0 + 4);
	CHECK_INT(ratelimit_keys(rl), SLOTS);
	ratelimit_hit(rl, "wave-5", T0 + 4);
	CHECK(!ratelimit_allowed(rl, "wave-5", T0 + 4));
	ratelimit_free(rl);

	/* A table of one slot still works. */
	rl = ratelimit_new(0, 0, 10);
	ratelimit_hit(rl, "a", T0);
	CHECK(!ratelimit_allowed(rl, "a", T0));
	ratelimit_hit(rl, "b", T0);
	CHECK(ratelimit_allowed(rl, "a", T0));
	CHECK(!ratelimit_allowed(rl, "b", T0));
	CHECK_INT(ratelimit_keys(rl), 1);
	ratelimit_free(rl);
}

static void test_long_keys(void)
{
	struct ratelimit *rl = ratelimit_new(8, 1, 60);
	char a[400], b[400], c[129];
	memset(a, 'x', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[300] = 'y'; /* differs only past the stored prefix */
	memset(c, 'x', sizeof c - 1);
	c[sizeof c - 1] = '\0'; /* 128 bytes: stored as is */
	ratelimit_hit(rl, a, T0);
	CHECK(!ratelimit_allowed(rl, a, T0));
	CHECK(ratelimit_allowed(rl, b, T0));
	CHECK(ratelimit_allowed(rl, c, T0));
	ratelimit_hit(rl, c, T0);
	CHECK(!ratelimit_allowed(rl, c, T0));
	CHECK(ratelimit_allowed(rl, b, T0));
	ratelimit_clear(rl, a);
	CHECK(ratelimit_allowed(rl, a, T0));
	CHECK(!ratelimit_allowed(rl, c, T0));
	CHECK(ratelimit_allowed(rl, "", T0));
	ratelimit_hit(rl, "", T0);
	CHECK(!ratelimit_allowed(rl, "", T0));
	ratelimit_free(rl);
}

enum { THREADS = 8, OWN_HITS = 999, SHARED_HITS = 125, LIMIT = 1000 };

struct worker {
	struct ratelimit *rl;
	int n;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char own[32];
	snprintf(own, sizeof own, "thread-%d", w->n);
	for (int i = 0; i < OWN_HITS; i++) {
		ratelimit_hit(w->rl, own, T0 + i % 7);
		/* thread 0 leaves one out, so the shared key ends one below the limit */
		if (i < SHARED_HITS - (w->n == 0))
			ratelimit_hit(w->rl, "shared", T0 + i % 5);
		(void)ratelimit_allowed(w->rl, "shared", T0 + 7);
	}
	return NULL;
}

static void test_threads(void)
{
	struct ratelimit *rl = ratelimit_new(64, LIMIT, 3600);
	pthread_t th[THREADS];
	struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i].rl = rl;
		w[i].n = i;
		CHECK_INT(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(ratelimit_keys(rl), THREADS + 1);
	/* THREADS * SHARED_HITS - 1 == LIMIT - 1: the shared key is one below the limit. */
	CHECK(ratelimit_allowed(rl, "shared", T0 + 10));
	ratelimit_hit(rl, "shared", T0 + 10);
	CHECK(!ratelimit_allowed(rl, "shared", T0 + 10));
	CHECK_INT(ratelimit_retry_after(rl, "shared", T0 + 10), 3600 - 10); /* oldest shared event at T0 */
	/* Each own key has exactly OWN_HITS = LIMIT - 1: one more hit reaches the limit. */
	char own[32];
	int exact = 0;
	for (int i = 0; i < THREADS; i++) {
		snprintf(own, sizeof own, "thread-%d", i);
		int before = ratelimit_allowed(rl, own, T0 + 10);
		ratelimit_hit(rl, own, T0 + 10);
		exact += before && !ratelimit_allowed(rl, own, T0 + 10);
	}
	CHECK_INT(exact, THREADS);
	ratelimit_free(rl);
}

/* Token buckets: a burst, then a steady rate; memory does not depend on the limit. */
static void test_bucket(void)
{
	/* 10 at once, then 60 per minute (one a second) */
	struct ratelimit *rl = ratelimit_new_bucket(4, 10, 60, 60);
	int allowed = 0;
	for (int i = 0; i < 20; i++) {
		if (ratelimit_allowed(rl, "hall", T0)) {
			ratelimit_hit(rl, "hall", T0);
			allowed++;
		}
	}
	CHECK_INT(allowed, 10);
	CHECK(!ratelimit_allowed(rl, "hall", T0));
	CHECK_INT(ratelimit_retry_after(rl, "hall", T0), 1);
	/* a second later one more token */
	CHECK(ratelimit_allowed(rl, "hall", T0 + 1));
	ratelimit_hit(rl, "hall", T0 + 1);
	CHECK(!ratelimit_allowed(rl, "hall", T0 + 1));
	/* after five seconds five more, never more than the burst */
	allowed = 0;
	for (int i = 0; i < 20; i++)
		if (ratelimit_allowed(rl, "hall", T0 + 6)) {
			ratelimit_hit(rl, "hall", T0 + 6);
			allowed++;
		}
	CHECK_INT(allowed, 5);
	CHECK(ratelimit_allowed(rl, "hall", T0 + 1000));
	allowed = 0;
	for (int i = 0; i < 50; i++)
		if (ratelimit_allowed(rl, "hall", T0 + 1000)) {
			ratelimit_hit(rl, "hall", T0 + 1000);
			allowed++;
		}
	CHECK_INT(allowed, 10);
	/* other keys are independent; a cleared key starts full */
	CHECK(ratelimit_allowed(rl, "other", T0 + 1000));
	ratelimit_clear(rl, "hall");
	CHECK(ratelimit_allowed(rl, "hall", T0 + 1000));
	ratelimit_free(rl);
	/* a slow rate: 20 per hour → one token every 180 s */
	rl = ratelimit_new_bucket(4, 20, 20, 3600);
	for (int i = 0; i < 20; i++)
		ratelimit_hit(rl, "client", T0);
	CHECK(!ratelimit_allowed(rl, "client", T0));
	CHECK_INT(ratelimit_retry_after(rl, "client", T0), 180);
	CHECK(!ratelimit_allowed(rl, "client", T0 + 179));
	CHECK(ratelimit_allowed(rl, "client", T0 + 180));
	ratelimit_free(rl);
	/* a huge limit costs no memory per event */
	rl = ratelimit_new_bucket(1 << 16, 100000000, 100000000, 60);
	CHECK(ratelimit_allowed(rl, "x", T0));
	ratelimit_free(rl);
}

static void test_refund(void)
{
	/* a bucket gets a token back, never above its capacity */
	struct ratelimit *rl = ratelimit_new_bucket(4, 3, 3, 3600);
	for (int i = 0; i < 3; i++)
		ratelimit_hit(rl, "c", T0);
	CHECK(!ratelimit_allowed(rl, "c", T0));
	ratelimit_refund(rl, "c");
	CHECK(ratelimit_allowed(rl, "c", T0));
	ratelimit_hit(rl, "c", T0);
	CHECK(!ratelimit_allowed(rl, "c", T0));
	for (int i = 0; i < 10; i++)
		ratelimit_refund(rl, "c");
	int allowed = 0;
	for (int i = 0; i < 10; i++)
		if (ratelimit_allowed(rl, "c", T0)) {
			ratelimit_hit(rl, "c", T0);
			allowed++;
		}
	CHECK_INT(allowed, 3);
	ratelimit_refund(rl, "unknown"); /* no-op */
	CHECK_INT(ratelimit_keys(rl), 1);
	ratelimit_free(rl);
	/* a window loses its newest event: the oldest still decides the wait */
	rl = ratelimit_new(4, 2, 60);
	ratelimit_hit(rl, "w", T0);
	ratelimit_hit(rl, "w", T0 + 10);
	CHECK_INT(ratelimit_retry_after(rl, "w", T0 + 10), 50);
	ratelimit_refund(rl, "w");
	CHECK(ratelimit_allowed(rl, "w", T0 + 10));
	ratelimit_hit(rl, "w", T0 + 20);
	CHECK_INT(ratelimit_retry_after(rl, "w", T0 + 20), 40);
	ratelimit_refund(rl, "w");
	ratelimit_refund(rl, "w");
	ratelimit_refund(rl, "w"); /* nothing left to take back */
	CHECK(ratelimit_allowed(rl, "w", T0 + 20));
	ratelimit_free(rl);
}

/* ratelimit_acquire: checks and records in one step, records nothing when refused, and
 * gives the same waits as retry_after; works on windows, buckets and long keys. */
static void test_acquire(void)
{
	struct ratelimit *rl = ratelimit_new(16, 2, 60);
	CHECK_INT(ratelimit_acquire(rl, "alice", T0), 0);
	CHECK_INT(ratelimit_keys(rl), 1);
	CHECK_INT(ratelimit_acquire(rl, "alice", T0 + 5), 0);
	CHECK_INT(ratelimit_acquire(rl, "alice", T0 + 6), 54); /* refused: T0 leaves at T0 + 60 */
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 6), 54);
	CHECK_INT(ratelimit_acquire(rl, "alice", T0 + 60), 0);  /* the refusal recorded nothing */
	CHECK_INT(ratelimit_retry_after(rl, "alice", T0 + 60), 5);
	ratelimit_refund(rl, "alice");
	CHECK_INT(ratelimit_acquire(rl, "alice", T0 + 60), 0);
	ratelimit_free(rl);

	struct ratelimit *b = ratelimit_new_bucket(16, 3, 1, 10); /* 3 at once, then one per 10 s */
	for (int i = 0; i < 3; i++)
		CHECK_INT(ratelimit_acquire(b, "hall", T0), 0);
	CHECK_INT(ratelimit_acquire(b, "hall", T0), 10);
	CHECK_INT(ratelimit_acquire(b, "hall", T0 + 9), 1);
	CHECK_INT(ratelimit_acquire(b, "hall", T0 + 10), 0);
	CHECK_INT(ratelimit_acquire(b, "hall", T0 + 10), 10);
	ratelimit_refund(b, "hall");
	CHECK_INT(ratelimit_acquire(b, "hall", T0 + 10), 0);
	ratelimit_free(b);

	char long_a[300], long_b[300];
	memset(long_a, 'x', sizeof long_a - 1);
	long_a[sizeof long_a - 1] = '\0';
	memcpy(long_b, long_a, sizeof long_b);
	long_b[250] = 'y'; /* same stored prefix, different key */
	struct ratelimit *l = ratelimit_new(16, 1, 60);
	CHECK_INT(ratelimit_acquire(l, long_a, T0), 0);
	CHECK(ratelimit_acquire(l, long_a, T0) > 0);
	CHECK_INT(ratelimit_acquire(l, long_b, T0), 0);
	CHECK_INT(ratelimit_keys(l), 2);
	ratelimit_clear(l, long_a);
	CHECK_INT(ratelimit_acquire(l, long_a, T0), 0);
	ratelimit_free(l);
}

int main(void)
{
	test_acquire();
	test_bucket();
	test_refund();
	test_limit_and_window();
	test_out_of_order_times();
	test_eviction();
	test_long_keys();
	test_threads();
	return check_finish("test_ratelimit");
}
