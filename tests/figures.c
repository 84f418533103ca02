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
	static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char buf[8192], key[128], *p;
	int fd = tcp_connect("127.0.0.1", port);
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(key, sizeof(key), "\n%s", name);
	write_all(fd, req, sizeof(req) - 1);
	n = read_full(fd, buf, sizeof(buf) - 1, 5000);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, key);
	return p ? atoll(p + strlen(key)) : -1;
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
