// SPDX-License-Identifier: MIT
/* Logger: one write(2) per line so lines from worker threads never interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

enum log_level log_min_level = LOG_LVL_INFO;
int log_json;
int log_journal;
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

void log_detect_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd names the stream it connected; stderr may since have
	 * gone elsewhere (a shell's redirection), so compare */
	log_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		      fstat(STDERR_FILENO, &st) == 0 &&
		      (unsigned long long)st.st_dev == dev &&
		      (unsigned long long)st.st_ino == ino;
}

void log_set_tag(const char *tag)
{
	log_tag = tag;
}

/* Appends s to line[*n..cap) as a JSON string's content. */
static void json_str(char *line, size_t *n, size_t cap, const char *s)
{
	for (; *s && *n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			line[(*n)++] = '\\';
			line[(*n)++] = (char)c;
		} else if (c < 0x20) {
			*n += (size_t)snprintf(line + *n, cap - *n, "\\u%04x",
					       c);
		} else {
			line[(*n)++] = (char)c;
		}
	}
}

/* Appends with snprintf's result clamped to what fits. */
__attribute__((format(printf, 4, 5))) static void
add(char *line, size_t *n, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(line + *n, cap - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = *n + (size_t)r < cap ? *n + (size_t)r : cap - 1;
}

static void emit(enum log_level lvl, const char *event, const struct log_kv *kv,
		 size_t nkv, const char *msg)
{
	char line[2048], when[40];
	struct timespec ts;
	struct tm tm;
	size_t n = 0, cap = sizeof(line) - 2;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	if (!log_json && log_journal) {
		/* sd-daemon(3)'s priority prefix; journald stamps the time */
		static const char prio[] = { '7', '6', '4', '3' };

		add(line, &n, cap, "<%c>%-5s [%s] %s", prio[lvl],
		    level_names[lvl], log_tag, msg);
	} else if (!log_json) {
		add(line, &n, cap, "%s.%03ldZ %-5s [%s] %s", when,
		    ts.tv_nsec / 1000000, level_names[lvl], log_tag, msg);
	} else {
		add(line, &n, cap,
		    "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\","
		    "\"worker\":\"",
		    when, ts.tv_nsec / 1000000, level_names[lvl]);
		json_str(line, &n, cap, log_tag);
		add(line, &n, cap, "\",\"event\":\"%s\",\"msg\":\"", event);
		json_str(line, &n, cap, msg);
		add(line, &n, cap, "\"");
		for (size_t i = 0; i < nkv; i++) {
			add(line, &n, cap, ",\"%s\":", kv[i].key);
			if (kv[i].s) {
				add(line, &n, cap, "\"");
				json_str(line, &n, cap, kv[i].s);
				add(line, &n, cap, "\"");
			} else {
				add(line, &n, cap, "%llu", kv[i].n);
			}
		}
		/* a line cut short still closes its object */
		if (n > cap - 3)
			n = cap - 3;
		add(line, &n, cap + 2, "}");
	}
	line[n++] = '\n';
	/* A short write to stderr loses part of a log line, nothing else. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[1024];

	if (lvl < log_min_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(lvl, "log", NULL, 0, msg);
}

void log_event(enum log_level lvl, const char *event, const struct log_kv *kv,
	       size_t n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl < log_min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	emit(lvl, event, kv, n, msg);
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
