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
/* Runs fn(arg) on this thread inside namespace ns (sockets it makes stay
 * there), then returns to where it was. fn's result, or -1. */
int in_netns(const char *ns, int (*fn)(void *), void *arg);

#endif
