// SPDX-License-Identifier: MIT
/*
 * Registration in etcd. One thread, blocking HTTP calls (ctl/etcd_client.c), a
 * state of two facts: the lease it holds (0: none), and the value put
 * under it last. Any failure drops the lease and starts again from a
 * grant: the key's name stays the same, so a reader sees no gap, and a
 * lease left behind holds no key and expires on its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/etcd_register.h"
#include "ctl/etcd_client.h"
#include "daemon/gateway.h"
#include "core/log.h"

/* A failing etcd: the retries' first and longest wait, and how often
 * the log says it is still failing. */
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 2000
#define FAIL_LOG_EVERY_NS (30 * 1000000000ull)
/* SIGTERM's delete and revoke, each, when etcd is away. */
#define STOP_TIMEOUT_MS 1000

struct etcd_reg {
	struct gateway *gw;
	struct etcd_client c;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	_Atomic int stop;
	char key[512];
	char addr[300];
	char host[256];
	time_t started;
	int64_t lease;
	char value[1024]; /* as put last */
	/* failures since the last success: count, first, last logged */
	uint64_t fails, fail_since_ns, fail_logged_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stopping(void *arg)
{
	struct etcd_reg *e = arg;

	return atomic_load(&e->stop);
}

/* Sleeps ms or until etcd_register_stop(); nonzero when stopping. */
static int nap(struct etcd_reg *e, long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->lock);
	while (!atomic_load(&e->stop) &&
	       pthread_cond_timedwait(&e->cond, &e->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&e->lock);
	return atomic_load(&e->stop);
}

static void render(struct etcd_reg *e, char *out, size_t max)
{
	struct gateway *gw = e->gw;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "addr", json_object_new_string(e->addr));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "host", json_object_new_string(e->host));
	json_object_object_add(o, "version",
			       json_object_new_string(SG_VERSION));
	json_object_object_add(
		o, "mode",
		json_object_new_string(fwd_mode_name(gw->conf.mode)));
	json_object_object_add(o, "sessions",
			       json_object_new_int64(metric_get(gw->m.active)));
	json_object_object_add(o, "started",
			       json_object_new_int64((int64_t)e->started));
	snprintf(out, max, "%s",
		 json_object_to_json_string_ext(
			 o, JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* A call whose answer is only checked: 0 or -1 (c.err says why). */
static int call(struct etcd_reg *e, const char *path, json_object *req,
		json_object **resp)
{
	json_object *r = NULL;
	int rc = etcd_call(&e->c, path, req, &r);

	json_object_put(req);
	if (rc == 0 && resp)
		*resp = r;
	else
		json_object_put(r);
	return rc;
}

static json_object *lease_req(int64_t id)
{
	json_object *o = json_object_new_object();
	char s[24];

	snprintf(s, sizeof(s), "%lld", (long long)id);
	json_object_object_add(o, "ID", json_object_new_string(s));
	return o;
}

static int put(struct etcd_reg *e, const char *value)
{
	json_object *o = json_object_new_object();
	char *k = etcd_b64(e->key, strlen(e->key));
	char *v = etcd_b64(value, strlen(value));
	char lease[24];
	int rc = -1;

	snprintf(lease, sizeof(lease), "%lld", (long long)e->lease);
	if (k && v) {
		json_object_object_add(o, "key", json_object_new_string(k));
		json_object_object_add(o, "value", json_object_new_string(v));
		json_object_object_add(o, "lease",
				       json_object_new_string(lease));
		rc = call(e, "kv/put", o, NULL);
	} else {
		json_object_put(o);
		snprintf(e->c.err, sizeof(e->c.err), "out of memory");
	}
	free(k);
	free(v);
	if (rc == 0)
		snprintf(e->value, sizeof(e->value), "%s", value);
	return rc;
}

/* A lease and the key under it: 0, or -1 (no lease kept). */
static int enroll(struct etcd_reg *e)
{
	json_object *o = json_object_new_object(), *r = NULL;
	char value[1024];

	json_object_object_add(o, "TTL",
			       json_object_new_int(e->gw->conf.etcd_ttl));
	if (call(e, "lease/grant", o, &r) < 0)
		return -1;
	e->lease = etcd_int(r, "ID");
	json_object_put(r);
	if (!e->lease) {
		snprintf(e->c.err, sizeof(e->c.err), "lease/grant: no ID");
		return -1;
	}
	render(e, value, sizeof(value));
	if (put(e, value) < 0) {
		e->lease = 0;
		return -1;
	}
	return 0;
}

/* The lease renewed: 0, or -1 (failed, or etcd no longer has it). */
static int renew(struct etcd_reg *e)
{
	json_object *r = NULL, *res;
	int64_t ttl = 0;

	if (call(e, "lease/keepalive", lease_req(e->lease), &r) < 0)
		return -1;
	if (json_object_object_get_ex(r, "result", &res))
		ttl = etcd_int(res, "TTL");
	json_object_put(r);
	if (ttl <= 0) {
		snprintf(e->c.err, sizeof(e->c.err),
			 "lease %llx expired (etcd restarted, or we were away "
			 "longer than --etcd-ttl)",
			 (unsigned long long)e->lease);
		return -1;
	}
	return 0;
}

static void failed(struct etcd_reg *e)
{
	uint64_t now = mono_ns();

	e->lease = 0;
	if (e->fails++ == 0) {
		e->fail_since_ns = e->fail_logged_ns = now;
		log_warn("etcd: %s; serving on, registering again once etcd "
			 "answers",
			 e->c.err);
		metric_add(e->gw->m.etcd_failures, 1);
		atomic_store(&e->gw->m.etcd_registered, 0);
		return;
	}
	metric_add(e->gw->m.etcd_failures, 1);
	if (now - e->fail_logged_ns >= FAIL_LOG_EVERY_NS) {
		e->fail_logged_ns = now;
		log_warn("etcd: still failing, %llu attempts in %.0f s: %s",
			 (unsigned long long)e->fails,
			 (double)(now - e->fail_since_ns) / 1e9, e->c.err);
	}
}

static void registered(struct etcd_reg *e)
{
	if (e->fails)
		log_info("etcd: registered %s again (lease %llx) after %llu "
			 "failed attempts in %.1f s",
			 e->key, (unsigned long long)e->lease,
			 (unsigned long long)e->fails,
			 (double)(mono_ns() - e->fail_since_ns) / 1e9);
	else
		log_info("etcd: registered %s (lease %llx, ttl %d s)", e->key,
			 (unsigned long long)e->lease, e->gw->conf.etcd_ttl);
	e->fails = 0;
	atomic_store(&e->gw->m.etcd_registered, 1);
}

static void *run(void *arg)
{
	struct etcd_reg *e = arg;
	/* the lease is renewed three times a TTL */
	long every_ms = e->gw->conf.etcd_ttl * 1000L / 3, retry_ms = 0;

	log_set_tag("etcd");
	while (!atomic_load(&e->stop)) {
		if (!e->lease) {
			if (retry_ms && nap(e, retry_ms))
				break;
			if (enroll(e) < 0) {
				if (atomic_load(&e->stop))
					break;
				failed(e);
				retry_ms = retry_ms ? retry_ms * 2 :
						      RETRY_MIN_MS;
				if (retry_ms > RETRY_MAX_MS)
					retry_ms = RETRY_MAX_MS;
				continue;
			}
			registered(e);
			retry_ms = 0;
		}
		if (nap(e, every_ms))
			break;
		if (renew(e) == 0) {
			char value[1024];

			render(e, value, sizeof(value));
			if (strcmp(value, e->value) == 0 || put(e, value) == 0)
				continue;
		}
		if (!atomic_load(&e->stop))
			failed(e);
	}
	return NULL;
}

struct etcd_reg *etcd_register_start(struct gateway *gw, const char *advertise)
{
	struct etcd_reg *e = calloc(1, sizeof(*e));
	pthread_condattr_t ca;
	char err[256];

	if (!e) {
		log_error("etcd: out of memory");
		return NULL;
	}
	if (etcd_client_init(&e->c, gw->conf.etcd, err, sizeof(err)) < 0) {
		log_error("etcd: %s", err);
		free(e);
		return NULL;
	}
	e->gw = gw;
	e->c.cacert = gw->conf.etcd_cacert;
	e->c.cert = gw->conf.etcd_cert;
	e->c.key = gw->conf.etcd_key;
	e->c.abort_cb = stopping;
	e->c.abort_arg = e;
	/* a request waits at most a renewal period */
	e->c.timeout_ms = gw->conf.etcd_ttl * 1000L / 3;
	if (e->c.timeout_ms > 2000)
		e->c.timeout_ms = 2000;
	e->started = time(NULL);
	snprintf(e->addr, sizeof(e->addr), "%s", advertise);
	if (gethostname(e->host, sizeof(e->host)) < 0)
		e->host[0] = '\0';
	snprintf(e->key, sizeof(e->key), "%s%s/%ld", gw->conf.etcd_prefix,
		 advertise, (long)getpid());
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &ca);
	pthread_condattr_destroy(&ca);
	if ((errno = pthread_create(&e->thread, NULL, run, e)) != 0) {
		log_error("etcd: thread: %s", strerror(errno));
		etcd_client_free(&e->c);
		free(e);
		return NULL;
	}
	return e;
}

void etcd_register_stop(struct etcd_reg *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->stop, 1);
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	/* the key first, so that issuers stop sending clients at once;
	 * the lease after it (revoking it alone would delete the key too,
	 * but not if etcd has lost the lease and not the key) */
	e->c.abort_cb = NULL;
	e->c.timeout_ms = STOP_TIMEOUT_MS;
	/* a key once put may be there under a lease we dropped */
	if (e->value[0]) {
		json_object *o = json_object_new_object();
		char *k = etcd_b64(e->key, strlen(e->key));

		if (k) {
			json_object_object_add(o, "key",
					       json_object_new_string(k));
			if (call(e, "kv/deleterange", o, NULL) == 0)
				log_info("etcd: %s deleted", e->key);
			else
				log_warn("etcd: deleting %s: %s; its lease "
					 "ends it within %d s",
					 e->key, e->c.err,
					 e->gw->conf.etcd_ttl);
			o = NULL;
		}
		json_object_put(o);
		free(k);
	}
	if (e->lease)
		call(e, "lease/revoke", lease_req(e->lease), NULL);
	atomic_store(&e->gw->m.etcd_registered, 0);
	etcd_client_free(&e->c);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
