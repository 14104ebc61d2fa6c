// HttpGenerator against a stub OpenAI-compatible server on 127.0.0.1 that
// this test runs: request fields, scores from token log-probs, retries after
// 5xx, client errors and an unreachable server.
#include "tatami/search/http_generator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tatami/search/generator_factory.h"

namespace tatami::search {
namespace {

using nlohmann::json;

// Serves HTTP/1.1 requests one connection at a time; `answer(body)` returns
// (status, response body). Records request bodies.
class StubServer {
 public:
  explicit StubServer(std::function<std::pair<int, std::string>(const json&)> answer)
      : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("stub server: cannot listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StubServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/v1/completions";
  }
  std::vector<json> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string data;
      char buf[4096];
      std::size_t need = std::string::npos;
      while (need == std::string::npos || data.size() < need) {
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        data.append(buf, static_cast<std::size_t>(n));
        const std::size_t end = data.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          std::size_t length = 0;
          const std::size_t at = data.find("Content-Length: ");
          if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
          need = end + 4 + length;
        }
      }
      const json body = json::parse(data.substr(data.find("\r\n\r\n") + 4));
      std::pair<int, std::string> reply;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(body);
        reply = answer_(body);
      }
      const std::string out = "HTTP/1.1 " + std::to_string(reply.first) +
                              " X\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(reply.second.size()) +
                              "\r\nConnection: close\r\n\r\n" + reply.second;
      (void)!::write(c, out.data(), out.size());
      ::close(c);
    }
  }
  std::function<std::pair<int, std::string>(const json&)> answer_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<json> requests_;
  std::thread thread_;
};

std::string Choices(const std::string& prompt) {
  return json{
      {"choices",
       {{{"text", " simp\n"}, {"logprobs", {{"token_logprobs", {-0.25, -0.5}}}}},
        {{"text", "rfl " + prompt.substr(0, 1)}, {"logprobs", {{"token_logprobs", {-1.0}}}}},
        {{"text", "  "}, {"logprobs", nullptr}}}}}
      .dump();
}

GenerationRequest Req(std::string state, int n) {
  GenerationRequest r;
  r.state = std::move(state);
  r.num_candidates = n;
  return r;
}

TEST(HttpGenerator, SendsTheTemplatedPromptAndScoresBySummedTokenLogprobs) {
  StubServer server([](const json& body) {
    return std::make_pair(200, Choices(body["prompt"].get<std::string>()));
  });
  HttpGeneratorOptions o;
  o.url = server.url();
  o.model = "prover";
  o.prompt_template = "{premises}|{state}|";
  o.temperature = 0.5;
  HttpGenerator g(o);
  GenerationRequest a = Req("⊢ a", 3);
  a.premises = {"p1", "p2"};
  auto out = g.Generate({a, Req("⊢ b", 2)});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].size(), 2u);  // the blank choice is dropped
  EXPECT_EQ(out[0][0], (Candidate{"simp", -0.75}));
  EXPECT_EQ(out[0][1], (Candidate{"rfl p", -1.0}));
  EXPECT_EQ(out[1][1].tactic, "rfl |");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  bool saw_a = false;
  for (const json& r : requests) {
    EXPECT_EQ(r["model"], "prover");
    EXPECT_EQ(r["temperature"], 0.5);
    EXPECT_EQ(r["logprobs"], 1);
    if (r["prompt"] == "p1\n\np2|⊢ a|") {
      saw_a = true;
      EXPECT_EQ(r["n"], 3);
    }
  }
  EXPECT_TRUE(saw_a);
}

TEST(HttpGenerator, RetriesServerErrorsAndFailsOnClientErrors) {
  int calls = 0;
  StubServer flaky([&](const json& body) {
    return ++calls == 1 ? std::make_pair(503, std::string("busy"))
                        : std::make_pair(200, Choices(body["prompt"].get<std::string>()));
  });
  HttpGeneratorOptions o;
  o.url = flaky.url();
  HttpGenerator g(o);
  EXPECT_EQ(g.Generate({Req("s", 1)})[0].size(), 2u);
  EXPECT_EQ(calls, 2);

  StubServer refusing([](const json&) { return std::make_pair(400, std::string("bad request")); });
  o.url = refusing.url();
  HttpGenerator bad(o);
  try {
    bad.Generate({Req("s", 1)});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("answered 400: bad request"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(refusing.requests().size(), 1u);  // not retried
}

TEST(HttpGenerator, UnreachableServerFailsAfterTheRetries) {
  int port;
  {
    StubServer gone([](const json&) { return std::make_pair(200, std::string("{}")); });
    port = std::stoi(gone.url().substr(17));
  }
  HttpGeneratorOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/completions";
  o.retries = 1;
  HttpGenerator g(o);
  try {
    g.Generate({Req("s", 1)});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("giving up after 2 attempts"), std::string::npos)
        << e.what();
  }
}

TEST(HttpGenerator, SpecsAndBadUrls) {
  EXPECT_THROW(HttpGenerator(HttpGeneratorOptions{}), std::invalid_argument);
  EXPECT_EQ(
      MakeGenerator("http:http://127.0.0.1:9/v1/completions,model=m,temperature=0.2")->Describe(),
      "http:http://127.0.0.1:9/v1/completions");
  EXPECT_THROW(MakeGenerator("http:https://x/v1"), GeneratorSpecError);
  EXPECT_THROW(MakeGenerator("http:http://x:1/v1,temperature=hot"), GeneratorSpecError);
  EXPECT_THROW(MakeGenerator("http:http://x:1/v1,colour=red"), GeneratorSpecError);
}

}  // namespace
}  // namespace tatami::search
