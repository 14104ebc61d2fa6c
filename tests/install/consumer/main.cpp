// Uses the installed headers and library: encodes a request and frames a reply.
#include <cstdio>

#include <nlohmann/json.hpp>
#include <tatami/dojo/framing.h>

int main() {
  std::string wire = tatami::dojo::EncodeRequest({{"cmd", "example : 1 + 1 = 2 := rfl"}});
  tatami::dojo::FrameSplitter splitter;
  splitter.Append("{\"env\":\n 0}\n\n");
  auto frame = splitter.Next();
  if (!frame || nlohmann::json::parse(*frame)["env"] != 0 || wire.back() != '\n') return 1;
  std::puts("consumer ok");
  return 0;
}
