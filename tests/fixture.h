/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_FIXTURE_H
#define SG_TEST_FIXTURE_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>
#include <stdint.h>

#include "gwproc.h"
#include "servers.h"

/*
 * The modes a behaviour runs through: one table, as the kernel's sockmap
 * selftests run each case over map types and relayd's regression driver
 * runs each case file in copy and splice mode. MODE_TEST(suite, name,
 * mask, options) declares one test run once per mode in mask; its body
 * has `mode`, the mode's name.
 */
enum {
	M_SOCKMAP = 1 << 0,
	M_SPLICE = 1 << 1,
	M_COPY = 1 << 2,
	M_AUTO = 1 << 3,
	M_ALL = M_SOCKMAP | M_SPLICE | M_COPY,
	M_V6 = 1 << 4, /* each mode on IPv4 and on IPv6 (::1) too */
};

struct mode_case {
	char mode[8];
	uint8_t v6; /* client, gateway and backend on ::1 */
};

/* The running case's address family: MODE_TEST sets it, fx_gw and
 * fx_echo read it (each test is a process of its own). */
extern int fx_v6;

/* Fills out with the modes of mask, in the table's order; their count. */
size_t mode_cases(struct mode_case *out, unsigned mask);

#define MODE_TEST(suite, name, mask, ...)                               \
	ParameterizedTestParameters(suite, name)                        \
	{                                                               \
		static struct mode_case cases[8];                       \
		size_t n = mode_cases(cases, mask);                     \
		return cr_make_param_array(struct mode_case, cases, n); \
	}                                                               \
	static void suite##_##name##_body(const char *mode);            \
	ParameterizedTest(const struct mode_case *mc, suite, name,      \
			  ##__VA_ARGS__)                                \
	{                                                               \
		fx_v6 = mc->v6;                                         \
		suite##_##name##_body(mc->mode);                        \
	}                                                               \
	static void suite##_##name##_body(const char *mode)

/*
 * A gateway, its metrics endpoint, optionally an echo backend, and a
 * client: the set-up most tests share.
 */
struct fx {
	struct gw g;
	/* the backend fx_dial_echo dials: fx_echo's own, or one the test
	 * started and gave with fx_use_echo (and stops itself) */
	struct echo_srv *be;
	struct echo_srv own; /* fx_echo's */
	int echo;	     /* own is running */
	const char *mode;
	uint16_t mport; /* the gateway's --pprof port */
	char pin[128];	/* its pinned maps' directory */
	int fd;		/* the client of fx_dial, or -1 */
};

/* The gateway in mode (NULL: auto), with --pprof and args (NULL ended,
 * may be NULL); asserts it started. */
void fx_gw(struct fx *f, const char *mode, const char *const *args);
/* The same with an echo backend. */
void fx_echo(struct fx *f, const char *mode, const char *const *args);
/* A backend the test started (before the gateway, say, to name its port
 * in the gateway's flags) as the one fx_dial_echo dials. */
void fx_use_echo(struct fx *f, struct echo_srv *e);
/* A client through the gateway to 127.0.0.1:port, asserting 200; its fd,
 * also in f->fd. */
int fx_dial(struct fx *f, uint16_t port);
/* The same, with more bytes right after the token line (one write). */
int fx_dial_more(struct fx *f, uint16_t port, const char *more);
/* fx_dial to the echo backend. */
int fx_dial_echo(struct fx *f);
/* Closes the client, stops the gateway asserting exit status 0 (unless
 * the test saw it exit), then the echo backend. */
void fx_end(struct fx *f);

/* A metric of the gateway's (gw_metric), or -1. */
long long fx_metric(const struct fx *f, const char *name);
/* Waits up to timeout_ms for a metric to reach want; returns its value. */
long long fx_metric_wait(const struct fx *f, const char *name, long long want,
			 int timeout_ms);
/* Waits until n sessions have ended, and asserts none of them was reset
 * and none answered an error: they ended with FIN ("done"). */
void fx_wait_done(const struct fx *f, long long n);
/* Entries in one of its pinned maps (bpftool), or -1. */
int fx_map_count(const struct fx *f, const char *map);
/* Asserts the sessions, peers and active maps are empty. */
void fx_maps_empty(const struct fx *f);
/* Writes msg and asserts it comes back (an echo backend). */
void fx_round_trip(int fd, const char *msg);
/*
 * Mode auto moves only streams to the kernel path: echoes 256 KiB at a
 * time through fd (an echo backend), each checked, until the gateway
 * reports a move to sockmap; asserts it came within 60 s.
 */
void fx_stream_to_sockmap(const struct fx *f, int fd);

#endif
