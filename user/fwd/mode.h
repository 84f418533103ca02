/* SPDX-License-Identifier: MIT */
#ifndef SG_MODE_H
#define SG_MODE_H

/* The paths a session's bytes may take, best first (--mode). */
enum fwd_mode { MODE_AUTO, MODE_SOCKMAP, MODE_SPLICE, MODE_COPY };

/* By enum fwd_mode, NULL-terminated (--mode's choices). */
extern const char *const fwd_mode_names[];

/* The paths of TLS and WebSocket sessions (fwd/path.c), as counted. */
enum edge_path { EPATH_KTLS, EPATH_TLS_COPY, EPATH_WS, EPATH_WSS, EPATH_MAX };

/* By enum edge_path. */
extern const char *const edge_path_names[];

static inline const char *fwd_mode_name(int m)
{
	return fwd_mode_names[m];
}

#endif
