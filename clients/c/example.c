// SPDX-License-Identifier: MIT
/* example HOST PORT TOKEN: connect through a gateway, copy one read of
 * the backend's bytes to stdout. cc example.c sockgate_client.c */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockgate_client.h"

int main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int status, fd;

	if (argc != 4) {
		fprintf(stderr, "usage: example HOST PORT TOKEN\n");
		return 2;
	}
	fd = sg_dial(argv[1], argv[2], argv[3], 5000, &status);
	if (fd < 0) {
		fprintf(stderr, "refused: %d (%s)\n", status, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}
