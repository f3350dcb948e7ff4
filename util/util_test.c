#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/Basic.h>
#include "util_fs.h"

static char base[64];

static mode_t mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode) ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_mkdir_parent(void)
{
	char p[160], d[160];
	mode_t old = umask(022);
	FILE *f;

	/* Two missing levels: both made, with the mode asked for. */
	snprintf(p, sizeof(p), "%s/run//peregrine/control.sock", base);
	CU_ASSERT_EQUAL(util_mkdir_parent(p, 0750), 0);
	snprintf(d, sizeof(d), "%s/run", base);
	CU_ASSERT_EQUAL(mode_of(d), 0750);
	snprintf(d, sizeof(d), "%s/run/peregrine", base);
	CU_ASSERT_EQUAL(mode_of(d), 0750);
	/* Existing ones are left alone. */
	CU_ASSERT_EQUAL(chmod(d, 0700), 0);
	CU_ASSERT_EQUAL(util_mkdir_parent(p, 0750), 0);
	CU_ASSERT_EQUAL(mode_of(d), 0700);
	/* A file where a directory should be. */
	snprintf(d, sizeof(d), "%s/file", base);
	f = fopen(d, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/file/x/y", base);
	CU_ASSERT_EQUAL(util_mkdir_parent(p, 0750), -ENOTDIR);
	/* Nothing to make. */
	CU_ASSERT_EQUAL(util_mkdir_parent("plain-name", 0750), 0);
	CU_ASSERT_EQUAL(util_mkdir_parent("/top", 0750), 0);
	umask(old);
}

/* A tree with files, a subdirectory and a symbolic link out of it goes;
 * the link's target stays; a missing directory is fine. */
static void test_rmtree(void)
{
	char t[160], p[200], out[160];
	FILE *f;

	snprintf(t, sizeof(t), "%s/tree", base);
	snprintf(p, sizeof(p), "%s/a/b/file", t);
	CU_ASSERT_EQUAL_FATAL(util_mkdir_parent(p, 0700), 0);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(out, sizeof(out), "%s/keep", base);
	f = fopen(out, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/a/link", t);
	CU_ASSERT_EQUAL(symlink(out, p), 0);
	CU_ASSERT_EQUAL(util_rmtree(t), 0);
	CU_ASSERT_NOT_EQUAL(access(t, F_OK), 0);
	CU_ASSERT_EQUAL(access(out, F_OK), 0);
	CU_ASSERT_EQUAL(util_rmtree(t), 0);
	unlink(out);
}

int main(void)
{
	char cmd[96];
	CU_pSuite s;
	unsigned fails;

	snprintf(base, sizeof(base), "/tmp/pg-util-test.XXXXXX");
	if (mkdtemp(base) == NULL)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("util", NULL, NULL);
	CU_add_test(s, "mkdir parent", test_mkdir_parent);
	CU_add_test(s, "rmtree", test_rmtree);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fails++;
	return fails ? 1 : 0;
}
