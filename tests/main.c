/* SPDX-License-Identifier: MIT */
/*
 * main.c - the small main of every suite executable.  CMake compiles it
 * once per suite with HC_TEST_SUITE set to the suite function, such as
 * hc_slots_suite.  Debug a case under gdb with CK_FORK=no and
 * CK_RUN_CASE=<tcase>.
 */
#include "hc_test.h"

#ifndef HC_TEST_SUITE
#error "compile with -DHC_TEST_SUITE=hc_<module>_suite"
#endif

int main(void)
{
	return hc_test_run(HC_TEST_SUITE());
}
