/* Logging: levels, one line per event, stderr by default (the daemon may switch to syslog).
 * Peer-triggered events use log_ratelimited() so a flood cannot flood the log. */
#ifndef ESPRIT_LIB_LOG_H
#define ESPRIT_LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_use_syslog(const char *ident);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A token bucket per call site: at most `burst` lines, refilled at one per second. */
struct log_limit {
	uint64_t last_sec;
	unsigned tokens;
	unsigned suppressed;
};
bool log_ratelimit_ok(struct log_limit *l, unsigned burst);

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                       \
	do {                                                 \
		if (log_get_level() >= LOG_LVL_DEBUG)        \
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_ratelimited(lvl, ...)                                           \
	do {                                                                \
		static struct log_limit ll_;                                \
		if (log_get_level() >= (lvl) && log_ratelimit_ok(&ll_, 10)) \
			log_msg((lvl), __VA_ARGS__);                        \
	} while (0)

#endif
