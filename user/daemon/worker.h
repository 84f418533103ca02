/* SPDX-License-Identifier: MIT */
#ifndef SG_WORKER_H
#define SG_WORKER_H

#include <stdint.h>

struct gateway;
struct worker;

int worker_init(struct worker *w, struct gateway *gw, int id, int lsn_fd,
		int shared);
int worker_start(struct worker *w);
/* From the main thread: drain (or force) according to gw->stop. */
void worker_wake(struct worker *w);
void worker_destroy(struct worker *w);
/* From the main thread: the kernel reported on a socket of w's. */
void worker_post(struct worker *w, uint64_t cookie);

#endif
