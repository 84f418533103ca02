// SPDX-License-Identifier: MIT
/* Figures the tests read: /proc, the metrics endpoint, pinned maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "figures.h"
#include "gwproc.h"
#include "sock.h"

static long field_after(const char *path, const char *line_prefix,
			const char *key)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, line_prefix, strlen(line_prefix)) != 0)
			continue;
		p = key ? strstr(line, key) : line + strlen(line_prefix);
		if (p) {
			v = atol(p + (key ? strlen(key) : 0));
			break;
		}
	}
	fclose(f);
	return v;
}

long proc_rss_kb(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return field_after(path, "VmRSS:", NULL);
}

long sockstat_tcp_mem_pages(void)
{
	return field_after("/proc/net/sockstat", "TCP:", " mem ");
}

long slab_active_objs(const char *cache)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s ", cache);
	return field_after("/proc/slabinfo", prefix, NULL);
}

long long gw_metric(uint16_t port, const char *name)
{
	char key[128], *body = http_get(port, "/metrics", NULL), *p;
	long long v = -1;

	if (!body)
		return -1;
	snprintf(key, sizeof(key), "\n%s", name);
	if (!strncmp(body, name, strlen(name))) /* the first line */
		v = atoll(body + strlen(name));
	else if ((p = strstr(body, key)))
		v = atoll(p + strlen(key));
	free(body);
	return v;
}

int bpftool_count(const char *pinned)
{
	char cmd[512], *out, *p;
	int st, n = 0;

	snprintf(cmd, sizeof(cmd), "bpftool -j map dump pinned %s", pinned);
	out = run_cmd(cmd, &st);
	if (st != 0) {
		free(out);
		return -1;
	}
	/* each entry once: the raw key is an array, the BTF-formatted one
	 * (maps with BTF) is not */
	for (p = out; (p = strstr(p, "\"key\":[")); p++)
		n++;
	free(out);
	return n;
}

char *http_get(uint16_t port, const char *path, int *status)
{
	char req[160], *buf = calloc(1, 1 << 20), *body;
	int fd = tcp_connect("127.0.0.1", port), n;
	ssize_t got = 0, r;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	write_all(fd, req, (size_t)n);
	while ((r = read_full(fd, buf + got, (1 << 20) - 1 - (size_t)got,
			      5000)) > 0)
		got += r;
	close(fd);
	body = strstr(buf, "\r\n\r\n");
	if (!body) {
		free(buf);
		return NULL;
	}
	if (status)
		*status = atoi(buf + 9); /* "HTTP/1.1 200" */
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}
