# SPDX-License-Identifier: MIT
# Run by cmake --install after the libraries are in place (install.cmake
# sets HC_LIBDIR).  The dynamic loader finds a library of a system
# directory (/usr/local/lib, /usr/lib/<triplet>, ...) through its cache,
# ld.so.cache, which knows a new library only once ldconfig has run:
# without it a program linked with pkg-config hogcount does not start
# (libhogcount.so.1: cannot open shared object file).  So, installing
# into a directory ldconfig scans, as root and not staged into DESTDIR
# (a package's own scripts run ldconfig there), run ldconfig; as
# another user, say so; into any other directory, say how programs find
# the library.
if(IS_ABSOLUTE "${HC_LIBDIR}")
	set(hc_dir "${HC_LIBDIR}")
else()
	set(hc_dir "${CMAKE_INSTALL_PREFIX}/${HC_LIBDIR}")
endif()
if(NOT "$ENV{DESTDIR}" STREQUAL "" OR NOT EXISTS "${hc_dir}")
	return()
endif()
find_program(hc_ldconfig ldconfig PATHS /sbin /usr/sbin)
if(NOT hc_ldconfig)
	return()
endif()
# ldconfig -N -v: the directories it scans, one "DIR: (from ...)" line
# each, without touching the cache.
execute_process(COMMAND ${hc_ldconfig} -N -v OUTPUT_VARIABLE hc_out
	ERROR_QUIET)
string(REGEX MATCHALL "(^|\n)/[^:\n]*:" hc_dirs "${hc_out}")
file(REAL_PATH "${hc_dir}" hc_real)
set(hc_system OFF)
foreach(d IN LISTS hc_dirs)
	string(REGEX REPLACE "^\n|:$" "" d "${d}")
	if(EXISTS "${d}")
		file(REAL_PATH "${d}" d)
		if(d STREQUAL hc_real)
			set(hc_system ON)
		endif()
	endif()
endforeach()
if(NOT hc_system)
	message(STATUS "hogcount: ${hc_dir} is not searched by the dynamic "
		"loader: build programs with -Wl,-rpath,${hc_dir}, or run them "
		"with LD_LIBRARY_PATH=${hc_dir}")
	return()
endif()
execute_process(COMMAND id -u OUTPUT_VARIABLE hc_uid
	OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT hc_uid STREQUAL "0")
	message(STATUS "hogcount: run ldconfig as root, so that programs "
		"find the libraries in ${hc_dir}")
	return()
endif()
message(STATUS "hogcount: ldconfig (the libraries in ${hc_dir})")
execute_process(COMMAND ${hc_ldconfig} RESULT_VARIABLE hc_rc)
if(NOT hc_rc EQUAL 0)
	message(WARNING "ldconfig failed (${hc_rc}): run it as root, so that "
		"programs find the libraries in ${hc_dir}")
endif()
