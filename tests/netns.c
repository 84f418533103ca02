// SPDX-License-Identifier: MIT
/* Network namespaces for the tests that need a peer to vanish. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gwproc.h"
#include "netns.h"

/* /usr/bin/ip by its path: the guest's busybox sh would run its own
 * applet for a bare `ip`, which knows no namespaces */
static int sh(const char *cmd)
{
	int st;
	char *out = run_cmd(cmd, &st);

	if (st != 0)
		fprintf(stderr, "netns: %s: exit %d: %s\n", cmd, st, out);
	free(out);
	return st == 0 ? 0 : -1;
}

int netpair_create(struct netpair *p)
{
	static int seq;
	char cmd[1024];
	int id = (int)getpid() * 16 + seq++ % 16;

	snprintf(p->gw, sizeof(p->gw), "sgg%d", id);
	snprintf(p->cl, sizeof(p->cl), "sgc%d", id);
	snprintf(p->gw_if, sizeof(p->gw_if), "sgvg%d", id % 100000);
	snprintf(p->cl_if, sizeof(p->cl_if), "sgvc%d", id % 100000);
	snprintf(
		cmd, sizeof(cmd),
		"set -e; exec 2>&1; "
		"/usr/bin/ip netns add %1$s; /usr/bin/ip netns add %2$s; "
		"/usr/bin/ip link add %3$s netns %1$s type veth peer name %4$s netns %2$s; "
		"/usr/bin/ip -n %1$s addr add " NETPAIR_GW_IP "/30 dev %3$s; "
		"/usr/bin/ip -n %2$s addr add 10.213.0.2/30 dev %4$s; "
		"/usr/bin/ip -n %1$s link set %3$s up; /usr/bin/ip -n %2$s link set %4$s up; "
		"/usr/bin/ip -n %1$s link set lo up; /usr/bin/ip -n %2$s link set lo up",
		p->gw, p->cl, p->gw_if, p->cl_if);
	if (sh(cmd) < 0) {
		netpair_destroy(p);
		return -1;
	}
	return 0;
}

void netpair_destroy(struct netpair *p)
{
	char cmd[256];

	/* the veth pair goes with its ends' namespaces */
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/ip netns del %s 2>/dev/null; "
		 "/usr/bin/ip netns del %s 2>/dev/null; true",
		 p->gw, p->cl);
	sh(cmd);
}

int netpair_cut(struct netpair *p)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "/usr/bin/ip -n %s link set %s down 2>&1",
		 p->cl, p->cl_if);
	return sh(cmd);
}

int in_netns(const char *ns, int (*fn)(void *), void *arg)
{
	char path[96];
	int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int there, r = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	there = open(path, O_RDONLY | O_CLOEXEC);
	if (here >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0) {
		r = fn(arg);
		if (setns(here, CLONE_NEWNET) < 0)
			abort(); /* the rest of the test would run there */
	}
	if (here >= 0)
		close(here);
	if (there >= 0)
		close(there);
	return r;
}

const char *lan_ip(int i)
{
	static char ip[LAN_MAX][16];

	snprintf(ip[i], sizeof(ip[i]), "10.214.0.%u", (unsigned char)(i + 1));
	return ip[i];
}

int lan_create(struct lan *l, int n)
{
	static int seq;
	char cmd[512];
	int id = (int)getpid() * 16 + seq++ % 16;

	memset(l, 0, sizeof(*l));
	if (n > LAN_MAX)
		return -1;
	snprintf(l->sw, sizeof(l->sw), "sgsw%d", id);
	snprintf(cmd, sizeof(cmd),
		 "set -e; exec 2>&1; /usr/bin/ip netns add %1$s; "
		 "/usr/bin/ip -n %1$s link add br0 type bridge; "
		 "/usr/bin/ip -n %1$s link set br0 up",
		 l->sw);
	if (sh(cmd) < 0) {
		lan_destroy(l);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(l->host[i], sizeof(l->host[i]), "sgh%d_%d", id, i);
		snprintf(l->port[i], sizeof(l->port[i]), "sgp%u_%u",
			 (unsigned)id % 100000u, (unsigned char)i);
		l->n = i + 1;
		snprintf(cmd, sizeof(cmd),
			 "set -e; exec 2>&1; /usr/bin/ip netns add %1$s; "
			 "/usr/bin/ip link add eth0 netns %1$s type veth "
			 "peer name %2$s netns %3$s; "
			 "/usr/bin/ip -n %3$s link set %2$s master br0 up; "
			 "/usr/bin/ip -n %1$s addr add %4$s/24 dev eth0; "
			 "/usr/bin/ip -n %1$s link set eth0 up; "
			 "/usr/bin/ip -n %1$s link set lo up",
			 l->host[i], l->port[i], l->sw, lan_ip(i));
		if (sh(cmd) < 0) {
			lan_destroy(l);
			return -1;
		}
	}
	return 0;
}

int lan_cut(struct lan *l, int i)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "/usr/bin/ip -n %s link set %s down 2>&1",
		 l->sw, l->port[i]);
	return sh(cmd);
}

void lan_destroy(struct lan *l)
{
	char cmd[128];

	for (int i = 0; i < l->n; i++) {
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/ip netns del %s 2>/dev/null; true",
			 l->host[i]);
		sh(cmd);
	}
	if (l->sw[0]) {
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/ip netns del %s 2>/dev/null; true", l->sw);
		sh(cmd);
	}
	l->n = 0;
}
