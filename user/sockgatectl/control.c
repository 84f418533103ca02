// SPDX-License-Identifier: MIT
/* sockgatectl --control: one request on the gateway's control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockgatectl/cmds.h"

/* The request line for the command words; 0 or -1 (usage). */
static int request(int n, char **w, const char *client, const char *backend,
		   char *out, size_t len)
{
	if (n == 1 && (!strcmp(w[0], "sessions") || !strcmp(w[0], "reload")) &&
	    !client && !backend)
		snprintf(out, len, "%s\n", w[0]);
	else if (n == 2 && !strcmp(w[0], "kill") && !client && !backend)
		snprintf(out, len, "kill id %s\n", w[1]);
	else if (n == 1 && !strcmp(w[0], "kill") && !client != !backend)
		snprintf(out, len, "kill %s %s\n",
			 client ? "client" : "backend",
			 client ? client : backend);
	else
		return -1;
	return strlen(out) < len - 1 ? 0 : -1;
}

int cmd_control(const char *path, int n, char **w, const char *client,
		const char *backend, int json)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[512], *buf = NULL;
	size_t got = 0, cap = 0;
	int fd, ok;

	if (request(n, w, client, backend, req, sizeof(req)) < 0) {
		fprintf(stderr, "sockgatectl: with --control: sessions, "
				"reload, kill ID, kill --client CIDR or kill "
				"--backend DEST\n");
		return 2;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sockgatectl: --control %s: path too long\n",
			path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "sockgatectl: --control %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "sockgatectl: --control %s: %s\n", path,
			strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);
	/* the answer: the JSON document, "ok ..." or "error ..."; then EOF */
	for (;;) {
		ssize_t r;

		if (got + 4096 + 1 > cap) {
			char *q = realloc(buf, cap = cap * 2 + 65536);

			if (!q) {
				fprintf(stderr, "sockgatectl: out of memory\n");
				free(buf);
				close(fd);
				return 1;
			}
			buf = q;
		}
		r = read(fd, buf + got, cap - got - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == 0) {
		fprintf(stderr, "sockgatectl: --control %s: no answer\n", path);
		free(buf);
		return 1;
	}
	buf[got] = '\0';
	ok = buf[0] == '{' || !strncmp(buf, "ok", 2);
	if (buf[0] == '{' && !json)
		sessions_print(buf);
	else
		fputs(buf, ok ? stdout : stderr);
	free(buf);
	return ok ? 0 : 1;
}
