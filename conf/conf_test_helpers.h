/* Shared by conf_test.c, conf6_test.c and conf_policy_test.c: the configs
 * of the error cases mark the line their error must name with "#<", so
 * the expected line number is found independently of the parser.
 *
 * A test that loads whole files through conf_load() defines
 * CONF_TEST_LOAD (the mkdtemp template of its directory) before including
 * this, and gets tmpdir, err and the load_* / expect_err* helpers. */
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

#ifdef CONF_TEST_LOAD
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <CUnit/Basic.h>

#include "conf.h"

static char tmpdir[] = CONF_TEST_LOAD;
static char err[1024];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static struct conf *load_text(const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/t.conf", tmpdir);
	write_text(path, text);
	return conf_load(path, err, sizeof(err));
}

/* text must fail with "<its path>:<marked line>: ...fragment..." */
static void expect_err_at(const char *text, const char *fragment, int line)
{
	char path[512], prefix[600];
	struct conf *c;

	c = load_text(text, path, sizeof(path));
	CU_ASSERT_PTR_NULL(c);
	if (c != NULL) {
		fprintf(stderr, "\nloaded, but expected an error containing \"%s\"\n", fragment);
		conf_free(c);
		return;
	}
	CU_ASSERT_EQUAL(errno, EINVAL);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	CU_ASSERT(strncmp(err, prefix, strlen(prefix)) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, fragment));
	if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, fragment) == NULL)
		fprintf(stderr, "\nwanted \"%s...%s\"\n   got \"%s\"\n", prefix, fragment, err);
}

static void expect_err(const char *text, const char *fragment)
{
	int line = marked_line(text);

	CU_ASSERT_FATAL(line > 0);
	expect_err_at(text, fragment, line);
}

static struct conf *load_ok(const char *text)
{
	char path[512];
	struct conf *c = load_text(text, path, sizeof(path));

	CU_ASSERT_PTR_NOT_NULL(c);
	if (c == NULL)
		fprintf(stderr, "\nunexpected error: %s\n", err);
	return c;
}

struct conf_test_case {
	const char *name;
	CU_TestFunc fn;
};

/* Make tmpdir, run the cases as one suite, remove what load_text wrote:
 * the exit status. */
static int conf_test_run(const char *suite, const struct conf_test_case *cases, size_t n)
{
	char path[600];
	unsigned failures;
	CU_pSuite s;

	if (mkdtemp(tmpdir) == NULL || CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite(suite, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		CU_add_test(s, cases[i].name, cases[i].fn);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return failures ? 1 : 0;
}
#endif
