/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_DNSD_H
#define SG_TEST_DNSD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/*
 * A DNS server on 127.0.0.1: answers every query NXDOMAIN, or with
 * answer_a every A query 127.0.0.1 (AAAA: no data), after delay_ms.
 */
struct nxdns {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int queries;
	int answer_a, delay_ms;
};
int nxdns_start(struct nxdns *d);
int fakedns_start(struct nxdns *d, int answer_a, int delay_ms);
void nxdns_stop(struct nxdns *d);

#endif
