// SPDX-License-Identifier: MIT
/* The listener migration program's loader: see daemon/reuseport.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/libbpf.h>

#include "fwd/sockmap/bpffs.h"
#include "daemon/reuseport.h"
#include "reuseport.skel.h"

struct reuseport {
	struct reuseport_bpf *skel;
};

struct reuseport *reuseport_load(char *why, size_t whylen)
{
	struct reuseport *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	bpffs_log_to_ours();
	r->skel = reuseport_bpf__open_and_load();
	if (!r->skel) {
		snprintf(why, whylen, "cannot load the program: %s%s",
			 strerror(errno),
			 errno == EPERM ? " (needs CAP_BPF)" : "");
		free(r);
		return NULL;
	}
	return r;
}

int reuseport_attach(struct reuseport *r, int fd)
{
	int prog = bpf_program__fd(r->skel->progs.sg_reuseport);

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog,
			  sizeof(prog));
}

const uint64_t *reuseport_counter(const struct reuseport *r)
{
	return r ? (const uint64_t *)&r->skel->bss->migrated : NULL;
}

void reuseport_unload(struct reuseport *r)
{
	if (!r)
		return;
	reuseport_bpf__destroy(r->skel);
	free(r);
}

int reuseport_sysctl(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_migrate_req", "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
