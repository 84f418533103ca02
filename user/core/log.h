/* SPDX-License-Identifier: MIT */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };

extern enum log_level log_min_level;

int log_parse_level(const char *s, enum log_level *out);
/* --log-format json: one JSON object a line (time, level, worker, event,
 * msg, and an event's fields); 0: text. */
extern int log_json;
/* stderr is journald's (JOURNAL_STREAM): text lines carry sd-daemon(3)'s
 * <priority> prefix and no time of their own (log_detect_journal) */
extern int log_journal;
void log_detect_journal(void);

/* A field of an event: a string, or a number when s is NULL. */
struct log_kv {
	const char *key;
	const char *s;
	unsigned long long n;
};

/* An event with fields: in JSON each field is a member beside msg; in
 * text the line is msg alone (the caller writes the fields into it). */
void log_event(enum log_level lvl, const char *event, const struct log_kv *kv,
	       size_t n, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void log_set_tag(const char *tag);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);
/* Start-up failures only: logs and exits 1. */
/* fn runs once in fatal(), before the exit: start-up undoes its changes
 * (pinned maps, the pid file) there. */
void log_on_fatal(void (*fn)(void));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define log_debug(...)                                       \
	do {                                                 \
		if (log_min_level <= LOG_LVL_DEBUG)          \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_info(...)                                       \
	do {                                                \
		if (log_min_level <= LOG_LVL_INFO)          \
			log_msg(LOG_LVL_INFO, __VA_ARGS__); \
	} while (0)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif
