/* SPDX-License-Identifier: MIT */
#ifndef SG_HSLOG_H
#define SG_HSLOG_H

#include <stdint.h>

#include "core/loop.h"

/*
 * Handshake failures, logged so that the log stays readable under
 * attack: the first HSLOG_BURST of a second get their lines, the rest of
 * that second are counted by code and reason and summed up in one line.
 */
#define HSLOG_BURST 20
#define HSLOG_KINDS 8

struct hslog {
	struct evl *loop;
	struct evl_timer timer; /* the end of a second with suppressed ones */
	uint64_t window_ns;	/* the start of the current second */
	unsigned logged;	/* in it, logged one by one */
	unsigned quiet;		/* and counted only */
	struct {
		int code;
		const char *why; /* a constant reason, or NULL: by code */
		unsigned n;
	} kind[HSLOG_KINDS];
	unsigned other; /* of more kinds than that */
};

void hslog_init(struct hslog *h, struct evl *loop);
/*
 * A failure answered `code` (why: a constant string, or NULL when the
 * reason names a host). 1: log it; 0: counted for the summary.
 */
int hslog_admit(struct hslog *h, int code, const char *why);
void hslog_stop(struct hslog *h);

#endif
