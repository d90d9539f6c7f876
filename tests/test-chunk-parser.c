/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "confab-chunk-parser.h"
#include "confab-sse-parser.h"
#include "test-splits.h"

/* U+FFFD REPLACEMENT CHARACTER, which stands in for every invalid byte. */
#define FFFD "\xef\xbf\xbd"

/* For data that holds NUL bytes: passed with its exact length only. */
#define WITH_NUL(str) .data = (str), .size = sizeof (str) - 1

#define OPENAI_HEAD \
  "{\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1741569952,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\"," \
  "\"system_fingerprint\":\"fp_06737a9306\",\"choices\":"
#define OPENAI_MODEL "gpt-4o-mini-2024-07-18"

#define AZURE_FILTERS \
  "\"content_filter_results\":{\"hate\":{\"filtered\":false,\"severity\":\"safe\"}," \
  "\"self_harm\":{\"filtered\":false,\"severity\":\"safe\"}," \
  "\"sexual\":{\"filtered\":false,\"severity\":\"safe\"}," \
  "\"violence\":{\"filtered\":false,\"severity\":\"safe\"}}"
#define AZURE_TAIL \
  "\"created\":1741570000,\"id\":\"chatcmpl-B9MJ2kQz\",\"model\":\"gpt-4o-2024-08-06\"," \
  "\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_b705f0c291\"}"

#define OPENROUTER_HEAD \
  "{\"id\":\"gen-1741570100-Zq8YtWcKfEo\",\"provider\":\"Chutes\"," \
  "\"model\":\"deepseek/deepseek-r1\"," \
  "\"object\":\"chat.completion.chunk\",\"created\":1741570100,\"choices\":"

#define DEEPSEEK_HEAD \
  "{\"id\":\"5f0e1b8c-4a8e-4f5c-9d59-0f6f4c1b2d7e\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1741570200,\"model\":\"deepseek-reasoner\"," \
  "\"system_fingerprint\":\"fp_5417b77867_prod0225\"," \
  "\"choices\":"

#define LLAMACPP_TAIL \
  "\"created\":1741570300,\"id\":\"chatcmpl-6kB3cVbU1Xy\",\"model\":\"gpt-3.5-turbo\"," \
  "\"system_fingerprint\":\"b4880-2c9f833d\",\"object\":\"chat.completion.chunk\""

#define OLLAMA_HEAD \
  "{\"id\":\"chatcmpl-917\",\"object\":\"chat.completion.chunk\",\"created\":1741570400," \
  "\"model\":\"qwen3:8b\",\"system_fingerprint\":\"fp_ollama\",\"choices\":"

#define VLLM_HEAD \
  "{\"id\":\"chatcmpl-5f1e2d3c4b5a\",\"object\":\"chat.completion.chunk\",\"created\":1741570500," \
  "\"model\":\"Qwen/Qwen3-8B\",\"choices\":"

#define GROQ_HEAD \
  "{\"id\":\"chatcmpl-3c2f6e9a\",\"object\":\"chat.completion.chunk\",\"created\":1741570600," \
  "\"model\":\"llama-3.1-8b-instant\",\"system_fingerprint\":\"fp_a4265e44d5\",\"choices\":"

#define MISTRAL_HEAD \
  "{\"id\":\"e5cc1a8f2b7d4c3e\",\"object\":\"chat.completion.chunk\",\"created\":1741570700," \
  "\"model\":\"magistral-medium-2506\",\"choices\":"

typedef struct
{
  const char      *name;
  const char      *event_type;
  const char      *data;
  gsize            size;  /* 0: data is NUL-terminated */
  gboolean         malformed;
  ConfabChunkKind  kind;
  const char      *content;
  const char      *reasoning;
  const char      *finish_reason;
  gboolean         has_usage;
  gint64           prompt_tokens;
  gint64           completion_tokens;
  gint64           total_tokens;
  const char      *model;
  const char      *error_message;
  const char      *error_type;
  gboolean         has_tool_calls;
} ChunkCase;

/* Content "" stays "" and a null or missing content is NULL: the parser
 * copies what the server said. */
