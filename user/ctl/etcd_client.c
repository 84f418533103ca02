// SPDX-License-Identifier: MIT
/* etcd's v3 JSON gateway over HTTP, with libcurl and json-c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ctl/etcd_client.h"

/* The most an answer may hold: a listing of many gateways fits. */
#define BODY_MAX (8u << 20)

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct etcd_client *c = arg;
	size_t len = size * n;

	if (c->len + len + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + len + 1)
			cap *= 2;
		if (cap > BODY_MAX || !(b = realloc(c->body, cap)))
			return 0; /* curl fails the transfer */
		c->body = b;
		c->cap = cap;
	}
	memcpy(c->body + c->len, p, len);
	c->len += len;
	c->body[c->len] = '\0';
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t d,
		       curl_off_t e)
{
	struct etcd_client *c = arg;

	(void)a, (void)b, (void)d, (void)e;
	return c->abort_cb && c->abort_cb(c->abort_arg);
}

int etcd_client_init(struct etcd_client *c, const char *urls, char *err,
		     size_t errlen)
{
	const char *p = urls;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = 2000;
	while (*p) {
		size_t n = strcspn(p, ",");
		char **u = realloc(c->urls, (size_t)(c->nurl + 1) * sizeof(*u));

		if (!u)
			goto nomem;
		c->urls = u;
		if (n == 0 ||
		    (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))) {
			snprintf(err, errlen, "'%.*s' is not an http(s):// URL",
				 (int)n, p);
			etcd_client_free(c);
			return -1;
		}
		/* without a trailing '/': paths are appended */
		while (n > 0 && p[n - 1] == '/')
			n--;
		if (!(c->urls[c->nurl] = strndup(p, n)))
			goto nomem;
		c->nurl++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (c->nurl == 0) {
		snprintf(err, errlen, "no etcd URL");
		return -1;
	}
	if (!(c->curl = curl_easy_init()))
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	etcd_client_free(c);
	return -1;
}

void etcd_client_free(struct etcd_client *c)
{
	for (int i = 0; i < c->nurl; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->body);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	memset(c, 0, sizeof(*c));
}

/* One endpoint: 0 with *resp, 1 when it did not answer, -1 on its error. */
static int call_one(struct etcd_client *c, const char *url, const char *path,
		    const char *req, json_object **resp)
{
	struct curl_slist *hdr =
		curl_slist_append(NULL, "Content-Type: application/json");
	char full[512];
	long status = 0;
	CURLcode rc;
	json_object *o;

	snprintf(full, sizeof(full), "%s/v3/%s", url, path);
	c->len = 0;
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, full);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L); /* threads */
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->cacert)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
	if (c->cert)
		curl_easy_setopt(c->curl, CURLOPT_SSLCERT, c->cert);
	if (c->key)
		curl_easy_setopt(c->curl, CURLOPT_SSLKEY, c->key);
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "%.300s: %.200s", full,
			 curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	o = c->len ? json_tokener_parse(c->body) : NULL;
	if (status != 200 || !o ||
	    json_object_object_get_ex(o, "error", NULL)) {
		json_object *m = NULL;

		if (o)
			json_object_object_get_ex(o, "message", &m);
		snprintf(c->err, sizeof(c->err), "%.300s: HTTP %ld: %.200s",
			 full, status,
			 m ? json_object_get_string(m) :
			     (o ? "unexpected answer" : "not JSON"));
		json_object_put(o);
		/* a proxy's 5xx is an endpoint that did not answer, and 503
		 * is etcd's Unavailable (no leader, or stopping): both worth
		 * the next endpoint */
		return status == 503 || (status >= 500 && !m) ? 1 : -1;
	}
	*resp = o;
	return 0;
}

int etcd_call(struct etcd_client *c, const char *path, json_object *req,
	      json_object **resp)
{
	const char *text = json_object_to_json_string_ext(
		req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	c->answered = 0;
	for (int i = 0; i < c->nurl; i++) {
		int r = call_one(c, c->urls[c->cur], path, text, resp);

		if (r <= 0) {
			c->answered = r < 0;
			return r;
		}
		if (c->abort_cb && c->abort_cb(c->abort_arg))
			break;
		c->cur = (c->cur + 1) % c->nurl;
	}
	if (c->nurl > 1) {
		char last[sizeof(c->err)];

		memcpy(last, c->err, sizeof(last));
		snprintf(c->err, sizeof(c->err),
			 "none of the %d endpoints answered (last: %.500s)",
			 c->nurl, last);
	}
	return -1;
}

int64_t etcd_int(json_object *o, const char *field)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, field, &v))
		return 0;
	return strtoll(json_object_get_string(v), NULL, 10);
}

char *etcd_b64(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int etcd_b64_field(json_object *o, const char *field, char *out, size_t max)
{
	json_object *v;
	const char *s;
	size_t len;
	int n;

	if (!json_object_object_get_ex(o, field, &v))
		return -1;
	s = json_object_get_string(v);
	len = strlen(s);
	if (len % 4 || len / 4 * 3 + 1 > max)
		return -1;
	n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s,
			    (int)len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding's zero bytes */
	if (len && s[len - 1] == '=')
		n--;
	if (len > 1 && s[len - 2] == '=')
		n--;
	out[n] = '\0';
	return n;
}

char *etcd_prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char end[512];

	if (n == 0 || n >= sizeof(end))
		return NULL;
	memcpy(end, prefix, n);
	/* the next key after every one that starts with prefix */
	while (n > 0 && (unsigned char)end[n - 1] == 0xff)
		n--;
	if (n == 0)
		return etcd_b64("\0", 1); /* every key */
	end[n - 1]++;
	return etcd_b64(end, n);
}
