#include "tatami/search/http_generator.h"

#include <future>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace tatami::search {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// A failure worth another attempt (the server may be starting or overloaded).
struct Transient : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string ReplaceAll(std::string s, const std::string& what, const std::string& with) {
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
  return s;
}

std::string Trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

HttpGenerator::HttpGenerator(HttpGeneratorOptions options) : options_(std::move(options)) {
  const std::string prefix = "http://";
  const std::string& url = options_.url;
  if (url.rfind(prefix, 0) != 0)
    throw std::invalid_argument("http generator: URL must start with http:// (got \"" + url +
                                "\")");
  const std::size_t slash = url.find('/', prefix.size());
  const std::string authority = url.substr(
      prefix.size(), slash == std::string::npos ? std::string::npos : slash - prefix.size());
  target_ = slash == std::string::npos ? "/" : url.substr(slash);
  const std::size_t colon = authority.rfind(':');
  host_ = authority.substr(0, colon);
  port_ = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (host_.empty() || port_.empty())
    throw std::invalid_argument("http generator: no host or port in \"" + url + "\"");
  if (options_.retries < 0) throw std::invalid_argument("http generator: negative retries");
}

std::string HttpGenerator::Prompt(const GenerationRequest& request) const {
  std::string premises;
  for (const std::string& p : request.premises) premises += (premises.empty() ? "" : "\n\n") + p;
  // Premises first: a state could contain the text "{premises}".
  std::string prompt = ReplaceAll(options_.prompt_template, "{premises}", premises);
  return ReplaceAll(prompt, "{state}", request.state);
}

std::vector<Candidate> HttpGenerator::GenerateOne(const GenerationRequest& request) const {
  if (request.num_candidates <= 0) return {};
  const std::string body =
      json{{"model", options_.model},           {"prompt", Prompt(request)},
           {"n", request.num_candidates},       {"temperature", options_.temperature},
           {"max_tokens", options_.max_tokens}, {"logprobs", 1}}
          .dump();
  std::string last_error;
  for (int attempt = 0; attempt <= options_.retries; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.expires_after(options_.timeout);
      asio::ip::tcp::resolver resolver(io);
      beast::error_code ec;
      auto endpoints = resolver.resolve(host_, port_, ec);
      if (ec) throw Transient("cannot resolve " + host_ + ": " + ec.message());
      stream.connect(endpoints, ec);
      if (ec) throw Transient("cannot connect to " + host_ + ":" + port_ + ": " + ec.message());
      http::request<http::string_body> req{http::verb::post, target_, 11};
      req.set(http::field::host, host_);
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
      http::write(stream, req, ec);
      if (ec) throw Transient("sending to " + options_.url + ": " + ec.message());
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      http::read(stream, buffer, res, ec);
      if (ec) throw Transient("reading from " + options_.url + ": " + ec.message());
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      const unsigned status = res.result_int();
      if (status >= 500)
        throw Transient(options_.url + " answered " + std::to_string(status) + ": " +
                        res.body().substr(0, 200));
      if (status != 200)
        throw std::runtime_error("http generator: " + options_.url + " answered " +
                                 std::to_string(status) + ": " + res.body().substr(0, 200));
      json doc;
      try {
        doc = json::parse(res.body());
      } catch (const json::exception& e) {
        throw std::runtime_error("http generator: " + options_.url + ": answer is not JSON (" +
                                 e.what() + ")");
      }
      if (!doc.is_object() || !doc.contains("choices") || !doc["choices"].is_array())
        throw std::runtime_error("http generator: " + options_.url + ": answer has no \"choices\"");
      std::vector<Candidate> out;
      for (const json& choice : doc["choices"]) {
        if (!choice.is_object() || !choice.contains("text") || !choice["text"].is_string())
          throw std::runtime_error("http generator: " + options_.url +
                                   ": a choice has no \"text\"");
        std::string tactic = Trim(choice["text"].get<std::string>());
        if (tactic.empty()) continue;
        double score = 0;
        if (choice.contains("logprobs") && choice["logprobs"].is_object() &&
            choice["logprobs"].contains("token_logprobs") &&
            choice["logprobs"]["token_logprobs"].is_array())
          for (const json& lp : choice["logprobs"]["token_logprobs"])
            if (lp.is_number()) score += lp.get<double>();
        out.push_back({std::move(tactic), score});
      }
      return out;
    } catch (const Transient& e) {
      last_error = e.what();
    } catch (const beast::system_error& e) {
      last_error = e.what();
    }
  }
  throw std::runtime_error("http generator: giving up after " +
                           std::to_string(options_.retries + 1) + " attempts: " + last_error);
}

std::vector<std::vector<Candidate>> HttpGenerator::Generate(
    const std::vector<GenerationRequest>& batch) {
  std::vector<std::future<std::vector<Candidate>>> pending;
  for (const GenerationRequest& r : batch)
    pending.push_back(std::async(std::launch::async, [this, &r] { return GenerateOne(r); }));
  std::vector<std::vector<Candidate>> out;
  for (auto& f : pending) out.push_back(f.get());  // rethrows the first failure
  return out;
}

}  // namespace tatami::search
