// Uses the installed headers and libraries: encodes a request, frames a
// reply, and rewards a finished proof.
#include <cstdio>

#include <nlohmann/json.hpp>
#include <tatami/dojo/framing.h>
#include <tatami/env/reward.h>

int main() {
  std::string wire = tatami::dojo::EncodeRequest({{"cmd", "example : 1 + 1 = 2 := rfl"}});
  tatami::dojo::FrameSplitter splitter;
  splitter.Append("{\"env\":\n 0}\n\n");
  auto frame = splitter.Next();
  if (!frame || nlohmann::json::parse(*frame)["env"] != 0 || wire.back() != '\n') return 1;
  if (tatami::env::Reward({}, tatami::env::OutcomeKind::kProofFinished, 1, 0) != 1.0) return 1;
  std::puts("consumer ok");
  return 0;
}
