// SPDX-License-Identifier: MIT
/* sg-echo PORT: an echo backend on 127.0.0.1 for the demo. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "servers.h"

int main(int argc, char **argv)
{
	struct echo_srv e;

	(void)argc;
	(void)argv;
	if (echo_start(&e, 0) < 0) {
		perror("sg-echo");
		return 1;
	}
	printf("%u\n", e.port);
	fflush(stdout);
	pthread_join(e.th, NULL);
	return 0;
}
