/* SPDX-License-Identifier: MIT */
/*
 * error.c - status codes to sentences and names (HC_ERRNO_MAP in
 * include/hogcount.h is the one list), and the library version.
 */
#include "hc_internal.h"

const char *hc_strerror(int err)
{
	switch (err) {
	case HC_OK:
		return "success";
#define HC__ERRNO_MSG(name, val, msg) \
	case HC_##name:               \
		return msg;
		HC_ERRNO_MAP(HC__ERRNO_MSG)
#undef HC__ERRNO_MSG
	default:
		return "unknown error";
	}
}

const char *hc_errname(int err)
{
	switch (err) {
	case HC_OK:
		return "HC_OK";
#define HC__ERRNO_NAME(name, val, msg) \
	case HC_##name:                \
		return "HC_" #name;
		HC_ERRNO_MAP(HC__ERRNO_NAME)
#undef HC__ERRNO_NAME
	default:
		return "HC_UNKNOWN";
	}
}

const char *hc_version(void)
{
	return HC_VERSION_STRING;
}
