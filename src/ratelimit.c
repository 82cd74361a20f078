/* ratelimit.c — sliding-window event counters and token buckets in a fixed table.
 * In window mode each tracked key keeps the times of its last max_events events in a
 * small ring; in bucket mode a token count and the time of its last refill; keys are found
 * through a chained hash index (each slot keeps its key's hash, so a chain is walked
 * without comparing strings) and the least recently hit key is evicted when the table
 * is full. One mutex guards everything: each call is short and allocation-free. */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include "ratelimit.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Keys longer than this are stored as their first RL_KEY_PREFIX bytes, '#' and a
 * 64-bit hash of the whole key in hex: RL_KEY_PREFIX + 17 = RL_KEY_CAP + 1 bytes,
 * a length no short key has, so a long key never shares a slot with a short one. */
#define RL_KEY_CAP 128
#define RL_KEY_PREFIX 112
#define RL_KEY_STORED (RL_KEY_CAP + 1)
#define RL_NONE UINT32_MAX

struct rl_slot {
	char key[RL_KEY_STORED + 1]; /* "" when the slot is free */
	uint64_t hash;               /* rl_hash of key */
	uint32_t hash_next;          /* next slot in the same hash bucket */
	uint32_t lru_prev, lru_next; /* recency list, most recent at the head */
	unsigned count;              /* timestamps held in the ring, <= max_events */
	int64_t *times;              /* ring of max_events event times (into rl->times) */
	double tokens;               /* bucket mode: tokens left; < 0 until first use */
	int64_t last;                /* bucket mode: time of the last refill */
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned max_events;         /* bucket mode: the bucket's capacity */
	unsigned window_s;
	int bucket;                  /* token-bucket mode: constant memory per key */
	double rate;                 /* bucket mode: tokens added per second */
	uint32_t nslots, used;
	uint32_t nbuckets; /* a power of two */
	uint32_t *buckets; /* first slot of each hash chain */
	uint32_t lru_head, lru_tail;
	uint32_t free_head; /* free slots, chained through hash_next */
	struct rl_slot *slots;
	int64_t *times; /* nslots * max_events */
};

static uint64_t rl_fnv1a(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The table's hash of a stored key: eight bytes at a time (keys are mostly 64-byte
 * client hashes in hex, hashed a few times per survey submission). */
static uint64_t rl_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

/* A key as the table stores it (see RL_KEY_CAP): key itself when short, else its
 * shortened form in buf. *hash gets its rl_hash. */
static const char *rl_key_norm(const char *key, char buf[RL_KEY_STORED + 1], uint64_t *hash)
{
	size_t n = strnlen(key, RL_KEY_CAP + 1);
	if (n > RL_KEY_CAP) {
		n += strlen(key + n);
		memcpy(buf, key, RL_KEY_PREFIX);
		snprintf(buf + RL_KEY_PREFIX, RL_KEY_STORED + 1 - RL_KEY_PREFIX, "#%016llx",
			 (unsigned long long)rl_fnv1a(key, n));
		key = buf;
		n = RL_KEY_STORED;
	}
	*hash = rl_hash(key, n);
	return key;
}

static struct ratelimit *rl_new(size_t slots, unsigned max_events, unsigned window_s, int bucket);

struct ratelimit *ratelimit_new(size_t slots, unsigned max_events, unsigned window_s)
{
	return rl_new(slots, max_events, window_s, 0);
}

struct ratelimit *ratelimit_new_bucket(size_t slots, unsigned burst, unsigned per_window, unsigned window_s)
{
	struct ratelimit *rl = rl_new(slots, burst, window_s, 1);
	rl->rate = (double)(per_window ? per_window : 1) / (double)(window_s ? window_s : 1);
	return rl;
}

static struct ratelimit *rl_new(size_t slots, unsigned max_events, unsigned window_s, int bucket)
{
	if (slots == 0)
		slots = 1;
	if (slots > UINT32_MAX / 4)
		slots = UINT32_MAX / 4;
	if (max_events == 0)
		max_events = 1;
	struct ratelimit *rl = xcalloc(1, sizeof *rl);
	pthread_mutex_init(&rl->lock, NULL);
	rl->max_events = max_events;
	rl->window_s = window_s;
	rl->nslots = (uint32_t)slots;
	rl->nbuckets = 1;
	while (rl->nbuckets < rl->nslots * 2)
		rl->nbuckets *= 2;
	rl->buckets = xmalloc(rl->nbuckets * sizeof *rl->buckets);
	for (uint32_t i = 0; i < rl->nbuckets; i++)
		rl->buckets[i] = RL_NONE;
	rl->slots = xcalloc(slots, sizeof *rl->slots);
	rl->bucket = bucket;
	rl->times = bucket ? NULL : xcalloc(slots, max_events * sizeof *rl->times);
	for (uint32_t i = 0; i < rl->nslots; i++) {
		rl->slots[i].times = bucket ? NULL : rl->times + (size_t)i * max_events;
		rl->slots[i].hash_next = i + 1 < rl->nslots ? i + 1 : RL_NONE;
		rl->slots[i].lru_prev = rl->slots[i].lru_next = RL_NONE;
	}
	rl->free_head = 0;
	rl->lru_head = rl->lru_tail = RL_NONE;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->buckets);
	free(rl->slots);
	free(rl->times);
	free(rl);
}

