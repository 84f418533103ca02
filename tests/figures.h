/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_FIGURES_H
#define SG_TEST_FIGURES_H

#include <stdint.h>
#include <sys/types.h>

/* GET /metrics from a --pprof endpoint: the value of the line that starts
 * with name (e.g. "sockgate_sessions_active "), or -1. */
long long gw_metric(uint16_t port, const char *name);
/* GET path from 127.0.0.1:port: the body (malloc'd), its HTTP status in
 * *status unless NULL; NULL when nothing came. */
char *http_get(uint16_t port, const char *path, int *status);
/* Elements in a pinned map, counted with bpftool; -1 on failure. */
int bpftool_count(const char *pinned);
long proc_rss_kb(pid_t pid);
long sockstat_tcp_mem_pages(void);
long slab_active_objs(const char *cache);

#endif