static const ChunkCase chunk_cases[] = {
  /* OpenAI: a role-only first delta, content, the finish chunk, then usage
   * in a chunk with empty choices (stream_options.include_usage). */
  {
    .name = "openai/role-only",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
            "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}",
    .content = "",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/content",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\"こんにちは\"},\"logprobs\":null,"
            "\"finish_reason\":null}],\"usage\":null}",
    .content = "こんにちは",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/refusal",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":null,\"refusal\":"
            "\"I'm sorry, I can't help with that.\"},\"logprobs\":null,"
            "\"finish_reason\":null}],\"usage\":null}",
    .content = "I'm sorry, I can't help with that.",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/finish",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            "\"usage\":null}",
    .finish_reason = "stop",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/finish-length",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":"
                        "null,\"finish_reason\":\"length\"}]}",
    .finish_reason = "length",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/usage",
    .data = OPENAI_HEAD "[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":"
                        "6,\"total_tokens\":37,"
            "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
            "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
            "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}",
    .has_usage = TRUE,
    .prompt_tokens = 31,
    .completion_tokens = 6,
    .total_tokens = 37,
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/logprobs",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\" Hi\"},\"logprobs\":{\"content\":"
            "[{\"token\":\" Hi\",\"logprob\":-0.0012,\"bytes\":[32,72,105],\"top_logprobs\":"
            "[{\"token\":\" Hi\",\"logprob\":-0.0012,\"bytes\":[32,72,105]}]}],\"refusal\":null},"
            "\"finish_reason\":null}]}",
    .content = " Hi",
    .model = OPENAI_MODEL,
  },
  {
    .name = "openai/stream-error",
    .data = "{\"error\":{\"message\":\"The server had an error while processing your request. "
            "Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "The server had an error while processing your request. Sorry about that!",
    .error_type = "server_error",
  },
  {
    .name = "openai/stream-error-code-only",
    .data = "{\"error\":{\"message\":\"Rate limit reached for gpt-4o.\",\"type\":null,"
            "\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Rate limit reached for gpt-4o.",
    .error_type = "rate_limit_exceeded",
  },

  /* Azure OpenAI: prompt filter results first, with empty choices and empty
   * strings where the id and model go. */
  {
    .name = "azure/prompt-filter",
    .data = "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
            "\"prompt_filter_results\":[{\"prompt_index\":0," AZURE_FILTERS "}]}",
    .model = "",
  },
  {
    .name = "azure/role",
    .data = "{\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"\","
            "\"refusal\":null,\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0,"
            "\"logprobs\":null}]," AZURE_TAIL,
    .content = "",
    .model = "gpt-4o-2024-08-06",
  },
  {
    .name = "azure/content",
    .data = "{\"choices\":[{" AZURE_FILTERS ",\"delta\":{\"content\":\"안녕하세요\"},"
            "\"finish_reason\":null,\"index\":0,\"logprobs\":null}]," AZURE_TAIL,
    .content = "안녕하세요",
    .model = "gpt-4o-2024-08-06",
  },
  {
    .name = "azure/content-filter",
    .data = "{\"choices\":[{\"content_filter_results\":{\"violence\":{\"filtered\":true,"
            "\"severity\":\"medium\"}},\"delta\":{},\"finish_reason\":\"content_filter\","
            "\"index\":0,\"logprobs\":null}]," AZURE_TAIL,
    .finish_reason = "content_filter",
    .model = "gpt-4o-2024-08-06",
  },

  /* OpenRouter: "reasoning", and errors after the stream has started. */
  {
    .name = "openrouter/reasoning",
    .data = OPENROUTER_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
            "\"reasoning\":\"The user wants a translation\",\"reasoning_details\":[{\"type\":"
            "\"reasoning.text\",\"text\":\"The user wants a translation\",\"format\":\"unknown\","
            "\"index\":0}]},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":"
            "null}]}",
    .content = "",
    .reasoning = "The user wants a translation",
    .model = "deepseek/deepseek-r1",
  },
  {
    .name = "openrouter/usage",
    .data = OPENROUTER_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            "\"finish_reason\":\"stop\",\"native_finish_reason\":\"stop\",\"logprobs\":null}],"
            "\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":120,\"total_tokens\":134,"
            "\"cost\":0.00031,\"is_byok\":false,\"prompt_tokens_details\":{\"cached_tokens\":0},"
            "\"completion_tokens_details\":{\"reasoning_tokens\":96}}}",
    .content = "",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 14,
    .completion_tokens = 120,
    .total_tokens = 134,
    .model = "deepseek/deepseek-r1",
  },
  {
    .name = "openrouter/mid-stream-error",
    .data = "{\"id\":\"cmpl-abc123\",\"object\":\"chat.completion.chunk\",\"created\":1741570150,"
            "\"model\":\"openai/gpt-4o\",\"provider\":\"OpenAI\",\"error\":"
            "{\"code\":\"server_error\","
            "\"message\":\"Provider disconnected unexpectedly\"},\"choices\":[{\"index\":0,"
            "\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .content = "",
    .finish_reason = "error",
    .model = "openai/gpt-4o",
    .error_message = "Provider disconnected unexpectedly",
    .error_type = "server_error",
  },
  {
    .name = "openrouter/numeric-code",
    .data = "{\"id\":\"gen-1741570160-Ab\",\"object\":\"chat.completion.chunk\",\"created\":"
            "1741570160,"
            "\"model\":\"meta-llama/llama-3.3-70b-instruct\",\"error\":{\"code\":502,\"message\":"
            "\"Upstream error from Together: Bad gateway\",\"metadata\":{\"provider_name\":"
            "\"Together\",\"raw\":\"<html>502</html>\"}},\"choices\":[{\"index\":0,\"delta\":"
            "{\"content\":\"\"},\"finish_reason\":\"error\"}]}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .content = "",
    .finish_reason = "error",
    .model = "meta-llama/llama-3.3-70b-instruct",
    .error_message = "Upstream error from Together: Bad gateway",
    .error_type = "502",
  },

  /* DeepSeek: reasoning_content first with a null content, then content. */
  {
    .name = "deepseek/first",
    .data = DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
            "\"reasoning_content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
    .reasoning = "",
    .model = "deepseek-reasoner",
  },
  {
    .name = "deepseek/reasoning",
    .data = DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":"
            "\"嗯，用户想把韩语翻译成日语。\"},\"logprobs\":null,\"finish_reason\":null}]}",
    .reasoning = "嗯，用户想把韩语翻译成日语。",
    .model = "deepseek-reasoner",
  },
  {
    .name = "deepseek/content",
    .data = DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":\"ありがとう\","
            "\"reasoning_content\":null},\"logprobs\":null,\"finish_reason\":null}]}",
    .content = "ありがとう",
    .model = "deepseek-reasoner",
  },
  {
    .name = "deepseek/usage",
    .data = DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":\"\",\"reasoning_content\":null},"
            "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":17,"
            "\"completion_tokens\":245,\"total_tokens\":262,\"prompt_tokens_details\":"
            "{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":230},"
            "\"prompt_cache_hit_tokens\":0,\"prompt_cache_miss_tokens\":17}}",
    .content = "",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 17,
    .completion_tokens = 245,
    .total_tokens = 262,
    .model = "deepseek-reasoner",
  },

  /* llama.cpp's server: members in its own order, and timings at the end. */
  {
    .name = "llama.cpp/content",
    .data = "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" "
            "world\"}}],"
            LLAMACPP_TAIL "}",
    .content = " world",
    .model = "gpt-3.5-turbo",
  },
  {
    .name = "llama.cpp/reasoning",
    .data = "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"reasoning_content\":"
            "\"Okay\"}}]," LLAMACPP_TAIL "}",
    .reasoning = "Okay",
    .model = "gpt-3.5-turbo",
  },
  {
    .name = "llama.cpp/timings",
    .data = "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]," LLAMACPP_TAIL
            ",\"usage\":{\"completion_tokens\":42,\"prompt_tokens\":17,\"total_tokens\":59},"
            "\"timings\":{\"prompt_n\":17,\"prompt_ms\":35.116,\"prompt_per_token_ms\":2.065647,"
            "\"prompt_per_second\":484.1097,\"predicted_n\":42,\"predicted_ms\":612.43,"
            "\"predicted_per_token_ms\":14.581667,\"predicted_per_second\":68.579266}}",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 17,
    .completion_tokens = 42,
    .total_tokens = 59,
    .model = "gpt-3.5-turbo",
  },

  /* Ollama's /v1 compatibility endpoint. */
  {
    .name = "ollama/content",
    .data = OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Bonjour\"},"
            "\"finish_reason\":null}]}",
    .content = "Bonjour",
    .model = "qwen3:8b",
  },
  {
    .name = "ollama/reasoning",
    .data = OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
            "\"reasoning\":\"Okay, the user\"},\"finish_reason\":null}]}",
    .content = "",
    .reasoning = "Okay, the user",
    .model = "qwen3:8b",
  },
  {
    .name = "ollama/finish",
    .data = OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            "\"finish_reason\":\"stop\"}]}",
    .content = "",
    .finish_reason = "stop",
    .model = "qwen3:8b",
  },
  {
    .name = "ollama/usage",
    .data = OLLAMA_HEAD "[],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":112,"
            "\"total_tokens\":138}}",
    .has_usage = TRUE,
    .prompt_tokens = 26,
    .completion_tokens = 112,
    .total_tokens = 138,
    .model = "qwen3:8b",
  },

  /* vLLM: reasoning under both names, escaped text, and its error object. */
  {
    .name = "vllm/reasoning",
    .data = VLLM_HEAD "[{\"index\":0,\"delta\":{\"reasoning_content\":\"Let me\"},"
            "\"logprobs\":null,\"finish_reason\":null}]}",
    .reasoning = "Let me",
    .model = "Qwen/Qwen3-8B",
  },
  {
    .name = "vllm/both-reasoning-names",
    .data = VLLM_HEAD "[{\"index\":0,\"delta\":{\"reasoning_content\":\" think\","
            "\"reasoning\":\" think\"},\"logprobs\":null,\"finish_reason\":null}]}",
    .reasoning = " think",
    .model = "Qwen/Qwen3-8B",
  },
  {
    .name = "vllm/ascii-escaped",
    .data = VLLM_HEAD "[{\"index\":0,\"delta\":{\"content\":\"\\u3053\\u3093\\u306b\\u3061\\u306f"
            " \\uc548\\ub155\"},\"logprobs\":null,\"finish_reason\":null}]}",
    .content = "こんにちは 안녕",
    .model = "Qwen/Qwen3-8B",
  },
  {
    .name = "vllm/error-object",
    .data = "{\"object\":\"error\",\"message\":\"This model's maximum context length is 32768 "
            "tokens. However, you requested 40000 tokens.\",\"type\":\"BadRequestError\","
            "\"param\":null,\"code\":400}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "This model's maximum context length is 32768 tokens. However, you "
                     "requested 40000 tokens.",
    .error_type = "BadRequestError",
  },
  {
    .name = "vllm/error-object-code",
    .data = "{\"object\":\"error\",\"message\":\"The engine is dead.\",\"type\":null,\"code\":"
            "500.0}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "The engine is dead.",
    .error_type = "500",
  },
  {
    .name = "vllm/error-member",
    .data = "{\"error\":{\"message\":\"Prompt too long\",\"type\":\"BadRequestError\","
            "\"param\":null,\"code\":400}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Prompt too long",
    .error_type = "BadRequestError",
  },

  /* Groq puts usage under x_groq. */
  {
    .name = "groq/first",
    .data = GROQ_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
            "\"logprobs\":null,\"finish_reason\":null}],\"x_groq\":{\"id\":\"req_01jp3x8d\"}}",
    .content = "",
    .model = "llama-3.1-8b-instant",
  },
  {
    .name = "groq/usage",
    .data = GROQ_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
            "\"x_groq\":{\"id\":\"req_01jp3x8d\",\"usage\":{\"queue_time\":0.020118,"
            "\"prompt_tokens\":18,\"prompt_time\":0.001,\"completion_tokens\":9,"
            "\"completion_time\":0.0075,\"total_tokens\":27,\"total_time\":0.0085}}}",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 18,
    .completion_tokens = 9,
    .total_tokens = 27,
    .model = "llama-3.1-8b-instant",
  },
  {
    .name = "groq/top-level-usage-wins",
    .data = GROQ_HEAD "[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
            "\"total_tokens\":3},\"x_groq\":{\"usage\":{\"prompt_tokens\":7,"
            "\"completion_tokens\":8,\"total_tokens\":15}}}",
    .has_usage = TRUE,
    .prompt_tokens = 1,
    .completion_tokens = 2,
    .total_tokens = 3,
    .model = "llama-3.1-8b-instant",
  },

  /* Mistral: content as an array of parts; reasoning in "thinking" parts. */
  {
    .name = "mistral/text",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Ciao\"},\"finish_reason\":null}]}",
    .content = "Ciao",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/text-parts",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":["
                         "{\"type\":\"text\",\"text\":\"Bon\"},"
            "{\"type\":\"text\",\"text\":\"jour\"}]},\"finish_reason\":null}]}",
    .content = "Bonjour",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/thinking-part",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
            "[{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"The user\"}]}]},"
            "\"finish_reason\":null}]}",
    .reasoning = "The user",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/thinking-and-text",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":["
                         "{\"type\":\"thinking\",\"thinking\":"
            "[{\"type\":\"text\",\"text\":\"Done.\"}]},{\"type\":\"text\",\"text\":\"Salut\"}]},"
            "\"finish_reason\":null}]}",
    .content = "Salut",
    .reasoning = "Done.",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/other-parts",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"image_url\","
            "\"image_url\":\"https://example.com/a.png\"},\"plain \",{\"text\":\"untyped\"},"
            "{\"type\":\"reference\",\"reference_ids\":[1]},{\"type\":\"text\",\"text\":null}]},"
            "\"finish_reason\":null}]}",
    .content = "plain untyped",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/no-text-parts",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":[]},\"finish_reason\":null}]}",
    .model = "magistral-medium-2506",
  },
  {
    .name = "mistral/usage-in-last-chunk",
    .data = MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}],"
            "\"usage\":{\"prompt_tokens\":10,\"total_tokens\":22,\"completion_tokens\":12}}",
    .content = "",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 10,
    .completion_tokens = 12,
    .total_tokens = 22,
    .model = "magistral-medium-2506",
  },

  /* Tool calls are recognised and otherwise ignored. */
  {
    .name = "tools/first",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
            "\"tool_calls\":[{\"index\":0,\"id\":\"call_DdmO9pD3xa9XTPNJ32zg2hcA\",\"type\":"
            "\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}],"
            "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}",
    .model = OPENAI_MODEL,
    .has_tool_calls = TRUE,
  },
  {
    .name = "tools/arguments",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
            "{\"arguments\":\"{\\\"location\\\":\\\"Seoul\"}}]},\"logprobs\":null,"
            "\"finish_reason\":null}]}",
    .model = OPENAI_MODEL,
    .has_tool_calls = TRUE,
  },
  {
    .name = "tools/finish",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":null,"
            "\"finish_reason\":\"tool_calls\"}]}",
    .finish_reason = "tool_calls",
    .model = OPENAI_MODEL,
  },
  {
    .name = "tools/empty-array",
    .data = VLLM_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Hi\",\"tool_calls\":[]},"
            "\"finish_reason\":null}]}",
    .content = "Hi",
    .model = "Qwen/Qwen3-8B",
  },
  {
    .name = "tools/function-call",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"function_call\":{\"name\":\"lookup\","
            "\"arguments\":\"\"}},\"finish_reason\":null}]}",
    .model = OPENAI_MODEL,
    .has_tool_calls = TRUE,
  },

  /* An application/json answer to a streamed request: one whole completion. */
  {
    .name = "completion/message",
    .data = "{\"id\":\"chatcmpl-B9MKq\",\"object\":\"chat.completion\",\"created\":1741570800,"
            "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":"
            "{\"role\":\"assistant\",\"content\":\"안녕하세요 → こんにちは\",\"refusal\":null,"
            "\"annotations\":[]},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
            "{\"prompt_tokens\":19,\"completion_tokens\":3,\"total_tokens\":22},"
            "\"service_tier\":\"default\",\"system_fingerprint\":\"fp_06737a9306\"}",
    .content = "안녕하세요 → こんにちは",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 19,
    .completion_tokens = 3,
    .total_tokens = 22,
    .model = OPENAI_MODEL,
  },
  {
    .name = "completion/message-reasoning",
    .data = "{\"id\":\"930c60df\",\"object\":\"chat.completion\",\"created\":1741570900,"
            "\"model\":\"deepseek-reasoner\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
            "\"assistant\",\"content\":\"9.11 < 9.8\",\"reasoning_content\":\"Compare the "
            "decimals.\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":"
            "{\"prompt_tokens\":12,\"completion_tokens\":80,\"total_tokens\":92}}",
    .content = "9.11 < 9.8",
    .reasoning = "Compare the decimals.",
    .finish_reason = "stop",
    .has_usage = TRUE,
    .prompt_tokens = 12,
    .completion_tokens = 80,
    .total_tokens = 92,
    .model = "deepseek-reasoner",
  },
  {
    .name = "completion/message-tool-calls",
    .data = "{\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
            "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
            "\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
    .finish_reason = "tool_calls",
    .model = "gpt-4o",
    .has_tool_calls = TRUE,
  },

  /* Shapes of choices and delta that are normal traffic. */
  {
    .name = "choices/index-0-wins",
    .data = "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}},{\"index\":0,"
            "\"delta\":{\"content\":\"A\"},\"finish_reason\":\"stop\"}]}",
    .content = "A",
    .finish_reason = "stop",
  },
  {
    .name = "choices/no-index",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"A\"}},{\"delta\":{\"content\":\"B\"}}]}",
    .content = "A",
  },
  {
    .name = "choices/only-index-1",
    .data = "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}}]}",
    .content = "B",
  },
  {
    .name = "choices/non-objects",
    .data = "{\"choices\":[null,1,\"x\",[]]}",
  },
  {
    .name = "choices/null",
    .data = "{\"model\":\"m\",\"choices\":null}",
    .model = "m",
  },
  {
    .name = "choices/missing",
    .data = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"}",
  },
  {
    .name = "choices/object",
    .data = "{\"choices\":{\"index\":0,\"delta\":{\"content\":\"A\"}}}",
  },
  {
    .name = "delta/empty",
    .data = "{\"choices\":[{\"index\":0,\"delta\":{}}]}",
  },
  {
    .name = "delta/not-object",
    .data = "{\"choices\":[{\"index\":0,\"delta\":\"text\",\"finish_reason\":null}]}",
  },
  {
    .name = "delta/wrong-types",
    .data = "{\"model\":7,\"choices\":[{\"index\":0,\"delta\":{\"content\":42,\"reasoning\":"
            "{},\"tool_calls\":{}},\"finish_reason\":1}]}",
  },
  {
    .name = "object/empty",
    .data = "{}",
  },
  {
    .name = "object/whitespace-around",
    .data = " \r\n{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\t ",
    .content = "x",
  },
  {
    .name = "object/unknown-fields",
    .data = "{\"id\":\"x\",\"future\":{\"a\":[1,2.5,-3e-2,true,false,null,{\"b\":\"c\"}]},"
            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"y\",\"audio\":{\"id\":\"a\"}},"
            "\"stop_reason\":null,\"matched_stop\":151645}],\"obfuscation\":\"Xy3\"}",
    .content = "y",
  },
  {
    .name = "object/duplicate-keys",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"first\",\"content\":\"last\"}}]}",
    .content = "last",
  },

  /* The error member in its other forms. */
  {
    .name = "error/null",
    .data = "{\"error\":null,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}",
    .content = "ok",
  },
  {
    .name = "error/empty-string",
    .data = "{\"error\":\"\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}",
    .content = "ok",
  },
  {
    .name = "error/string",
    .data = "{\"error\":\"Internal server error\"}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Internal server error",
  },
  {
    .name = "error/no-message",
    .data = "{\"error\":{\"type\":\"overloaded\"},\"message\":\"Server overloaded\"}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Server overloaded",
    .error_type = "overloaded",
  },
  {
    .name = "error/empty-object",
    .data = "{\"error\":{}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
  },

  /* Token counts as doubles, missing, of other types, or out of range. */
  {
    .name = "usage/doubles",
    .data = "{\"choices\":[],\"usage\":{\"prompt_tokens\":12.0,\"completion_tokens\":3e1,"
            "\"total_tokens\":42.9}}",
    .has_usage = TRUE,
    .prompt_tokens = 12,
    .completion_tokens = 30,
    .total_tokens = 42,
  },
  {
    .name = "usage/missing-members",
    .data = "{\"usage\":{\"total_tokens\":7}}",
    .has_usage = TRUE,
    .total_tokens = 7,
  },
  {
    .name = "usage/empty",
    .data = "{\"usage\":{}}",
    .has_usage = TRUE,
  },
  {
    .name = "usage/null",
    .data = "{\"choices\":[],\"usage\":null}",
  },
  {
    .name = "usage/not-object",
    .data = "{\"usage\":\"37\"}",
  },
  {
    .name = "usage/wrong-types",
    .data = "{\"usage\":{\"prompt_tokens\":\"12\",\"completion_tokens\":true,\"total_tokens\":"
            "null}}",
    .has_usage = TRUE,
  },
  {
    .name = "usage/out-of-range",
    .data = "{\"usage\":{\"prompt_tokens\":1e400,\"completion_tokens\":-1e400,"
            "\"total_tokens\":9007199254740993}}",
    .has_usage = TRUE,
    .prompt_tokens = G_MAXINT64,
    .completion_tokens = G_MININT64,
    .total_tokens = G_GINT64_CONSTANT (9007199254740993),
  },

  /* JSON escapes. json-glib 1.6 fails a whole event on a lone surrogate
   * escape before a quote, and eats the character after one elsewhere, so
   * the parser turns each lone surrogate into U+FFFD first. */
  {
    .name = "escapes/all-kinds",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\u00e9 \\ud83d\\ude00 \\n \\\" \\\\ \\/ "
            "\\t \\b\\f\\r \\u2028 \\u0041\"}}]}",
    .content = "é 😀 \n \" \\ / \t \b\f\r \xe2\x80\xa8 A",
  },
  {
    .name = "escapes/uppercase-pair",
    .data = "{\"choices\":[{\"delta\":"
            "{\"content\":\"\\uD83D\\uDE00\\uD83C\\uDDEF\\uD83C\\uDDF5\"}}]}",
    .content = "😀🇯🇵",
  },
  {
    .name = "escapes/lone-high",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"a\\ud800b\"}}]}",
    .content = "a" FFFD "b",
  },
  {
    .name = "escapes/lone-high-at-end",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\ud800\"}}]}",
    .content = FFFD,
  },
  {
    .name = "escapes/lone-high-before-escape",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\ud800\\n\"}}]}",
    .content = FFFD "\n",
  },
  {
    .name = "escapes/lone-low",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"x\\udc00\"}}]}",
    .content = "x" FFFD,
  },
  {
    .name = "escapes/reversed-pair",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\ude00\\ud83d\"}}]}",
    .content = FFFD FFFD,
  },
  {
    .name = "escapes/high-then-letter",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\\u0041\"}}]}",
    .content = FFFD "A",
  },
  {
    .name = "escapes/high-then-pair",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\\ud83d\\ude00\"}}]}",
    .content = FFFD "😀",
  },
  {
    .name = "escapes/escaped-backslash",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\\\ud800 \\\\\\ud83d\\ude00\"}}]}",
    .content = "\\ud800 \\😀",
  },
  {
    .name = "escapes/nul",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}",
    .content = "a" FFFD "b",
  },
  {
    .name = "escapes/lone-surrogate-in-error",
    .data = "{\"error\":{\"message\":\"bad \\udfff\",\"type\":\"\\ud800x\"}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "bad " FFFD,
    .error_type = FFFD "x",
  },
  {
    .name = "escapes/lone-surrogate-in-key",
    .data = "{\"\\ud800\":1,\"choices\":[{\"delta\":{\"content\":\"k\"}}]}",
    .content = "k",
  },
  {
    .name = "escapes/brackets-in-strings",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"[[[[{{{{\\\"]]]}}\"}}]}",
    .content = "[[[[{{{{\"]]]}}",
  },

  /* Raw bytes that are not UTF-8 become U+FFFD, one for each bad byte. */
  {
    .name = "utf8/invalid-bytes",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"caf\xc3 \xff\xfe ok\"}}]}",
    .content = "caf" FFFD " " FFFD FFFD " ok",
  },
  {
    .name = "utf8/truncated-emoji",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\xf0\x9f\x98\"}}]}",
    .content = FFFD FFFD FFFD,
  },
  {
    .name = "utf8/overlong",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\xc0\xaf\"}}]}",
    .content = FFFD FFFD,
  },
  {
    .name = "utf8/encoded-surrogate",
    .data = "{\"choices\":[{\"delta\":{\"reasoning_content\":\"\xed\xa0\x80!\"}}]}",
    .reasoning = FFFD FFFD FFFD "!",
  },
  {
    .name = "utf8/in-model-and-finish-reason",
    .data = "{\"model\":\"m\xff\",\"choices\":[{\"delta\":{},\"finish_reason\":\"st\x80op\"}]}",
    .finish_reason = "st" FFFD "op",
    .model = "m" FFFD,
  },
  {
    .name = "utf8/nul-byte-in-string",
    WITH_NUL ("{\"choices\":[{\"delta\":{\"content\":\"a\0b\"}}]}"),
    .content = "a" FFFD "b",
  },

  /* Malformed data fails that one event with an error that quotes nothing. */
  {
    .name = "malformed/truncated",
    .data = OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Hel",
    .malformed = TRUE,
  },
  {
    .name = "malformed/truncated-after-value",
    .data = "{\"choices\":[]",
    .malformed = TRUE,
  },
  {
    .name = "malformed/trailing-garbage",
    .data = "{\"choices\":[]} xyz",
    .malformed = TRUE,
  },
  {
    .name = "malformed/trailing-comma",
    .data = "{\"choices\":[],}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/bare-string",
    .data = "\"Hello\"",
    .malformed = TRUE,
  },
  {
    .name = "malformed/array",
    .data = "[{\"choices\":[]}]",
    .malformed = TRUE,
  },
  {
    .name = "malformed/number",
    .data = "42",
    .malformed = TRUE,
  },
  {
    .name = "malformed/null",
    .data = "null",
    .malformed = TRUE,
  },
  {
    .name = "malformed/empty",
    .data = "",
    .malformed = TRUE,
  },
  {
    .name = "malformed/whitespace",
    .data = " \r\n\t",
    .malformed = TRUE,
  },
  {
    .name = "malformed/plain-text",
    .data = "keep-alive",
    .malformed = TRUE,
  },
  {
    .name = "malformed/single-quotes",
    .data = "{'choices':[]}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/comment",
    .data = "{\"choices\":[]} /* note */",
    .malformed = TRUE,
  },
  {
    .name = "malformed/nan",
    .data = "{\"usage\":{\"total_tokens\":NaN}}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/unknown-escape",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\x41\"}}]}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/short-unicode-escape",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"\\u12\"}}]}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/backslash-at-end",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"abc\\",
    .malformed = TRUE,
  },
  {
    .name = "malformed/byte-order-mark",
    .data = "\xef\xbb\xbf{\"choices\":[]}",
    .malformed = TRUE,
  },
  {
    .name = "malformed/invalid-byte-outside-string",
    .data = "{\"choices\":[]}\xff",
    .malformed = TRUE,
  },
  {
    .name = "malformed/nul-byte-outside-string",
    WITH_NUL ("{\"choices\":[]}\0"),
    .malformed = TRUE,
  },
  {
    .name = "malformed/done-lowercase",
    .data = "[done]",
    .malformed = TRUE,
  },
  {
    .name = "malformed/done-truncated",
    .data = "[DONE",
    .malformed = TRUE,
  },
  {
    .name = "malformed/done-and-more",
    .data = "[DONE] [DONE]",
    .malformed = TRUE,
  },

  /* The end of the stream. */
  {
    .name = "done/plain",
    .data = "[DONE]",
    .kind = CONFAB_CHUNK_KIND_DONE,
  },
  {
    .name = "done/whitespace",
    .data = " \t[DONE]\r\n\f",
    .kind = CONFAB_CHUNK_KIND_DONE,
  },
  {
    .name = "done/message-event",
    .event_type = "message",
    .data = "[DONE]",
    .kind = CONFAB_CHUNK_KIND_DONE,
  },

  /* An SSE "event: error", whatever its data is. */
  {
    .name = "error-event/openai",
    .event_type = "error",
    .data = "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization org-x on "
            "tokens per min (TPM)\",\"type\":\"tokens\",\"param\":null,\"code\":"
            "\"rate_limit_exceeded\"}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM)",
    .error_type = "tokens",
  },
  {
    .name = "error-event/typed",
    .event_type = "error",
    .data = "{\"type\":\"error\",\"error\":"
            "{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Overloaded",
    .error_type = "overloaded_error",
  },
  {
    .name = "error-event/top-level-message",
    .event_type = "error",
    .data = "{\"message\":\"Model is loading\",\"code\":503}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Model is loading",
    .error_type = "503",
  },
  {
    .name = "error-event/json-string",
    .event_type = "error",
    .data = "\"Service Unavailable\"",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Service Unavailable",
  },
  {
    .name = "error-event/plain-text",
    .event_type = "error",
    .data = "upstream connect error or disconnect/reset before headers. reset reason: "
            "connection termination\n",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "upstream connect error or disconnect/reset before headers. reset reason: "
                     "connection termination",
  },
  {
    .name = "error-event/plain-text-invalid-utf8",
    .event_type = "error",
    .data = "  Erreur \xe9 serveur",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Erreur " FFFD " serveur",
  },
  {
    .name = "error-event/json-without-message",
    .event_type = "error",
    .data = "{\"status\":500}",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "{\"status\":500}",
  },
  {
    .name = "error-event/truncated-json",
    .event_type = "error",
    .data = "{\"error\":{\"message\":",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "{\"error\":{\"message\":",
  },
  {
    .name = "error-event/empty",
    .event_type = "error",
    .data = "",
    .kind = CONFAB_CHUNK_KIND_ERROR,
  },
  {
    .name = "error-event/nul-byte",
    .event_type = "error",
    WITH_NUL ("Bad\0gateway"),
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "Bad" FFFD "gateway",
  },
  {
    .name = "error-event/done",
    .event_type = "error",
    .data = "[DONE]",
    .kind = CONFAB_CHUNK_KIND_ERROR,
    .error_message = "[DONE]",
  },

  /* Other event types are read like "message". */
  {
    .name = "event/other-type",
    .event_type = "completion",
    .data = "{\"choices\":[{\"delta\":{\"content\":\"z\"}}]}",
    .content = "z",
  },
};

