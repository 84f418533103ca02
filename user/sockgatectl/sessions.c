// SPDX-License-Identifier: MIT
/* sockgatectl: sessions, from the pinned maps or a gateway's endpoint. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "core/addr.h"
#include "fwd/sockmap/bpffs.h"
#include "sockgatectl/cmds.h"
#include "sockmap_bpf.h"

static int list_pid(const char *dir, const char *pid, int *count)
{
	char path[PATH_MAX + 64];
	uint64_t key, next, *prev = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/" SG_MAP_SESSIONS, dir, pid);
	fd = bpf_obj_get(path);
	/* a gateway that exited after the directory was read, or has not
	 * pinned its maps yet: no sessions of its to list */
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		fprintf(stderr, "sockgatectl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct sg_sock c, b;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &c) < 0 ||
		    c.role != SG_ROLE_CLIENT)
			continue;
		if (bpf_map_lookup_elem(fd, &c.peer, &b) < 0)
			memset(&b, 0, sizeof(b));
		printf("%-8s %-12llu %-12llu %14llu %10llu %14llu %10llu %6llu\n",
		       pid, (unsigned long long)key, (unsigned long long)c.peer,
		       (unsigned long long)c.bytes, (unsigned long long)c.segs,
		       (unsigned long long)b.bytes, (unsigned long long)b.segs,
		       (unsigned long long)(c.drops + b.drops));
		(*count)++;
	}
	close(fd);
	return 0;
}

/* The text after "key": in obj (up to its end), into out. */
static void json_field(const char *obj, const char *end, const char *key,
		       char *out, size_t len)
{
	char k[32];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(obj, k);
	out[0] = '\0';
	if (!p || p > end)
		return;
	p += strlen(k);
	if (*p == '"')
		p++;
	while (p < end && *p != '"' && *p != ',' && *p != '}' && n + 1 < len)
		out[n++] = *p++;
	out[n] = '\0';
}

int sessions_print(const char *json)
{
	static const char *const keys[] = { "id",   "client", "backend",
					    "mode", "state",  "up",
					    "down", "age_ms", "idle_ms",
					    "token" };
	const char *p;
	int count = 0;

	printf("%-22s %-22s %-22s %-8s %-9s %12s %12s %9s %9s %s\n", "ID",
	       "CLIENT", "BACKEND", "PATH", "STATE", "UP", "DOWN", "AGE_S",
	       "IDLE_S", "TOKEN");
	for (p = strstr(json, "{\"id\""); p; p = strstr(p + 1, "{\"id\"")) {
		const char *end = strchr(p, '}');
		char f[10][64];

		if (!end)
			break;
		for (int i = 0; i < 10; i++)
			json_field(p, end, keys[i], f[i], sizeof(f[i]));
		printf("%-22s %-22s %-22s %-8s %-9s %12s %12s %9.1f %9.1f %s\n",
		       f[0], f[1], f[2], f[3], f[4], f[5], f[6],
		       atof(f[7]) / 1000, atof(f[8]) / 1000,
		       f[9][0] ? f[9] : "-");
		count++;
	}
	fprintf(stderr, "%d sessions\n", count);
	return count;
}

/* Every session of every mode, from a gateway's /sessions.json. */
int cmd_sessions_http(const char *addr)
{
	static const char req[] = "GET /sessions.json HTTP/1.0\r\n\r\n";
	struct sockaddr_storage ss;
	socklen_t len;
	char *buf = NULL;
	size_t have = 0, cap = 0;
	int fd;
	ssize_t n;

	if (sg_addr_parse(addr, &ss, &len) < 0) {
		fprintf(stderr, "sockgatectl: bad address %s\n", addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "sockgatectl: %s: %s\n", addr, strerror(errno));
		return 1;
	}
	for (;;) {
		if (have + 4096 + 1 > cap) {
			char *q = realloc(buf, cap = cap * 2 + 8192);

			if (!q) {
				free(buf);
				close(fd);
				return 1;
			}
			buf = q;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (!buf)
		return 1;
	buf[have] = '\0';
	sessions_print(buf);
	free(buf);
	return 0;
}

int cmd_sessions(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0, ret = 0;

	if (!d) {
		fprintf(stderr,
			"sockgatectl: %s: %s (no gateway in sockmap "
			"mode here?)\n",
			dir, strerror(errno));
		return 1;
	}
	printf("%-8s %-12s %-12s %14s %10s %14s %10s %6s\n", "PID", "CLIENT",
	       "BACKEND", "UP_BYTES", "UP_SEGS", "DOWN_BYTES", "DOWN_SEGS",
	       "DROPS");
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    list_pid(dir, e->d_name, &count) < 0)
			ret = 1;
	closedir(d);
	fprintf(stderr, "%d sessions\n", count);
	return ret;
}
