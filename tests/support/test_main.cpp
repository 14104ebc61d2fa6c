// main() of every GoogleTest binary of the suite: gtest's own, plus one check.
//
// ctest runs each test as `BINARY --gtest_filter=Suite.Name`, with the names
// listed when the binary was built. Suites instantiated from the fixtures have
// names that depend on the fixtures present then; if the fixtures changed since
// (fetched or removed after the build), the filter can match no test, and gtest
// would report "0 tests ran" as a pass. That is a silent green, so it fails here.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  const std::string filter = GTEST_FLAG_GET(filter);
  if (rc == 0 && !GTEST_FLAG_GET(list_tests) && filter != "*" &&
      ::testing::UnitTest::GetInstance()->test_to_run_count() == 0) {
    std::fprintf(stderr,
                 "%s: no test matches --gtest_filter=%s. Tests instantiated from the fixtures "
                 "depend on the fixtures present when this binary was built; relink it (delete "
                 "it and rebuild) so that ctest lists its tests again.\n",
                 argc > 0 ? argv[0] : "test", filter.c_str());
    return 1;
  }
  return rc;
}