typedef struct
{
  const char *event_type;
  const char *data;
} StreamEvent;

typedef struct
{
  const char        *name;
  const StreamEvent *events;  /* ends with an event whose data is NULL */
  const char        *content;
  const char        *reasoning;
  const char        *finish_reason;
  gint64             total_tokens;
  const char        *error_message;
  gboolean           done;
} StreamCase;

/* The Korean to Japanese example, as OpenAI streams it. */
static const StreamEvent openai_stream[] = {
  { NULL, OPENAI_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
          "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}" },
  { NULL, OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\"こんにちは\"},\"logprobs\":null,"
          "\"finish_reason\":null}],\"usage\":null}" },
  { NULL, OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\"、お元気\"},\"logprobs\":null,"
          "\"finish_reason\":null}],\"usage\":null}" },
  { NULL, OPENAI_HEAD "[{\"index\":0,\"delta\":{\"content\":\"ですか？\"},\"logprobs\":null,"
          "\"finish_reason\":null}],\"usage\":null}" },
  { NULL, OPENAI_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
          "\"usage\":null}" },
  { NULL, OPENAI_HEAD "[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":6,"
          "\"total_tokens\":37}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent azure_stream[] = {
  { NULL, "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
          "\"prompt_filter_results\":[{\"prompt_index\":0," AZURE_FILTERS "}]}" },
  { NULL, "{\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"\","
          "\"refusal\":null,\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0,"
          "\"logprobs\":null}]," AZURE_TAIL },
  { NULL, "{\"choices\":[{" AZURE_FILTERS ",\"delta\":{\"content\":\"ありがとう\"},"
          "\"finish_reason\":null,\"index\":0,\"logprobs\":null}]," AZURE_TAIL },
  { NULL, "{\"choices\":[{" AZURE_FILTERS ",\"delta\":{\"content\":\"ございます\"},"
          "\"finish_reason\":null,\"index\":0,\"logprobs\":null}]," AZURE_TAIL },
  { NULL, "{\"choices\":[{\"content_filter_results\":{},\"delta\":{},\"finish_reason\":\"stop\","
          "\"index\":0,\"logprobs\":null}]," AZURE_TAIL },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent deepseek_stream[] = {
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
          "\"reasoning_content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}" },
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":"
          "\"Translate \"},\"logprobs\":null,\"finish_reason\":null}]}" },
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":"
          "\"politely.\"},\"logprobs\":null,\"finish_reason\":null}]}" },
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":\"よろしく\",\"reasoning_content\":"
          "null},\"logprobs\":null,\"finish_reason\":null}]}" },
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":\"お願いします\","
          "\"reasoning_content\":null},\"logprobs\":null,\"finish_reason\":null}]}" },
  { NULL, DEEPSEEK_HEAD "[{\"index\":0,\"delta\":{\"content\":\"\",\"reasoning_content\":null},"
          "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":17,"
          "\"completion_tokens\":245,\"total_tokens\":262}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent llamacpp_stream[] = {
  { NULL, "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\","
          "\"content\":null}}]," LLAMACPP_TAIL "}" },
  { NULL, "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hello\"}}],"
          LLAMACPP_TAIL "}" },
  { NULL, "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" world\"}}],"
          LLAMACPP_TAIL "}" },
  { NULL, "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]," LLAMACPP_TAIL
          ",\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":9,\"total_tokens\":11},"
          "\"timings\":{\"prompt_n\":9,\"prompt_ms\":20.5,\"predicted_n\":2,\"predicted_ms\":"
          "30.1}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent ollama_stream[] = {
  { NULL, OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
          "\"reasoning\":\"Okay,\"},\"finish_reason\":null}]}" },
  { NULL, OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
          "\"reasoning\":\" French.\"},\"finish_reason\":null}]}" },
  { NULL, OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Bonjour\"},"
          "\"finish_reason\":null}]}" },
  { NULL, OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\" !\"},"
          "\"finish_reason\":null}]}" },
  { NULL, OLLAMA_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
          "\"finish_reason\":\"stop\"}]}" },
  { NULL, OLLAMA_HEAD "[],\"usage\":{\"prompt_tokens\":26,\"completion_tokens\":12,"
          "\"total_tokens\":38}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent groq_stream[] = {
  { NULL, GROQ_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
          "\"logprobs\":null,\"finish_reason\":null}],\"x_groq\":{\"id\":\"req_01jp3x8d\"}}" },
  { NULL, GROQ_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Hola\"},\"logprobs\":null,"
          "\"finish_reason\":null}]}" },
  { NULL, GROQ_HEAD "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
          "\"x_groq\":{\"id\":\"req_01jp3x8d\",\"usage\":{\"queue_time\":0.02,\"prompt_tokens\":18,"
          "\"prompt_time\":0.001,\"completion_tokens\":2,\"completion_time\":0.002,"
          "\"total_tokens\":20,\"total_time\":0.003}}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

static const StreamEvent mistral_stream[] = {
  { NULL, MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":[{\"type\":"
          "\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":\"Short answer.\"}]}]},"
          "\"finish_reason\":null}]}" },
  { NULL, MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":\"Ciao\"},\"finish_reason\":null}]}" },
  { NULL, MISTRAL_HEAD "[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"!\"}]},"
          "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"total_tokens\":15,"
          "\"completion_tokens\":5}}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

/* The provider fails after some text: the text so far is kept. */
static const StreamEvent openrouter_error_stream[] = {
  { NULL, OPENROUTER_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
          "\"reasoning\":\"Hmm.\"},\"finish_reason\":null,\"native_finish_reason\":null}]}" },
  { NULL, OPENROUTER_HEAD "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Par\"},"
          "\"finish_reason\":null,\"native_finish_reason\":null}]}" },
  { NULL, "{\"id\":\"gen-1741570100-Zq8YtWcKfEo\",\"object\":\"chat.completion.chunk\","
          "\"created\":1741570101,\"model\":\"deepseek/deepseek-r1\",\"provider\":\"Chutes\","
          "\"error\":{\"code\":\"server_error\",\"message\":\"Provider disconnected "
          "unexpectedly\"},"
          "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}" },
  { NULL, "[DONE]" },
  { NULL, NULL },
};

/* A malformed event in the middle fails only itself. */
static const StreamEvent broken_stream[] = {
  { NULL, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one \"}}]}" },
  { NULL, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tw" },
  { "error", "Gateway Timeout" },
  { NULL, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"three\"},\"finish_reason\":"
          "\"length\"}]}" },
  { NULL, NULL },
};

static const StreamCase stream_cases[] = {
  {
    .name = "openai",
    .events = openai_stream,
    .content = "こんにちは、お元気ですか？",
    .finish_reason = "stop",
    .total_tokens = 37,
    .done = TRUE,
  },
  {
    .name = "azure",
    .events = azure_stream,
    .content = "ありがとうございます",
    .finish_reason = "stop",
    .done = TRUE,
  },
  {
    .name = "deepseek",
    .events = deepseek_stream,
    .content = "よろしくお願いします",
    .reasoning = "Translate politely.",
    .finish_reason = "stop",
    .total_tokens = 262,
    .done = TRUE,
  },
  {
    .name = "llama.cpp",
    .events = llamacpp_stream,
    .content = "Hello world",
    .finish_reason = "stop",
    .total_tokens = 11,
    .done = TRUE,
  },
  {
    .name = "ollama",
    .events = ollama_stream,
    .content = "Bonjour !",
    .reasoning = "Okay, French.",
    .finish_reason = "stop",
    .total_tokens = 38,
    .done = TRUE,
  },
  {
    .name = "groq",
    .events = groq_stream,
    .content = "Hola",
    .finish_reason = "stop",
    .total_tokens = 20,
    .done = TRUE,
  },
  {
    .name = "mistral",
    .events = mistral_stream,
    .content = "Ciao!",
    .reasoning = "Short answer.",
    .finish_reason = "stop",
    .total_tokens = 15,
    .done = TRUE,
  },
  {
    .name = "openrouter-error",
    .events = openrouter_error_stream,
    .content = "Par",
    .reasoning = "Hmm.",
    .finish_reason = "error",
    .error_message = "Provider disconnected unexpectedly",
    .done = TRUE,
  },
  {
    .name = "broken-event",
    .events = broken_stream,
    .content = "one three",
    .finish_reason = "length",
    .error_message = "Gateway Timeout",
  },
};

/* Sets every field, so each case also shows that parsing clears the chunk. */
static const char primer[] =
  "{\"model\":\"primer\",\"error\":{\"message\":\"m\",\"type\":\"t\"},\"usage\":{\"prompt_tokens\":"
  "1,"
  "\"completion_tokens\":2,\"total_tokens\":3},\"choices\":[{\"delta\":{\"content\":\"c\","
  "\"reasoning\":\"r\",\"tool_calls\":[{}]},\"finish_reason\":\"f\"}]}";

static void
assert_valid_utf8 (const char *str)
{
  if (str != NULL)
    g_assert_true (g_utf8_validate (str, -1, NULL));
}

static void
assert_chunk_cleared (const ConfabChunk *chunk)
{
  g_assert_cmpint (chunk->kind, ==, CONFAB_CHUNK_KIND_DELTA);
  g_assert_null (chunk->content);
  g_assert_null (chunk->reasoning);
  g_assert_null (chunk->finish_reason);
  g_assert_false (chunk->has_usage);
  g_assert_cmpint (chunk->prompt_tokens, ==, 0);
  g_assert_cmpint (chunk->completion_tokens, ==, 0);
  g_assert_cmpint (chunk->total_tokens, ==, 0);
  g_assert_null (chunk->model);
  g_assert_null (chunk->error_message);
  g_assert_null (chunk->error_type);
  g_assert_false (chunk->has_tool_calls);
}

static void
assert_chunk (const ChunkCase   *test,
              const ConfabChunk *chunk)
{
  g_assert_cmpint (chunk->kind, ==, test->kind);
  g_assert_cmpstr (chunk->content, ==, test->content);
  g_assert_cmpstr (chunk->reasoning, ==, test->reasoning);
  g_assert_cmpstr (chunk->finish_reason, ==, test->finish_reason);
  g_assert_cmpint (chunk->has_usage, ==, test->has_usage);
  g_assert_cmpint (chunk->prompt_tokens, ==, test->prompt_tokens);
  g_assert_cmpint (chunk->completion_tokens, ==, test->completion_tokens);
  g_assert_cmpint (chunk->total_tokens, ==, test->total_tokens);
  g_assert_cmpstr (chunk->model, ==, test->model);
  g_assert_cmpstr (chunk->error_message, ==, test->error_message);
  g_assert_cmpstr (chunk->error_type, ==, test->error_type);
  g_assert_cmpint (chunk->has_tool_calls, ==, test->has_tool_calls);

  assert_valid_utf8 (chunk->content);
  assert_valid_utf8 (chunk->reasoning);
  assert_valid_utf8 (chunk->finish_reason);
  assert_valid_utf8 (chunk->model);
  assert_valid_utf8 (chunk->error_message);
  assert_valid_utf8 (chunk->error_type);
}

static void
assert_result (const ChunkCase   *test,
               gboolean           ok,
               const GError      *error,
               const ConfabChunk *chunk)
{
  if (!test->malformed)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      assert_chunk (test, chunk);
      return;
    }

  g_assert_false (ok);
  g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (test->size == 0 && test->data[0] != '\0')
    g_assert_null (strstr (error->message, test->data));
  assert_chunk_cleared (chunk);
}

static void
parse_case (ConfabChunkParser *parser,
            ConfabChunk       *chunk,
            const ChunkCase   *test)
{
  g_autofree char *exact = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = test->size != 0 ? test->size : strlen (test->data);
  gboolean ok;

  if (test->size == 0)
    {
      ok = confab_chunk_parser_parse (parser, test->event_type, test->data, -1, chunk, &error);
      assert_result (test, ok, error, chunk);
      g_clear_error (&error);
    }

  /* Exactly the bytes of the event and nothing after them, so that
   * AddressSanitizer sees any read past the end. */
  exact = g_memdup2 (test->data, size);
  ok = confab_chunk_parser_parse (parser, test->event_type, exact, (gssize) size, chunk, &error);
  assert_result (test, ok, error, chunk);
}

static void
test_chunk_case (gconstpointer data)
{
  const ChunkCase *test = data;
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(ConfabChunk) chunk = { 0, };

  g_assert_true (confab_chunk_parser_parse (parser, NULL, primer, -1, &chunk, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chunk.kind, ==, CONFAB_CHUNK_KIND_ERROR);
  g_assert_cmpstr (chunk.content, ==, "c");
  g_assert_true (chunk.has_usage);
  g_assert_true (chunk.has_tool_calls);

  parse_case (parser, &chunk, test);
}

static void
test_chunk_reuse (void)
{
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  g_auto(ConfabChunk) chunk = { 0, };
  guint n_events = 0;

  /* One parser and one chunk for every case, malformed ones included, over
   * and over: nothing carries over from one event to the next. */
  for (guint round = 0; round < 40; round++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (chunk_cases); i++)
        {
          parse_case (parser, &chunk, &chunk_cases[i]);
          n_events += chunk_cases[i].size == 0 ? 2 : 1;
        }
    }

  g_assert_cmpuint (n_events, >, 5000);
}

static void
test_chunk_large_content (void)
{
  static const struct
  {
    const char *text;
    const char *json;
  } pieces[] = {
    { "The quick brown fox jumps over the lazy dog. ",
      "The quick brown fox jumps over the lazy dog. " },
    { "안녕하세요, \"世界\"!\n😀\\ ", "안녕하세요, \\\"世界\\\"!\\n\\ud83d\\ude00\\\\ " },
    { "こんにちは\t", "\\u3053\\u3093\\u306b\\u3061\\u306f\\t" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
      g_autoptr(GString) expected = g_string_new (NULL);
      g_autoptr(GString) data = g_string_new (OPENAI_HEAD "[{\"index\":0,\"delta\":"
                                                          "{\"content\":\"");
      g_autoptr(GError) error = NULL;
      g_auto(ConfabChunk) chunk = { 0, };

      while (expected->len < 100 * 1024)
        {
          g_string_append (expected, pieces[i].text);
          g_string_append (data, pieces[i].json);
        }
      g_string_append (data, "\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");

      g_assert_true (confab_chunk_parser_parse (parser, NULL, data->str, (gssize) data->len,
                                                &chunk, &error));
      g_assert_no_error (error);
      g_assert_cmpint (chunk.kind, ==, CONFAB_CHUNK_KIND_DELTA);
      g_assert_cmpuint (strlen (chunk.content), ==, expected->len);
      g_assert_cmpstr (chunk.content, ==, expected->str);
      g_assert_cmpstr (chunk.model, ==, OPENAI_MODEL);
    }
}

static void
test_chunk_deep_nesting (void)
{
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_auto(ConfabChunk) chunk = { 0, };
  const guint deep = 100000;

  /* json-glib 1.6 would recurse until the stack overflows. */
  g_string_append (data, "{\"x\":");
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, '[');
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, ']');
  g_string_append (data, "}");
  g_assert_false (confab_chunk_parser_parse (parser, NULL, data->str, (gssize) data->len,
                                             &chunk, &error));
  g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
  g_clear_error (&error);

  g_string_truncate (data, 0);
  for (guint i = 0; i < deep; i++)
    g_string_append (data, "{\"a\":");
  g_assert_false (confab_chunk_parser_parse (parser, NULL, data->str, (gssize) data->len,
                                             &chunk, &error));
  g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Nesting that real data could have is fine. */
  g_string_assign (data, "{\"x\":");
  for (guint i = 0; i < 100; i++)
    g_string_append_c (data, '[');
  for (guint i = 0; i < 100; i++)
    g_string_append_c (data, ']');
  g_string_append (data, ",\"choices\":[{\"delta\":{\"content\":\"deep\"}}]}");
  g_assert_true (confab_chunk_parser_parse (parser, NULL, data->str, (gssize) data->len,
                                            &chunk, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (chunk.content, ==, "deep");

  /* Brackets inside strings are text. */
  g_string_assign (data, "{\"choices\":[{\"delta\":{\"content\":\"");
  for (guint i = 0; i < deep; i++)
    g_string_append_c (data, '[');
  g_string_append (data, "\"}}]}");
  g_assert_true (confab_chunk_parser_parse (parser, NULL, data->str, (gssize) data->len,
                                            &chunk, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (chunk.content), ==, deep);
}

static void
test_chunk_length (void)
{
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(ConfabChunk) chunk = { 0, };
  const char done[] = "[DONE]xyz";
  const char object[] = "{\"model\":\"m\"}\xff trailing";

  /* Only @len bytes count, whatever follows them. */
  g_assert_true (confab_chunk_parser_parse (parser, NULL, done, 6, &chunk, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chunk.kind, ==, CONFAB_CHUNK_KIND_DONE);

  g_assert_true (confab_chunk_parser_parse (parser, NULL, object, 13, &chunk, &error));
  g_assert_no_error (error);
  g_assert_cmpint (chunk.kind, ==, CONFAB_CHUNK_KIND_DELTA);
  g_assert_cmpstr (chunk.model, ==, "m");

  g_assert_false (confab_chunk_parser_parse (parser, NULL, done, 0, &chunk, &error));
  g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_false (confab_chunk_parser_parse (parser, NULL, NULL, 0, &chunk, &error));
  g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
  assert_chunk_cleared (&chunk);
}

static void
test_chunk_clear (void)
{
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  ConfabChunk chunk = { 0, };

  confab_chunk_clear (&chunk);
  assert_chunk_cleared (&chunk);

  g_assert_true (confab_chunk_parser_parse (parser, NULL, primer, -1, &chunk, NULL));
  g_assert_cmpstr (chunk.model, ==, "primer");
  confab_chunk_clear (&chunk);
  assert_chunk_cleared (&chunk);
  confab_chunk_clear (&chunk);
  assert_chunk_cleared (&chunk);

  /* Without a GError, a malformed event still fails and clears the chunk. */
  g_assert_true (confab_chunk_parser_parse (parser, NULL, primer, -1, &chunk, NULL));
  g_assert_false (confab_chunk_parser_parse (parser, NULL, "{", -1, &chunk, NULL));
  assert_chunk_cleared (&chunk);
  g_assert_false (confab_chunk_parser_parse (parser, NULL, "[]", -1, &chunk, NULL));
  assert_chunk_cleared (&chunk);

  confab_chunk_parser_free (NULL);
}

/* What a stream adds up to, as the client keeps it. */
typedef struct
{
  GString  *content;
  GString  *reasoning;
  char     *finish_reason;
  gboolean  has_usage;
  gint64    prompt_tokens;
  gint64    completion_tokens;
  gint64    total_tokens;
  char     *error_message;
  gboolean  done;
  guint     n_events;
  guint     n_malformed;
} StreamTotals;

static void
totals_init (StreamTotals *totals)
{
  *totals = (StreamTotals) { 0, };
  totals->content = g_string_new (NULL);
  totals->reasoning = g_string_new (NULL);
}

static void
totals_clear (StreamTotals *totals)
{
  if (totals->content != NULL)
    g_string_free (totals->content, TRUE);
  if (totals->reasoning != NULL)
    g_string_free (totals->reasoning, TRUE);
  g_free (totals->finish_reason);
  g_free (totals->error_message);
  *totals = (StreamTotals) { 0, };
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StreamTotals, totals_clear)

/* Adds what one event said, or a malformed event when @chunk is NULL. */
static void
totals_add_chunk (StreamTotals      *totals,
                  const ConfabChunk *chunk)
{
  /* Nothing follows [DONE]. */
  g_assert_false (totals->done);
  totals->n_events++;

  if (chunk == NULL)
    {
      totals->n_malformed++;
      return;
    }

  if (chunk->kind == CONFAB_CHUNK_KIND_DONE)
    totals->done = TRUE;
  if (chunk->kind == CONFAB_CHUNK_KIND_ERROR)
    {
      g_assert_null (totals->error_message);
      totals->error_message = g_strdup (chunk->error_message);
    }
  if (chunk->content != NULL)
    g_string_append (totals->content, chunk->content);
  if (chunk->reasoning != NULL)
    g_string_append (totals->reasoning, chunk->reasoning);
  if (chunk->finish_reason != NULL)
    {
      g_free (totals->finish_reason);
      totals->finish_reason = g_strdup (chunk->finish_reason);
    }
  if (chunk->has_usage)
    {
      totals->has_usage = TRUE;
      totals->prompt_tokens = chunk->prompt_tokens;
      totals->completion_tokens = chunk->completion_tokens;
      totals->total_tokens = chunk->total_tokens;
    }
}

/* Returns whether the event was well-formed; a malformed one fails on
 * its own, with the chunk parser's error. */
static gboolean
parse_event (ConfabChunkParser *parser,
             ConfabChunk       *chunk,
             const char        *event_type,
             const char        *data,
             gssize             len)
{
  g_autoptr(GError) error = NULL;

  if (!confab_chunk_parser_parse (parser, event_type, data, len, chunk, &error))
    {
      g_assert_error (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED);
      return FALSE;
    }

  g_assert_no_error (error);
  return TRUE;
}

static void
totals_add (StreamTotals      *totals,
            ConfabChunkParser *parser,
            ConfabChunk       *chunk,
            const char        *event_type,
            const char        *data,
            gssize             len)
{
  gboolean ok = parse_event (parser, chunk, event_type, data, len);

  totals_add_chunk (totals, ok ? chunk : NULL);
}

static gboolean
totals_equal (const StreamTotals *a,
              const StreamTotals *b)
{
  return g_string_equal (a->content, b->content) &&
         g_string_equal (a->reasoning, b->reasoning) &&
         g_strcmp0 (a->finish_reason, b->finish_reason) == 0 &&
         a->has_usage == b->has_usage &&
         a->prompt_tokens == b->prompt_tokens &&
         a->completion_tokens == b->completion_tokens &&
         a->total_tokens == b->total_tokens &&
         g_strcmp0 (a->error_message, b->error_message) == 0 &&
         a->done == b->done &&
         a->n_events == b->n_events &&
         a->n_malformed == b->n_malformed;
}

static void
assert_same_totals (const StreamTotals *got,
                    const StreamTotals *want)
{
  g_assert_cmpstr (got->content->str, ==, want->content->str);
  g_assert_cmpstr (got->reasoning->str, ==, want->reasoning->str);
  g_assert_cmpstr (got->finish_reason, ==, want->finish_reason);
  g_assert_cmpint (got->has_usage, ==, want->has_usage);
  g_assert_cmpint (got->prompt_tokens, ==, want->prompt_tokens);
  g_assert_cmpint (got->completion_tokens, ==, want->completion_tokens);
  g_assert_cmpint (got->total_tokens, ==, want->total_tokens);
  g_assert_cmpstr (got->error_message, ==, want->error_message);
  g_assert_cmpint (got->done, ==, want->done);
  g_assert_cmpuint (got->n_events, ==, want->n_events);
  g_assert_cmpuint (got->n_malformed, ==, want->n_malformed);
}

static void
assert_totals (const StreamCase   *test,
               const StreamTotals *totals)
{
  g_assert_cmpstr (totals->content->str, ==, test->content);
  g_assert_cmpstr (totals->reasoning->str, ==, test->reasoning != NULL ? test->reasoning : "");
  g_assert_cmpstr (totals->finish_reason, ==, test->finish_reason);
  g_assert_cmpint (totals->total_tokens, ==, test->total_tokens);
  g_assert_cmpstr (totals->error_message, ==, test->error_message);
  g_assert_cmpint (totals->done, ==, test->done);
}

/* Each event parsed on its own, as the SSE parser would hand it over. */
static void
parse_events (const StreamCase *test,
              StreamTotals     *totals)
{
  g_autoptr(ConfabChunkParser) parser = confab_chunk_parser_new ();
  g_auto(ConfabChunk) chunk = { 0, };

  for (guint i = 0; test->events[i].data != NULL; i++)
    totals_add (totals, parser, &chunk, test->events[i].event_type, test->events[i].data, -1);
}

static void
test_chunk_stream (gconstpointer data)
{
  const StreamCase *test = data;
  g_auto(StreamTotals) totals = { 0, };

  totals_init (&totals);
  parse_events (test, &totals);
  assert_totals (test, &totals);
}

/* How a server writes the events on the wire. */
typedef struct
{
  const char *name;
  const char *eol;
  /* ": ", or ":" without the optional space */
  const char *colon;
  /* Before the first event, and between events: a BOM, keep-alives */
  gboolean    bom;
  const char *comment;
  /* The JSON of an event across two data lines, which SSE joins with a
   * newline that JSON reads as white space */
  gboolean    two_data_lines;
} SseStyle;

static const SseStyle sse_styles[] = {
  { .name = "lf", .eol = "\n", .colon = ": " },
  { .name = "crlf", .eol = "\r\n", .colon = ": ", .two_data_lines = TRUE },
  { .name = "cr-no-space", .eol = "\r", .colon = ":" },
  {
    .name = "keep-alive", .eol = "\r\n", .colon = ": ", .bom = TRUE,
    .comment = ": OPENROUTER PROCESSING", .two_data_lines = TRUE,
  },
};

typedef struct
{
  const StreamCase *test;
  const SseStyle   *style;
} SseVariant;

static void
append_field (GString        *out,
              const SseStyle *style,
              const char     *name,
              const char     *value,
              size_t          len)
{
  /* The parser takes one space after the colon away, so a value that
   * starts with one could not be written without it. */
  g_assert_true (len == 0 || value[0] != ' ' || g_str_equal (style->colon, ": "));
  g_assert_null (memchr (value, '\r', len));
  g_assert_null (memchr (value, '\n', len));

  g_string_append (out, name);
  g_string_append (out, style->colon);
  g_string_append_len (out, value, (gssize) len);
  g_string_append (out, style->eol);
}

static void
append_data (GString        *out,
             const SseStyle *style,
             const char     *data)
{
  size_t len = strlen (data);
  const char *between = style->two_data_lines ? strstr (data, ",\"") : NULL;
  size_t first = between != NULL ? (size_t) (between - data) + 1 : len;

  append_field (out, style, "data", data, first);
  if (first < len)
    append_field (out, style, "data", data + first, len - first);
}

static char *
render_stream (const StreamCase *test,
               const SseStyle   *style,
               size_t           *len)
{
  GString *out = g_string_new (style->bom ? "\xEF\xBB\xBF" : "");

  /* OpenRouter opens with a comment and a blank line. */
  if (style->comment != NULL)
    g_string_append_printf (out, "%s%s%s", style->comment, style->eol, style->eol);

  for (guint i = 0; test->events[i].data != NULL; i++)
    {
      const StreamEvent *event = &test->events[i];

      if (style->comment != NULL && i % 2 == 1)
        g_string_append_printf (out, "%s%s", style->comment, style->eol);
      if (event->event_type != NULL)
        append_field (out, style, "event", event->event_type, strlen (event->event_type));
      append_data (out, style, event->data);
      g_string_append (out, style->eol);
    }

  *len = out->len;
  return g_string_free (out, FALSE);
}

/* One event as the SSE parser dispatched it from the whole stream, and
 * what the chunk parser made of it. */
typedef struct
{
  char        *type;
  GBytes      *data;
  gboolean     well_formed;
  ConfabChunk  chunk;
} ParsedEvent;

static void
parsed_event_free (gpointer data)
{
  ParsedEvent *parsed = data;

  g_free (parsed->type);
  g_bytes_unref (parsed->data);
  confab_chunk_clear (&parsed->chunk);
  g_free (parsed);
}

static gboolean
same_event (const ParsedEvent    *parsed,
            const ConfabSseEvent *event)
{
  size_t len = g_bytes_get_size (parsed->data);

  return event->data_len == len &&
         (len == 0 || memcmp (event->data, g_bytes_get_data (parsed->data, NULL), len) == 0) &&
         strcmp (event->type, parsed->type) == 0;
}

typedef enum
{
  /* Each event through the chunk parser */
  CHUNKS_PARSE,
  /* The same, keeping each event and its result */
  CHUNKS_RECORD,
  /* The kept result of an event that the SSE parser hands over again
   * byte for byte; the chunk parser for any other */
  CHUNKS_REUSE,
} ChunksMode;

/* The stream's bytes through the SSE parser, then each event through the
 * chunk parser, as the client reads a reply. Both parsers are reused for
 * every way of splitting the bytes, the SSE parser reset in between. */
typedef struct
{
  const char         *name;
  const char         *input;
  size_t              len;
  const StreamTotals *want;
  ConfabSseParser    *sse;
  ConfabChunkParser  *chunks;
  ChunksMode          mode;
  GPtrArray          *parsed;  /* ParsedEvent, recorded from the whole stream */
  guint               n_seen;
  ConfabChunk         chunk;
  StreamTotals        totals;
} SseRun;

static void
record_event (SseRun               *run,
              const ConfabSseEvent *event)
{
  ParsedEvent *parsed = g_new0 (ParsedEvent, 1);

  parsed->type = g_strdup (event->type);
  parsed->data = g_bytes_new (event->data, event->data_len);
  parsed->well_formed = parse_event (run->chunks, &parsed->chunk, event->type, event->data,
                                     (gssize) event->data_len);
  g_ptr_array_add (run->parsed, parsed);
  totals_add_chunk (&run->totals, parsed->well_formed ? &parsed->chunk : NULL);
}

static void
sse_event_cb (const ConfabSseEvent *event,
              gpointer              user_data)
{
  SseRun *run = user_data;
  const ParsedEvent *known = NULL;

  if (run->mode == CHUNKS_RECORD)
    {
      record_event (run, event);
      return;
    }

  if (run->mode == CHUNKS_REUSE && run->n_seen < run->parsed->len)
    known = g_ptr_array_index (run->parsed, run->n_seen);
  run->n_seen++;

  if (known != NULL && same_event (known, event))
    totals_add_chunk (&run->totals, known->well_formed ? &known->chunk : NULL);
  else
    totals_add (&run->totals, run->chunks, &run->chunk, event->type, event->data,
                (gssize) event->data_len);
}

static void
run_split (const size_t *cuts,
           size_t        n_cuts,
           gpointer      user_data)
{
  SseRun *run = user_data;
  g_autoptr(GError) error = NULL;

  confab_sse_parser_reset (run->sse);
  totals_clear (&run->totals);
  totals_init (&run->totals);
  run->n_seen = 0;

  if (!feed_pieces (run->sse, run->input, run->len, cuts, n_cuts, &error) ||
      !totals_equal (&run->totals, run->want))
    {
      g_autofree char *where = describe_cuts (cuts, n_cuts);

      g_test_message ("%s: %s", run->name, where);
      g_assert_no_error (error);
      assert_same_totals (&run->totals, run->want);
    }
}

static void
test_chunk_sse_stream (gconstpointer data)
{
  const SseVariant *variant = data;
  g_auto(StreamTotals) want = { 0, };
  g_autoptr(ConfabSseParser) sse = NULL;
  g_autoptr(ConfabChunkParser) chunks = confab_chunk_parser_new ();
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func (parsed_event_free);
  g_autofree char *input = NULL;
  g_autofree size_t *bytes = NULL;
  SseRun run = { 0, };

  /* What the events give parsed one at a time, which test_chunk_stream ()
   * checks. */
  totals_init (&want);
  parse_events (variant->test, &want);
  assert_totals (variant->test, &want);

  run.name = variant->test->name;
  run.input = input = render_stream (variant->test, variant->style, &run.len);
  run.want = &want;
  run.sse = sse = confab_sse_parser_new (sse_event_cb, &run);
  run.chunks = chunks;
  run.parsed = parsed;
  totals_init (&run.totals);

  /* Whole, then one byte at a time, through both parsers. */
  run.mode = CHUNKS_RECORD;
  run_split (NULL, 0, &run);
  g_assert_cmpuint (parsed->len, ==, want.n_events);

  bytes = g_new (size_t, run.len);
  for (size_t i = 0; i + 1 < run.len; i++)
    bytes[i] = i + 1;
  run.mode = CHUNKS_PARSE;
  run_split (bytes, run.len - 1, &run);

  /* The chunk parser reads each event on its own (chunk/reuse shows that
   * nothing carries over), so an event that the SSE parser hands over
   * byte for byte as it did from the whole stream gives what it gave
   * then: at every split point the kept result is added, and only an
   * event that differs is parsed again, which makes the totals differ.
   * Parsing every event at every split point took 28 s a stream under
   * the sanitizers' slow unwinder, against 0.3 s in a debug build. */
  run.mode = CHUNKS_REUSE;
  for_each_split (run.len, run_split, &run);

  confab_chunk_clear (&run.chunk);
  totals_clear (&run.totals);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (chunk_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/chunk/%s", chunk_cases[i].name);

      g_test_add_data_func (path, &chunk_cases[i], test_chunk_case);
    }

  for (guint i = 0; i < G_N_ELEMENTS (stream_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/chunk/stream/%s", stream_cases[i].name);

      g_test_add_data_func (path, &stream_cases[i], test_chunk_stream);

      for (guint j = 0; j < G_N_ELEMENTS (sse_styles); j++)
        {
          SseVariant *variant = g_new (SseVariant, 1);
          g_autofree char *sse_path = NULL;

          variant->test = &stream_cases[i];
          variant->style = &sse_styles[j];
          sse_path = g_strdup_printf ("/confab/chunk/sse/%s/%s", stream_cases[i].name,
                                      sse_styles[j].name);
          g_test_add_data_func_full (sse_path, variant, test_chunk_sse_stream, g_free);
        }
    }

  g_test_add_func ("/confab/chunk/reuse", test_chunk_reuse);
  g_test_add_func ("/confab/chunk/large-content", test_chunk_large_content);
  g_test_add_func ("/confab/chunk/deep-nesting", test_chunk_deep_nesting);
  g_test_add_func ("/confab/chunk/length", test_chunk_length);
  g_test_add_func ("/confab/chunk/clear", test_chunk_clear);

  return g_test_run ();
}