static uint32_t rl_bucket(const struct ratelimit *rl, uint64_t hash)
{
	return (uint32_t)(hash & (rl->nbuckets - 1));
}

/* Slot index of a normalised key with its hash, or RL_NONE. */
static uint32_t rl_find(const struct ratelimit *rl, const char *norm, uint64_t hash)
{
	for (uint32_t i = rl->buckets[rl_bucket(rl, hash)]; i != RL_NONE; i = rl->slots[i].hash_next)
		if (rl->slots[i].hash == hash && strcmp(rl->slots[i].key, norm) == 0)
			return i;
	return RL_NONE;
}

static void rl_lru_unlink(struct ratelimit *rl, uint32_t i)
{
	struct rl_slot *s = &rl->slots[i];
	if (s->lru_prev != RL_NONE)
		rl->slots[s->lru_prev].lru_next = s->lru_next;
	else
		rl->lru_head = s->lru_next;
	if (s->lru_next != RL_NONE)
		rl->slots[s->lru_next].lru_prev = s->lru_prev;
	else
		rl->lru_tail = s->lru_prev;
	s->lru_prev = s->lru_next = RL_NONE;
}

static void rl_lru_push_front(struct ratelimit *rl, uint32_t i)
{
	struct rl_slot *s = &rl->slots[i];
	s->lru_prev = RL_NONE;
	s->lru_next = rl->lru_head;
	if (rl->lru_head != RL_NONE)
		rl->slots[rl->lru_head].lru_prev = i;
	rl->lru_head = i;
	if (rl->lru_tail == RL_NONE)
		rl->lru_tail = i;
}

/* Takes slot i out of the index and the recency list and puts it on the free list. */
static void rl_remove(struct ratelimit *rl, uint32_t i)
{
	struct rl_slot *s = &rl->slots[i];
	uint32_t *link = &rl->buckets[rl_bucket(rl, s->hash)];
	while (*link != i) {
		assert(*link != RL_NONE);
		link = &rl->slots[*link].hash_next;
	}
	*link = s->hash_next;
	rl_lru_unlink(rl, i);
	s->key[0] = '\0';
	s->count = 0;
	s->hash_next = rl->free_head;
	rl->free_head = i;
	rl->used--;
}

/* Slot for a normalised key, created (evicting the least recently hit key if the
 * table is full) when missing. */
static uint32_t rl_get(struct ratelimit *rl, const char *norm, uint64_t hash)
{
	uint32_t i = rl_find(rl, norm, hash);
	if (i != RL_NONE)
		return i;
	if (rl->free_head == RL_NONE)
		rl_remove(rl, rl->lru_tail);
	i = rl->free_head;
	struct rl_slot *s = &rl->slots[i];
	rl->free_head = s->hash_next;
	memcpy(s->key, norm, strlen(norm) + 1);
	s->hash = hash;
	s->count = 0;
	s->tokens = -1;
	uint32_t b = rl_bucket(rl, hash);
	s->hash_next = rl->buckets[b];
	rl->buckets[b] = i;
	rl_lru_push_front(rl, i);
	rl->used++;
	return i;
}

static int rl_in_window(const struct ratelimit *rl, int64_t t, int64_t now)
{
	return t > now - (int64_t)rl->window_s;
}

/* Events of slot s still inside the window at now; *oldest gets the earliest of them. */
static unsigned rl_count(const struct ratelimit *rl, const struct rl_slot *s, int64_t now, int64_t *oldest)
{
	unsigned n = 0;
	for (unsigned k = 0; k < s->count; k++) {
		if (!rl_in_window(rl, s->times[k], now))
			continue;
		if (n == 0 || s->times[k] < *oldest)
			*oldest = s->times[k];
		n++;
	}
	return n;
}

/* Bucket mode: adds the tokens earned since the last refill (a new key starts full). */
static void rl_refill(const struct ratelimit *rl, struct rl_slot *s, int64_t now)
{
	if (s->tokens < 0) {
		s->tokens = rl->max_events;
		s->last = now;
	} else if (now > s->last) {
		s->tokens += (double)(now - s->last) * rl->rate;
		if (s->tokens > rl->max_events)
			s->tokens = rl->max_events;
		s->last = now;
	}
}

