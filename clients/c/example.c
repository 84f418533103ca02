// SPDX-License-Identifier: MIT
/* example HOST PORT TOKEN [MESSAGE]: connect through a gateway, send
 * MESSAGE and a newline ("hello" by default), copy one read of the
 * backend's answer to stdout (an echo backend, such as make run's,
 * answers the message). cc example.c sockgate_client.c */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockgate_client.h"

int main(int argc, char **argv)
{
	char buf[4096];
	const char *msg = argc == 5 ? argv[4] : "hello";
	ssize_t n;
	int status, fd;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: example HOST PORT TOKEN [MESSAGE]\n");
		return 2;
	}
	fd = sg_dial(argv[1], argv[2], argv[3], 5000, &status);
	if (fd < 0) {
		fprintf(stderr, "refused: %d (%s)\n", status, strerror(errno));
		return 1;
	}
	snprintf(buf, sizeof(buf), "%s\n", msg);
	if (write(fd, buf, strlen(buf)) < 0) {
		perror("write");
		close(fd);
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n > 0 ? 0 : 1;
}
