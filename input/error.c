/* SPDX-License-Identifier: MIT */
/*
 * error.c - the input layer's codes (HCI_ERRNO_MAP, hogcount_input.h),
 * named beside the kernel's.
 */
#include "hogcount_input.h"

const char *hci_strerror(int err)
{
	switch (err) {
#define HCI_ERR_TEXT(name, code, text) \
	case HCI_##name:               \
		return text;
		HCI_ERRNO_MAP(HCI_ERR_TEXT)
#undef HCI_ERR_TEXT
	default:
		return hc_strerror(err);
	}
}

const char *hci_errname(int err)
{
	switch (err) {
#define HCI_ERR_NAME(name, code, text) \
	case HCI_##name:               \
		return "HCI_" #name;
		HCI_ERRNO_MAP(HCI_ERR_NAME)
#undef HCI_ERR_NAME
	default:
		return hc_errname(err);
	}
}