/* With the lock held: seconds until slot i may act (0: now); RL_NONE slots may always. */
static unsigned rl_wait(struct ratelimit *rl, uint32_t i, int64_t now)
{
	if (i == RL_NONE)
		return 0;
	struct rl_slot *s = &rl->slots[i];
	if (rl->bucket) {
		rl_refill(rl, s, now);
		if (s->tokens >= 1)
			return 0;
		double w = (1 - s->tokens) / rl->rate;
		return w < 1 ? 1 : w > 86400.0 * 365 ? 86400u * 365 : (unsigned)(w + 0.999);
	}
	int64_t oldest = 0;
	if (rl_count(rl, s, now, &oldest) < rl->max_events)
		return 0;
	int64_t w = oldest + (int64_t)rl->window_s - now;
	return w < 1 ? 1 : w > (int64_t)UINT32_MAX ? UINT32_MAX : (unsigned)w;
}

/* With the lock held: records one event for slot i at now. */
static void rl_record(struct ratelimit *rl, uint32_t i, int64_t now)
{
	struct rl_slot *s = &rl->slots[i];
	if (rl->bucket) {
		rl_refill(rl, s, now);
		s->tokens = s->tokens >= 1 ? s->tokens - 1 : 0;
	} else if (s->count < rl->max_events) {
		s->times[s->count++] = now;
	} else {
		/* Full ring: replace the earliest time. Times usually arrive in order, but
		 * threads may pass slightly older clocks, so search rather than rotate. */
		unsigned min = 0;
		for (unsigned k = 1; k < s->count; k++)
			if (s->times[k] < s->times[min])
				min = k;
		if (s->times[min] < now)
			s->times[min] = now;
	}
	if (rl->lru_head != i) {
		rl_lru_unlink(rl, i);
		rl_lru_push_front(rl, i);
	}
}

int ratelimit_allowed(struct ratelimit *rl, const char *key, int64_t now)
{
	return ratelimit_retry_after(rl, key, now) == 0;
}

void ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now)
{
	char buf[RL_KEY_STORED + 1];
	uint64_t h;
	const char *norm = rl_key_norm(key, buf, &h);
	pthread_mutex_lock(&rl->lock);
	rl_record(rl, rl_get(rl, norm, h), now);
	pthread_mutex_unlock(&rl->lock);
}

unsigned ratelimit_acquire(struct ratelimit *rl, const char *key, int64_t now)
{
	char buf[RL_KEY_STORED + 1];
	uint64_t h;
	const char *norm = rl_key_norm(key, buf, &h);
	pthread_mutex_lock(&rl->lock);
	uint32_t i = rl_find(rl, norm, h);
	unsigned wait = rl_wait(rl, i, now);
	if (!wait)
		rl_record(rl, i != RL_NONE ? i : rl_get(rl, norm, h), now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

void ratelimit_refund(struct ratelimit *rl, const char *key)
{
	char buf[RL_KEY_STORED + 1];
	uint64_t h;
	const char *norm = rl_key_norm(key, buf, &h);
	pthread_mutex_lock(&rl->lock);
	uint32_t i = rl_find(rl, norm, h);
	if (i != RL_NONE) {
		struct rl_slot *s = &rl->slots[i];
		if (rl->bucket) {
			if (s->tokens >= 0)
				s->tokens = s->tokens + 1 > rl->max_events ? rl->max_events : s->tokens + 1;
		} else if (s->count > 0) {
			unsigned max = 0;
			for (unsigned k = 1; k < s->count; k++)
				if (s->times[k] > s->times[max])
					max = k;
			s->times[max] = s->times[--s->count];
		}
	}
	pthread_mutex_unlock(&rl->lock);
}

void ratelimit_clear(struct ratelimit *rl, const char *key)
{
	char buf[RL_KEY_STORED + 1];
	uint64_t h;
	const char *norm = rl_key_norm(key, buf, &h);
	pthread_mutex_lock(&rl->lock);
	uint32_t i = rl_find(rl, norm, h);
	if (i != RL_NONE)
		rl_remove(rl, i);
	pthread_mutex_unlock(&rl->lock);
}

unsigned ratelimit_retry_after(struct ratelimit *rl, const char *key, int64_t now)
{
	char buf[RL_KEY_STORED + 1];
	uint64_t h;
	const char *norm = rl_key_norm(key, buf, &h);
	pthread_mutex_lock(&rl->lock);
	unsigned wait = rl_wait(rl, rl_find(rl, norm, h), now);
	pthread_mutex_unlock(&rl->lock);
	return wait;
}

size_t ratelimit_keys(struct ratelimit *rl)
{
	pthread_mutex_lock(&rl->lock);
	size_t n = rl->used;
	pthread_mutex_unlock(&rl->lock);
	return n;
}
