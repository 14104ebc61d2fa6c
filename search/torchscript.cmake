# The TorchScript tactic generator (docs/generator.md): the torch-free library
# tatami_torchscript_generator (tokenisation, beam search, sampling, loading
# the plugin) and, with libtorch, the plugin libtatami_torch_generator.so.
# Included by the build of search/; paths are relative to this file.
set(TATAMI_SEARCH_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(tatami_torchscript_generator
  ${TATAMI_SEARCH_DIR}/src/torchscript_generator.cpp
  ${TATAMI_SEARCH_DIR}/src/torchscript/beam_search.cpp
  ${TATAMI_SEARCH_DIR}/src/torchscript/sampling.cpp
  ${TATAMI_SEARCH_DIR}/src/torchscript/text.cpp)
add_library(tatami::torchscript_generator ALIAS tatami_torchscript_generator)
set_target_properties(tatami_torchscript_generator PROPERTIES EXPORT_NAME torchscript_generator)
target_include_directories(tatami_torchscript_generator
  PUBLIC
    $<BUILD_INTERFACE:${TATAMI_SEARCH_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  PRIVATE ${TATAMI_SEARCH_DIR}/src)
# The ByT5 tokenizer is the retriever's.
target_link_libraries(tatami_torchscript_generator
  PUBLIC tatami::retriever
  PRIVATE tatami::plugin fmt::fmt)
if(TATAMI_WITH_TORCH)
  add_subdirectory(${TATAMI_SEARCH_DIR}/torch ${CMAKE_BINARY_DIR}/search/torch)
endif()
if(TARGET tatami_torch_generator)
  # The build tree's copy is the loader's last resort (tests, running from the build tree).
  target_compile_definitions(tatami_torchscript_generator PRIVATE
    TATAMI_TORCH_GENERATOR_PLUGIN_BUILD_PATH="$<TARGET_FILE:tatami_torch_generator>")
endif()
install(TARGETS tatami_torchscript_generator EXPORT tatamiTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${TATAMI_SEARCH_DIR}/include/tatami/search/torchscript_generator.h
              ${TATAMI_SEARCH_DIR}/include/tatami/search/tactic_generator.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tatami/search)
