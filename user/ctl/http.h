/* SPDX-License-Identifier: MIT */
#ifndef SG_HTTP_H
#define SG_HTTP_H

struct evl;
struct gateway;

/*
 * The --pprof endpoint, served by libmicrohttpd inside the main thread's
 * loop: GET /metrics (Prometheus text), /sessions.json (ctl/status.h) and /
 * (an HTML status page, no external assets). Connections are capped,
 * slow ones time out, and an accept that fails for want of fds pauses
 * the listener rather than spinning. 0, or -1 with errno.
 */
int http_start(struct gateway *gw, struct evl *loop);
void http_stop(void);

#endif
