#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static enum log_level cur_level = LOG_LVL_NOTICE;
static bool to_syslog;

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

void log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	to_syslog = true;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > cur_level)
		return;
	va_start(ap, fmt);
	if (to_syslog) {
		vsyslog(syslog_prio[lvl], fmt, ap);
	} else {
		fprintf(stderr, "%s: ", level_names[lvl]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

bool log_ratelimit_ok(struct log_limit *l, unsigned burst)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec;
	if (now != l->last_sec) {
		if (l->suppressed)
			log_msg(LOG_LVL_NOTICE, "%u similar messages suppressed", l->suppressed);
		l->last_sec = now;
		l->tokens = burst;
		l->suppressed = 0;
	}
	if (l->tokens == 0) {
		l->suppressed++;
		return false;
	}
	l->tokens--;
	return true;
}
