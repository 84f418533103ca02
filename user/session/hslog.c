// SPDX-License-Identifier: MIT
/* Handshake failures summed up under load: see session/hslog.h. */
#include <stdio.h>
#include <string.h>

#include "session/hslog.h"
#include "core/log.h"
#include "sockgate.h"

#define WINDOW_NS 1000000000ull

static void summary(struct evl *loop, struct evl_timer *t)
{
	struct hslog *h = container_of(t, struct hslog, timer);
	char line[768];
	size_t n;

	(void)loop;
	n = (size_t)snprintf(line, sizeof(line),
			     "%u more handshake failures in the last second, "
			     "not logged one by one:",
			     h->quiet);
	for (int i = 0; i < HSLOG_KINDS && h->kind[i].n; i++) {
		int r = snprintf(line + n, sizeof(line) - n, "%s %s%s%s x%u",
				 i ? "," : "",
				 sg_code_text((enum sg_code)h->kind[i].code),
				 h->kind[i].why ? " " : "",
				 h->kind[i].why ? h->kind[i].why : "",
				 h->kind[i].n);

		if (r > 0 && (size_t)r < sizeof(line) - n)
			n += (size_t)r;
	}
	if (h->other)
		snprintf(line + n, sizeof(line) - n, ", other x%u", h->other);
	log_warn("%s", line);
	h->quiet = h->other = 0;
	memset(h->kind, 0, sizeof(h->kind));
}

void hslog_init(struct hslog *h, struct evl *loop)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	evl_timer_init(&h->timer, summary);
}

int hslog_admit(struct hslog *h, int code, const char *why)
{
	uint64_t now = evl_now(h->loop);
	int i;

	if (now - h->window_ns >= WINDOW_NS) {
		h->window_ns = now;
		h->logged = 0;
	}
	if (h->logged < HSLOG_BURST) {
		h->logged++;
		return 1;
	}
	if (h->quiet++ == 0)
		evl_timer_start(h->loop, &h->timer,
				h->window_ns + WINDOW_NS - now);
	for (i = 0; i < HSLOG_KINDS && h->kind[i].n; i++)
		if (h->kind[i].code == code && h->kind[i].why == why)
			break;
	if (i == HSLOG_KINDS) {
		h->other++;
		return 0;
	}
	h->kind[i].code = code;
	h->kind[i].why = why;
	h->kind[i].n++;
	return 0;
}

void hslog_stop(struct hslog *h)
{
	if (evl_timer_active(&h->timer))
		summary(h->loop, &h->timer);
	evl_timer_stop(h->loop, &h->timer);
}
