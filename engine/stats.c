/* Statistic names, generated from the same X-macro lists as the enums so
 * that an added counter can never be printed under the wrong name. */
#include "stats.h"

const char *const stats4_names[STAT4_MAX] = {
#define X(e, s) [STAT4_##e] = s,
	STATS4(X)
#undef X
};

const char *const stats_dp_names[STAT_DP_MAX] = {
#define X(e, s) [STAT_DP_##e] = s,
	STATS_DP(X)
#undef X
};

const char *const stats6_names[STAT6_MAX] = {
#define X(e, s) [STAT6_##e] = s,
	STATS6(X)
#undef X
};
