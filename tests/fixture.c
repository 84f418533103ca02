// SPDX-License-Identifier: MIT
/* The shared set-up of the tests: see fixture.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "figures.h"
#include "fixture.h"
#include "sock.h"
#include "tokens.h"

static const struct {
	unsigned bit;
	const char *name;
} modes[] = {
	{ M_SOCKMAP, "sockmap" },
	{ M_SPLICE, "splice" },
	{ M_COPY, "copy" },
	{ M_AUTO, "auto" },
};

int fx_v6;

size_t mode_cases(struct mode_case *out, unsigned mask)
{
	size_t n = 0;

	for (int v6 = 0; v6 <= !!(mask & M_V6); v6++)
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (mask & modes[i].bit) {
				snprintf(out[n].mode, sizeof(out->mode), "%s",
					 modes[i].name);
				out[n++].v6 = (uint8_t)v6;
			}
	return n;
}

void fx_gw(struct fx *f, const char *mode, const char *const *args)
{
	const char *argv[32];
	int n = 0;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->mode = mode ? mode : "auto";
	argv[n++] = "--mode";
	argv[n++] = f->mode;
	/* the kernel picks the port and the log tells it: no race for one */
	argv[n++] = "--pprof";
	argv[n++] = "127.0.0.1:0";
	if (fx_v6) {
		argv[n++] = "--addr";
		argv[n++] = "[::1]:0";
	}
	for (int i = 0; args && args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	cr_assert_eq(gw_start(&f->g, 0, argv), 0, "gateway --mode %s", f->mode);
	f->mport = f->g.mport;
	cr_assert_neq(f->mport, 0, "its metrics port (log %s)", f->g.log);
	gw_pin_dir(&f->g, f->pin, sizeof(f->pin));
}

void fx_echo(struct fx *f, const char *mode, const char *const *args)
{
	fx_gw(f, mode, args);
	/* in place: its threads keep &f->own */
	cr_assert_eq(echo_start(&f->own, fx_v6), 0, "echo backend");
	f->echo = 1;
	f->be = &f->own;
}

int fx_dial(struct fx *f, uint16_t port)
{
	return fx_dial_more(f, port, "");
}

int fx_dial_more(struct fx *f, uint16_t port, const char *more)
{
	char addr[32], line[8192];
	const char *tok;
	int code, n;

	snprintf(addr, sizeof(addr), fx_v6 ? "[::1]:%u" : "127.0.0.1:%u", port);
	tok = ossl_token(TEST_SECRET, addr, NULL);
	n = snprintf(line, sizeof(line), "%s\n%s", tok, more);
	code = gw_dial_at(fx_v6 ? "::1" : "127.0.0.1", f->g.port, line,
			  (size_t)n, &f->fd);
	cr_assert_eq(code, 200, "--mode %s%s: dial answered %d (log %s)",
		     f->mode, fx_v6 ? " on ::1" : "", code, f->g.log);
	return f->fd;
}

void fx_use_echo(struct fx *f, struct echo_srv *e)
{
	f->be = e;
}

int fx_dial_echo(struct fx *f)
{
	return fx_dial(f, f->be->port);
}

void fx_end(struct fx *f)
{
	int st;

	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	/* a test that saw it exit (gw_wait) has checked its status */
	st = f->g.pid ? gw_stop(&f->g) : 0;
	cr_assert_eq(st, 0, "--mode %s: gateway exit status %d (log %s)",
		     f->mode, st, f->g.log);
	if (f->echo)
		echo_stop(&f->own);
	f->echo = 0;
}

long long fx_metric(const struct fx *f, const char *name)
{
	return gw_metric(f->mport, name);
}

long long fx_metric_wait(const struct fx *f, const char *name, long long want,
			 int timeout_ms)
{
	long long v = fx_metric(f, name);

	for (int t = 0; v < want && t < timeout_ms; t += 10) {
		usleep(10000);
		v = fx_metric(f, name);
	}
	return v;
}

void fx_wait_done(const struct fx *f, long long n)
{
	long long ended = 0;
	long end = ms_now() + 10000;

	while (ms_now() < end) {
		ended = fx_metric(f, "sockgate_accepted_total ") -
			fx_metric(f, "sockgate_sessions_active ");
		if (ended >= n)
			break;
		usleep(10000);
	}
	cr_assert_geq(ended, n,
		      "--mode %s: %lld of %lld sessions ended (log %s)",
		      f->mode, ended, n, f->g.log);
	cr_assert_eq(fx_metric(f, "sockgate_resets_total "), 0,
		     "--mode %s: a session was reset (log %s)", f->mode,
		     f->g.log);
	cr_assert_eq(fx_metric(f, "sockgate_replies_total{code=\"200\"} "),
		     fx_metric(f, "sockgate_accepted_total "),
		     "--mode %s: every session was answered 200 (log %s)",
		     f->mode, f->g.log);
}

int fx_map_count(const struct fx *f, const char *map)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", f->pin, map);
	return bpftool_count(path);
}

void fx_maps_empty(const struct fx *f)
{
	static const char *const maps[] = { "sessions", "peers", "active" };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		cr_assert_eq(fx_map_count(f, maps[i]), 0,
			     "--mode %s: %s/%s empty", f->mode, f->pin,
			     maps[i]);
}

void fx_round_trip(int fd, const char *msg)
{
	char buf[256] = "";
	size_t len = strlen(msg);

	cr_assert_lt(len, sizeof(buf));
	cr_assert_eq(write_all(fd, msg, len), (ssize_t)len);
	cr_assert_eq(read_full(fd, buf, len, 10000), (ssize_t)len);
	cr_assert_str_eq(buf, msg);
}

void fx_stream_to_sockmap(const struct fx *f, int fd)
{
	static char out[256 << 10], back[256 << 10];
	const char *m = "sockgate_promotions_total{to=\"sockmap\"} ";
	time_t end = time(NULL) + 60;
	unsigned k = 0;

	while (fx_metric(f, m) < 1) {
		cr_assert_lt(time(NULL), end,
			     "60 s of 256 KiB echoes and no move to sockmap "
			     "(log %s)",
			     f->g.log);
		memset(out, 'a' + (int)(k++ % 26), sizeof(out));
		cr_assert_eq(write_all(fd, out, sizeof(out)),
			     (ssize_t)sizeof(out));
		cr_assert_eq(read_full(fd, back, sizeof(back), 10000),
			     (ssize_t)sizeof(back), "the echo of MiB %u", k);
		cr_assert_eq(memcmp(out, back, sizeof(out)), 0,
			     "the echo of MiB %u", k);
	}
}
