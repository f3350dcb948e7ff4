/* Shared by conf_test.c and conf_policy_test.c: the configs of the error
 * cases mark the line their error must name with "#<", so the expected
 * line number is found independently of the parser. */
#pragma once
#include <string.h>

/* The 1-based line of the "#<" marker in text, 0 if none. */
static inline int marked_line(const char *text)
{
	const char *m = strstr(text, "#<");
	int line = 1;

	if (m == NULL)
		return 0;
	for (const char *p = text; p < m; p++)
		line += *p == '\n';
	return line;
}
