/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_NETNS_H
#define SG_TEST_NETNS_H

/*
 * Two network namespaces of the test's own, joined by a veth pair: the
 * gateway's side 10.213.0.1/30, the client's 10.213.0.2/30, loopback up
 * in both. Nothing touches the namespace the tests run in.
 */
struct netpair {
	char gw[24], cl[24];	   /* namespace names */
	char gw_if[16], cl_if[16]; /* the veth ends */
};

#define NETPAIR_GW_IP "10.213.0.1"

/* 0, or -1 (no `ip netns`, no veth): the caller skips. */
int netpair_create(struct netpair *p);
void netpair_destroy(struct netpair *p);
/* Takes the client's link down: its peer vanishes without a FIN. */
int netpair_cut(struct netpair *p);
/*
 * A small network of the test's own: n hosts (namespaces), each with one
 * veth link to a bridge in a switch namespace; host i is 10.214.0.(i+1)/24
 * (LAN_IP). Nothing leaves the test's namespaces.
 */
#define LAN_MAX 6
struct lan {
	int n;
	char sw[24];		/* the switch's namespace */
	char host[LAN_MAX][24]; /* the hosts' namespaces */
	char port[LAN_MAX][16]; /* each host's link, switch side */
};

/* 0, or -1 (no bridge or veth): the caller skips. */
int lan_create(struct lan *l, int n);
/* Host i's link goes down at the switch: the host is cut off, its
 * sockets and processes live on. */
int lan_cut(struct lan *l, int i);
void lan_destroy(struct lan *l);
/* Host i's address, "10.214.0.(i+1)", in a static buffer per i. */
const char *lan_ip(int i);

/* Runs fn(arg) on this thread inside namespace ns (sockets it makes stay
 * there), then returns to where it was. fn's result, or -1. */
int in_netns(const char *ns, int (*fn)(void *), void *arg);

#endif
