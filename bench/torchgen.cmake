# TorchScript generator timing (bench/run_torchgen.sh): time per candidate at
# batch 1 and 16, in one binary; the model is made by scripts/make_test_generator.py.
add_executable(tatami-bench-torchgen ${CMAKE_CURRENT_LIST_DIR}/torchgen_bench.cpp)
target_link_libraries(tatami-bench-torchgen PRIVATE tatami_torchscript_generator CLI11::CLI11
                                                    fmt::fmt)
if(TARGET tatami_torch_generator)
  add_dependencies(tatami-bench-torchgen tatami_torch_generator)
endif()
