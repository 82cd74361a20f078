/* ratelimit.h — in-memory sliding-window counters keyed by short strings (a login
 * name, a client address), shared by all server threads. Bounded memory: a fixed
 * table; when full, the oldest key is evicted. Pure apart from a mutex. */
#ifndef GS_RATELIMIT_H
#define GS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* At most max_events events per window_s seconds per key; slots bounds the number
 * of keys tracked. Caller frees with ratelimit_free. */
struct ratelimit *ratelimit_new(size_t slots, unsigned max_events, unsigned window_s);
void ratelimit_free(struct ratelimit *rl); /* NULL is a no-op */

/* A token bucket per key instead: burst events at once, refilled at per_window events
 * per window_s seconds. Memory does not grow with the rate (for high limits such as
 * a hall's submissions per minute). The other functions work the same on it. */
struct ratelimit *ratelimit_new_bucket(size_t slots, unsigned burst, unsigned per_window, unsigned window_s);

/* 1 if key may act at time now (it has fewer than max_events in the window), else 0.
 * Does not record anything. */
int ratelimit_allowed(struct ratelimit *rl, const char *key, int64_t now);

/* Records one event (a failed login, say) for key at time now. */
void ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now);

/* ratelimit_retry_after and, when that is 0, ratelimit_hit, in one step: 0 if key may
 * act at now (the event is then recorded), else the seconds until it may (nothing is
 * recorded). One lookup instead of two, and no other thread acts in between. */
unsigned ratelimit_acquire(struct ratelimit *rl, const char *key, int64_t now);

/* Takes back one event recorded for key by ratelimit_hit (an action that turned out
 * not to count, such as a second submit of a stored form): a bucket gets its token
 * back (never above its capacity), a window loses its newest event. Nothing happens
 * for an unknown key. */
void ratelimit_refund(struct ratelimit *rl, const char *key);

/* Forgets key (after a successful login). */
void ratelimit_clear(struct ratelimit *rl, const char *key);

/* Seconds until key may act again (0 if allowed now). */
unsigned ratelimit_retry_after(struct ratelimit *rl, const char *key, int64_t now);

/* Number of keys currently tracked (never more than slots). For tests and metrics. */
size_t ratelimit_keys(struct ratelimit *rl);

#endif
