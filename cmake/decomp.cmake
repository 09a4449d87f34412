# SPDX-License-Identifier: MIT
# The libraries of input/stream.c, as one interface target,
# hc_decomp_libs, for the input layer (input/CMakeLists.txt), and
# HC_DECOMP_LINK_NAMES, their names for an installed static link
# (install.cmake).  Included once, by the top CMakeLists.txt.
# zlib, liblzma, libbz2 and libzstd are required; ISA-L (libisal-dev) is
# used for gzip when found (HC_HAVE_ISAL), else zlib inflates gzip.
if(TARGET hc_decomp_libs)
	return()
endif()
option(HC_ISAL "Inflate gzip with ISA-L's igzip when it is found" ON)
find_package(ZLIB REQUIRED)
find_package(BZip2 REQUIRED)
pkg_check_modules(LZMA REQUIRED IMPORTED_TARGET liblzma)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
add_library(hc_decomp_libs INTERFACE)
target_link_libraries(hc_decomp_libs INTERFACE ZLIB::ZLIB BZip2::BZip2
	PkgConfig::LZMA PkgConfig::ZSTD)
set(HC_DECOMP_LINK_NAMES z lzma bz2 zstd)
if(HC_ISAL)
	# Debian's libisal-dev ships libisal.pc; look for the bare library
	# too, for builds of ISA-L that install none.
	pkg_check_modules(ISAL QUIET IMPORTED_TARGET libisal)
	if(ISAL_FOUND)
		target_link_libraries(hc_decomp_libs INTERFACE PkgConfig::ISAL)
		set(HC_HAVE_ISAL ON)
		list(APPEND HC_DECOMP_LINK_NAMES isal)
	else()
		find_library(HC_ISAL_LIBRARY isal)
		find_path(HC_ISAL_INCLUDE isa-l/igzip_lib.h)
		if(HC_ISAL_LIBRARY AND HC_ISAL_INCLUDE)
			target_include_directories(hc_decomp_libs INTERFACE
				${HC_ISAL_INCLUDE})
			target_link_libraries(hc_decomp_libs INTERFACE
				${HC_ISAL_LIBRARY})
			set(HC_HAVE_ISAL ON)
			list(APPEND HC_DECOMP_LINK_NAMES isal)
		endif()
	endif()
endif()
if(HC_HAVE_ISAL)
	target_compile_definitions(hc_decomp_libs INTERFACE HC_HAVE_ISAL=1)
	message(STATUS "gzip input: ISA-L igzip")
else()
	message(STATUS "gzip input: zlib (install libisal-dev for ISA-L)")
endif()
