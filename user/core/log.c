// SPDX-License-Identifier: MIT
/* Logger: one write(2) per line so lines from worker threads never interleave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

enum log_level log_min_level = LOG_LVL_INFO;
static __thread const char *log_tag = "main";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_parse_level(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_set_tag(const char *tag)
{
	log_tag = tag;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (lvl < log_min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s [%s] ",
		     ts.tv_nsec / 1000000, level_names[lvl], log_tag);
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* A short write to stderr loses part of a log line, nothing else. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

static void (*fatal_hook)(void);

void log_on_fatal(void (*fn)(void))
{
	fatal_hook = fn;
}

void fatal(const char *fmt, ...)
{
	void (*fn)(void) = fatal_hook;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	fatal_hook = NULL;
	if (fn)
		fn();
	_exit(1); /* nothing to flush: log lines are written whole */
}
