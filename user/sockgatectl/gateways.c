// SPDX-License-Identifier: MIT
/* sockgatectl gateways: who is registered in etcd (ctl/etcd_register.c writes it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sockgatectl/gateways.h"
#include "ctl/etcd_client.h"

static const char *field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ?
		       json_object_get_string(v) :
		       "-";
}

static void row(const char *key, json_object *v, int json, time_t now)
{
	json_object *st;
	char up[32] = "-";

	if (json) {
		/* the value as the gateway wrote it, and its key */
		json_object_object_add(v, "key", json_object_new_string(key));
		puts(json_object_to_json_string_ext(
			v, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	if (json_object_object_get_ex(v, "started", &st)) {
		long s = (long)(now - (time_t)json_object_get_int64(st));

		if (s < 3600)
			snprintf(up, sizeof(up), "%ldm%02lds", s / 60, s % 60);
		else
			snprintf(up, sizeof(up), "%ldh%02ldm", s / 3600,
				 s / 60 % 60);
	}
	printf("%-24s %-8s %-16s %-8s %8s %8s  %s\n", field(v, "addr"),
	       field(v, "pid"), field(v, "host"), field(v, "mode"),
	       field(v, "sessions"), up, key);
}

int cmd_gateways(const char *etcd, const char *prefix, int json,
		 const char *const tls[3])
{
	struct etcd_client c;
	json_object *req, *resp = NULL, *kvs;
	char err[256], *k = etcd_b64(prefix, strlen(prefix));
	char *end = etcd_prefix_end(prefix);
	size_t n = 0;
	int rc = 1;

	if (!k || !end || etcd_client_init(&c, etcd, err, sizeof(err)) < 0) {
		fprintf(stderr, "sockgatectl: --etcd %s: %s\n", etcd,
			k && end ? err : "out of memory");
		free(k);
		free(end);
		return 1;
	}
	c.cacert = tls[0];
	c.cert = tls[1];
	c.key = tls[2];
	req = json_object_new_object();
	json_object_object_add(req, "key", json_object_new_string(k));
	json_object_object_add(req, "range_end", json_object_new_string(end));
	if (etcd_call(&c, "kv/range", req, &resp) < 0) {
		fprintf(stderr, "sockgatectl: etcd: %s\n", c.err);
		goto out;
	}
	if (!json)
		printf("%-24s %-8s %-16s %-8s %8s %8s  %s\n", "ADDR", "PID",
		       "HOST", "MODE", "SESSIONS", "UP", "KEY");
	if (json_object_object_get_ex(resp, "kvs", &kvs))
		n = json_object_array_length(kvs);
	for (size_t i = 0; i < n; i++) {
		json_object *kv = json_object_array_get_idx(kvs, i), *v;
		char key[1024], val[4096];

		if (etcd_b64_field(kv, "key", key, sizeof(key)) < 0 ||
		    etcd_b64_field(kv, "value", val, sizeof(val)) < 0)
			continue;
		v = json_tokener_parse(val);
		if (!v || !json_object_is_type(v, json_type_object)) {
			fprintf(stderr,
				"sockgatectl: %s: not a gateway's value\n",
				key);
			json_object_put(v);
			continue;
		}
		row(key, v, json, time(NULL));
		json_object_put(v);
	}
	if (n == 0)
		fprintf(stderr, "sockgatectl: no gateway registered under %s\n",
			prefix);
	rc = 0;
out:
	json_object_put(req);
	json_object_put(resp);
	etcd_client_free(&c);
	free(k);
	free(end);
	return rc;
}
