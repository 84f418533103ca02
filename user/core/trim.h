/* SPDX-License-Identifier: MIT */
#ifndef SG_TRIM_H
#define SG_TRIM_H

#include <stddef.h>

#include "core/loop.h"

/*
 * Handing freed heap pages back. The handshake state (8.5 KiB, most of
 * it the line buffer) goes once a session forwards, and a promoted
 * session's copy buffers once it moves. Freed between the small blocks
 * of live sessions, they stay in the process's heap, resident: after a
 * burst of such frees a worker calls malloc_trim, at most once a second.
 */
struct trim {
	struct evl_timer timer;
	size_t freed; /* bytes freed since the last trim */
};

void trim_init(struct trim *t);
/* n bytes of a long-lived session's were freed on loop's thread. */
void trim_note(struct trim *t, struct evl *loop, size_t n);

#endif
