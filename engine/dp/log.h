/* Leveled logging to stderr or syslog.  Never called per packet unless the
 * operator asked for debug. */
#pragma once
#include <stdbool.h>
#include "conf.h"

void log_init(enum conf_log_level level, enum conf_log_output out);
void log_set_level(enum conf_log_level level);
bool log_enabled(enum conf_log_level level);
void log_msg(enum conf_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define LOG_E(...) log_msg(CONF_LOG_ERROR, __VA_ARGS__)
#define LOG_W(...) log_msg(CONF_LOG_WARN, __VA_ARGS__)
#define LOG_I(...) log_msg(CONF_LOG_INFO, __VA_ARGS__)
#define LOG_D(...) do { if (log_enabled(CONF_LOG_DEBUG)) log_msg(CONF_LOG_DEBUG, __VA_ARGS__); } while (0)
