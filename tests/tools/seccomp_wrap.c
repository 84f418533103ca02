// SPDX-License-Identifier: MIT
/*
 * sg-seccomp LIST COMMAND...: runs COMMAND under a seccomp filter that
 * allows the system calls named in LIST (one a line) and kills the
 * process on any other, as systemd's SystemCallFilter= does. The tests
 * run the gateway under the unit's filter without systemd as PID 1.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char name[128];
	scmp_filter_ctx ctx;
	FILE *f;
	int n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: sg-seccomp LIST COMMAND...\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!f || !ctx) {
		fprintf(stderr, "sg-seccomp: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	while (fscanf(f, "%127s", name) == 1) {
		int nr = seccomp_syscall_resolve_name(name);

		/* a name of another architecture (arm_fadvise64_64) */
		if (nr == __NR_SCMP_ERROR)
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			n++;
	}
	fclose(f);
	if (n == 0 || seccomp_load(ctx) < 0) {
		fprintf(stderr, "sg-seccomp: no filter loaded (%d calls)\n", n);
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "sg-seccomp: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
