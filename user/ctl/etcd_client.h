/* SPDX-License-Identifier: MIT */
#ifndef SG_ETCDC_H
#define SG_ETCDC_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <json-c/json.h>

/*
 * A client of etcd's v3 JSON gateway (POST /v3/...): one libcurl handle,
 * its connection kept, over a list of endpoints tried in turn. Blocking:
 * the registration thread and sockgatectl use it, never an event loop.
 */
struct etcd_client {
	CURL *curl;
	char **urls;
	int nurl, cur;		 /* endpoints, the one that last answered */
	long timeout_ms;	 /* per request */
	int (*abort_cb)(void *); /* nonzero: give up the request now */
	void *abort_arg;
	int answered; /* the last failure was etcd's own answer */
	/* https: the CA that signed etcd's certificate (NULL: the system's),
	 * and a client certificate and key for etcd's --client-cert-auth */
	const char *cacert, *cert, *key;
	char err[640];
	char *body; /* the response being read */
	size_t len, cap;
};

/* urls: "http://host:port[,...]"; 0, or -1 with err set. */
int etcd_client_init(struct etcd_client *c, const char *urls, char *err,
		     size_t errlen);
void etcd_client_free(struct etcd_client *c);
/*
 * POSTs req to /v3/<path> at the endpoint that answered last, then at
 * the others. 0 with *resp (json_object_put it), or -1 with c->err: no
 * endpoint answered, or etcd answered with an error (c->answered).
 */
int etcd_call(struct etcd_client *c, const char *path, json_object *req,
	      json_object **resp);
/* etcd's int64s are JSON strings; 0 when absent or not a number. */
int64_t etcd_int(json_object *o, const char *field);
/* base64 of n bytes (the gateway's keys and values); malloc'd or NULL. */
char *etcd_b64(const void *p, size_t n);
/* The base64 field decoded into out (NUL-terminated): length, or -1. */
int etcd_b64_field(json_object *o, const char *field, char *out, size_t max);
/* The range end that takes every key under prefix, base64; or NULL. */
char *etcd_prefix_end(const char *prefix);

#endif
