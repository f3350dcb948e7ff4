#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include "log.h"

static enum conf_log_level log_level = CONF_LOG_INFO;
static enum conf_log_output log_out = CONF_LOG_STDERR;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_init(enum conf_log_level level, enum conf_log_output out)
{
	log_level = level;
	log_out = out;
	if (out == CONF_LOG_SYSLOG)
		openlog("peregrine", LOG_PID, LOG_DAEMON);
}

void log_set_level(enum conf_log_level level)
{
	log_level = level;
}

bool log_enabled(enum conf_log_level level)
{
	return level <= log_level;
}

void log_msg(enum conf_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (log_out == CONF_LOG_SYSLOG) {
		vsyslog(syslog_prio[level], fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char buf[1024];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		/* one fprintf per line so lines from threads do not interleave */
		fprintf(stderr, "%04d-%02d-%02d %02d:%02d:%02d.%03ld peregrine %s %s\n",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts.tv_nsec / 1000000, level_names[level], buf);
	}
	va_end(ap);
}
