# SPDX-License-Identifier: MIT
# Install the headers, the libraries of the kernel, the key layer, the
# input layer and the model, a CMake package and the pkg-config files.
include(CMakePackageConfigHelpers)

install(TARGETS hogcount_shared hogcount_static
	hogcount_keys_shared hogcount_keys_static
	hogcount_input_shared hogcount_input_static
	hogcount_model_shared hogcount_model_static
	EXPORT hogcountTargets
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set_target_properties(hogcount_shared PROPERTIES EXPORT_NAME hogcount)
set_target_properties(hogcount_static PROPERTIES EXPORT_NAME hogcount_static)
set_target_properties(hogcount_keys_shared PROPERTIES EXPORT_NAME keys)
set_target_properties(hogcount_keys_static PROPERTIES EXPORT_NAME keys_static)
set_target_properties(hogcount_input_shared PROPERTIES EXPORT_NAME input)
set_target_properties(hogcount_input_static PROPERTIES EXPORT_NAME input_static)
set_target_properties(hogcount_model_shared PROPERTIES EXPORT_NAME model)
set_target_properties(hogcount_model_static PROPERTIES EXPORT_NAME model_static)
install(EXPORT hogcountTargets
	NAMESPACE hogcount::
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hogcount)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hogcountConfig.cmake.in
	${PROJECT_BINARY_DIR}/hogcountConfig.cmake
	INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hogcount)
# 0.x: a new minor version may break the API (docs/api.md, section 7),
# so find_package(hogcount 0.2) accepts 0.2.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hogcountConfigVersion.cmake
	COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hogcountConfig.cmake
	${PROJECT_BINARY_DIR}/hogcountConfigVersion.cmake
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hogcount)

# Relocatable: prefix is found from the .pc file's own directory.
file(RELATIVE_PATH HC_PC_PREFIX_REL "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig"
	"${CMAKE_INSTALL_PREFIX}")
# No Requires.private: libatomic_ops is inlined into the kernel (headers
# only), so a user without libatomic-ops-dev still resolves hogcount.pc.
# xxHash is linked into the shared library; a static link needs it too,
# named in Libs.private (-lxxhash) rather than Requires.private, so that
# hogcount.pc still resolves where libxxhash.pc is not visible.
# The input layer's compression libraries, for a static link
# (hogcount-input.pc, Libs.private): -lz -llzma -lbz2 -lzstd [-lisal].
list(TRANSFORM HC_DECOMP_LINK_NAMES PREPEND -l OUTPUT_VARIABLE HC_DECOMP_PC)
list(JOIN HC_DECOMP_PC " " HC_DECOMP_PC)
foreach(pc hogcount hogcount-keys hogcount-input hogcount-model)
	configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in
		${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
	install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc
		DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# Last: a library installed into a system directory is loadable at once
# (ldconfig.cmake runs ldconfig there, as root).
install(CODE "set(HC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/cmake/ldconfig.cmake)
