/* cpp_naa: napi-task's C++ builder with node-addon-api, in place of a
 * Napi::AsyncProgressWorker subclass.
 *
 *   topWords(text, n, { onProgress, signal }?) -> Promise<[word, count][]>
 *
 * The text is copied into a std::string on the JS thread and moved into
 * perform, which counts words on the threadpool, reports its progress in
 * percent, and returns a lambda that builds the result array with
 * node-addon-api on the JS thread. Built with C++ exceptions and
 * NAPI_CPP_EXCEPTIONS, as node-addon-api's setup guide shows: an exception
 * thrown by perform rejects the promise (code
 * 'ERR_NAPI_TASK_CPP_EXCEPTION'), a Napi::Error thrown on the JS thread
 * reaches JS as itself.
 */
#include <napi.h>

#include <napi_task.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using Counts = std::vector<std::pair<std::string, uint32_t>>;

/* Threadpool: the words of `text` (runs of letters and apostrophes, in
   lower case), most frequent first, ties in alphabetical order. */
Counts CountWords(const std::string &text, size_t n, napi_task::ctx ctx) {
  std::map<std::string, uint32_t> counts;
  std::string word;
  int reported = 0;
  for (size_t i = 0; i <= text.size(); i++) {
    unsigned char c = i < text.size() ? text[i] : ' ';
    if (std::isalpha(c) || c == '\'') {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      counts[word]++;
      word.clear();
    }
    /* Progress in quarters: QUEUE delivers each of them, in order. */
    int percent = static_cast<int>((i + 1) * 4 / (text.size() + 1)) * 25;
    if (percent > reported) {
      reported = percent;
      ctx.progress(percent);
    }
    if (ctx.cancelled()) return {};
  }
  if (counts.empty()) throw std::runtime_error("no words in the text");
  Counts top(counts.begin(), counts.end());
  std::stable_sort(top.begin(), top.end(), [](const auto &a, const auto &b) {
    return a.second > b.second;
  });
  if (top.size() > n) top.resize(n);
  return top;
}

Napi::Value TopWords(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError e =
        Napi::TypeError::New(env, "topWords(text: string, n: number)");
    e.Set("code", "ERR_INVALID_ARG_TYPE");
    throw e;
  }
  std::string text = info[0].As<Napi::String>().Utf8Value();
  size_t n = info[1].As<Napi::Number>().Uint32Value();
  Napi::Object options =
      info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);

  return napi_task::build(env,
                          [text = std::move(text), n](napi_task::ctx ctx) {
                            Counts top = CountWords(text, n, ctx);
                            /* JS thread: the array, with Napi types. */
                            return [top = std::move(top)](Napi::Env env) {
                              Napi::Array a = Napi::Array::New(env, top.size());
                              for (uint32_t i = 0; i < top.size(); i++) {
                                Napi::Array pair = Napi::Array::New(env, 2);
                                pair.Set(0u, top[i].first);
                                pair.Set(1u, top[i].second);
                                a.Set(i, pair);
                              }
                              return a;
                            };
                          })
      .progress(options.Get("onProgress"), napi_task::every)
      .signal(options.Get("signal"))
      .promise();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("topWords", Napi::Function::New(env, TopWords, "topWords"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
