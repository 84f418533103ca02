/* SPDX-License-Identifier: MIT */
#ifndef SG_MODE_H
#define SG_MODE_H

/* The paths a session's bytes may take, best first (--mode). */
enum fwd_mode { MODE_AUTO, MODE_SOCKMAP, MODE_SPLICE, MODE_COPY };

static inline const char *fwd_mode_name(int m)
{
	static const char *const names[] = { "auto", "sockmap", "splice",
					     "copy" };
	return names[m];
}

#endif
