/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "confab-client.h"
#include "confab-conversation.h"
#include "confab-message.h"
#include "confab-profile.h"
#include "confab-request.h"
#include "test-server.h"
#include "test-wait.h"

#define MODEL "gpt-4o-mini"
#define REPLACEMENT "\xEF\xBF\xBD"

#define ALL_MODES ((1u << N_WRITE_MODES) - 1)
#define MODE_BIT(mode) (1u << (mode))

static const char * const write_mode_names[N_WRITE_MODES] = { "1-byte", "odd", "whole" };

typedef struct
{
  const char *role;
  const char *content;
} Turn;

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} StreamResult;

/* Recorded-style chunks. The first is as OpenAI sends it; the deltas are
 * as short as vLLM's, because each of their bytes is a write of its own in
 * the 1-byte cases. */
#define CHUNK_HEAD \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1767225600,\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,\"delta\":{"
#define ROLE \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1767225600,\"model\":\"" MODEL "\",\"system_fingerprint\":\"fp_0ba0d124f1\"," \
  "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"," \
  "\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
#define DELTA(text) \
  CHUNK_HEAD "\"content\":\"" text "\"},\"finish_reason\":null}]}\n\n"
#define FINISH(reason) \
  CHUNK_HEAD "},\"logprobs\":null,\"finish_reason\":\"" reason "\"}]}\n\n"
#define USAGE(prompt, completion, total) \
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
  "\"created\":1767225600,\"model\":\"" MODEL "\",\"choices\":[],\"usage\":{" \
  "\"prompt_tokens\":" prompt ",\"completion_tokens\":" completion "," \
  "\"total_tokens\":" total "}}\n\n"
#define DONE "data: [DONE]\n\n"

#define JAPANESE_REPLY "こんにちは！今日はとても良い天気ですね。散歩に行きましょうか？"

static const char * const japanese_parts[] = {
  ROLE,
  DELTA ("こんにちは"), DELTA ("！"), DELTA ("今日"), DELTA ("は"), DELTA ("とても"),
  DELTA ("良い"), DELTA ("天気"), DELTA ("です"), DELTA ("ね"), DELTA ("。"),
  DELTA ("散歩"), DELTA ("に"), DELTA ("行き"), DELTA ("ましょう"), DELTA ("か"),
  DELTA ("？"),
  FINISH ("stop"),
  USAGE ("31", "17", "48"),
  DONE,
  NULL
};

static const Response japanese_response = { .parts = japanese_parts };

/* Shorter replies, for the cases about what happens around a stream */
#define SHORT_REPLY "はい、行きましょう。"

static const char * const short_parts[] = {
  ROLE, DELTA ("はい、"), DELTA ("行き"), DELTA ("ましょう。"), FINISH ("stop"), DONE, NULL
};

static const Response short_response = { .parts = short_parts };

#define SECOND_REPLY "どういたしまして。"

static const char * const second_parts[] = {
  ROLE, DELTA ("どう"), DELTA ("いたしまして"), DELTA ("。"), FINISH ("stop"), DONE, NULL
};

static const Response second_response = { .parts = second_parts };

/* CRLF everywhere, a byte order mark, comments as keep-alives, an id
 * field, and one event whose JSON spans two data lines. */
static const char * const crlf_parts[] = {
  "\xEF\xBB\xBF" ": ping\r\n\r\n",
  "id: 1\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"散歩\"}}]}\r\n\r\n",
  ": OPENROUTER PROCESSING\r\n\r\n",
  "data: {\"choices\":[{\"index\":0,\r\ndata:  \"delta\":{\"content\":\"に行きます\"}}]}\r\n\r\n",
  ": ping\r\n",
  "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\n",
  "data: [DONE]\r\n\r\n",
  NULL
};

static const Response crlf_response = { .parts = crlf_parts };

static const char * const reasoning_parts[] = {
  CHUNK_HEAD "\"role\":\"assistant\",\"reasoning_content\":\"The user wants\"}}]}\n\n",
  CHUNK_HEAD "\"reasoning_content\":\" Japanese.\",\"content\":null}}]}\n\n",
  CHUNK_HEAD "\"reasoning\":\" Keep it short.\"}}]}\n\n",
  DELTA ("はい"),
  DELTA ("。"),
  FINISH ("stop"),
  DONE,
  NULL
};

static const Response reasoning_response = { .parts = reasoning_parts };

/* The part boundaries fall inside 語 (E8 AA 9E) and 😀 (F0 9F 98 80), and
 * the delay makes them separate reads even when each part is one write. */
static const char * const split_utf8_parts[] = {
  ROLE,
  CHUNK_HEAD "\"content\":\"日本\xE8\xAA",
  "\x9E" "です\"},\"finish_reason\":null}]}\n\n" CHUNK_HEAD "\"content\":\"\xF0",
  "\x9F\x98",
  "\x80" "\"},\"finish_reason\":null}]}\n\n",
  FINISH ("stop"),
  DONE,
  NULL
};

static const Response split_utf8_response = { .parts = split_utf8_parts, .delay_ms = 20 };

static const char * const invalid_utf8_parts[] = {
  ROLE,
  DELTA ("caf\xE9 au lait"),
  DELTA (" \xFF\xFE" "ok"),
  FINISH ("stop"),
  DONE,
  NULL
};

static const Response invalid_utf8_response = { .parts = invalid_utf8_parts };

static const char * const malformed_parts[] = {
  ROLE,
  DELTA ("一"),
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"壊れた\"}}\n\n",
  DELTA ("二"),
  FINISH ("stop"),
  DONE,
  NULL
};

static const Response malformed_response = { .parts = malformed_parts };

static const char * const error_object_parts[] = {
  ROLE,
  DELTA ("途中"),
  DELTA ("まで"),
  "data: {\"error\":{\"message\":\"Rate limit exceeded\",\"type\":\"rate_limit_error\","
  "\"code\":\"rate_limit_exceeded\"}}\n\n",
  DELTA ("無視"),
  DONE,
  NULL
};

static const Response error_object_response = { .parts = error_object_parts };

static const char * const error_event_parts[] = {
  ROLE,
  DELTA ("途中"),
  "event: error\ndata: Upstream provider unavailable\n\n",
  NULL
};

static const Response error_event_response = { .parts = error_event_parts };

static const char * const unauthorized_parts[] = {
  "{\"error\":{\"message\":\"You didn't provide an API key. You need to provide your API "
  "key in an Authorization header using Bearer auth.\",\"type\":\"invalid_request_error\","
  "\"param\":null,\"code\":null}}",
  NULL
};

static const Response unauthorized_response = {
  .status = 401, .content_type = "application/json", .parts = unauthorized_parts
};

static const char * const not_found_parts[] = {
  "{\"error\":{\"message\":\"The model `gpt-9` does not exist or you do not have access to "
  "it.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
  NULL
};

static const Response not_found_response = {
  .status = 404, .content_type = "application/json", .parts = not_found_parts
};

static const char * const rate_limited_parts[] = {
  "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and "
  "billing details.\",\"type\":\"insufficient_quota\",\"param\":null,"
  "\"code\":\"insufficient_quota\"}}",
  NULL
};

static const Response rate_limited_response = {
  .status = 429, .content_type = "application/json", .parts = rate_limited_parts
};

static const char * const html_error_parts[] = {
  "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
  "<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
  "</body>\r\n</html>\r\n",
  NULL
};

static const Response html_error_response = {
  .status = 500, .content_type = "text/html", .parts = html_error_parts
};

/* Filled in by main (): one megabyte of HTML. */
static const char *huge_error_parts[] = { NULL, NULL };

static const Response huge_error_response = {
  .status = 502, .content_type = "text/html", .parts = huge_error_parts
};

static const char * const reject_stream_options_parts[] = {
  "{\"error\":{\"message\":\"Unrecognized request argument supplied: stream_options\","
  "\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}",
  NULL
};

static const Response reject_stream_options_response = {
  .status = 400, .content_type = "application/json", .parts = reject_stream_options_parts
};

static const char * const json_answer_parts[] = {
  "{\"id\":\"chatcmpl-AbC124\",\"object\":\"chat.completion\",\"created\":1767225600,"
  "\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
  "\"content\":\"" JAPANESE_REPLY "\",\"refusal\":null},\"logprobs\":null,"
  "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":17,"
  "\"total_tokens\":48}}",
  NULL
};

static const Response json_answer_response = {
  .content_type = "application/json", .parts = json_answer_parts
};

/* The same answer from a server that names no JSON type. */
static const Response json_answer_text_response = {
  .content_type = "text/plain; charset=utf-8", .parts = json_answer_parts
};

/* The same answer, its second half written 1.5 s after the first. */
static const char * const json_answer_halves[] = {
  "{\"id\":\"chatcmpl-AbC125\",\"object\":\"chat.completion\",\"created\":1767225600,",
  "\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
  "\"content\":\"" JAPANESE_REPLY "\"},\"finish_reason\":\"stop\"}]}",
  NULL
};

static const Response slow_json_answer_response = {
  .content_type = "application/json", .parts = json_answer_halves, .delay_ms = 1500
};

/* Lists of models, as the servers' documentation shows them */

static const char * const openai_models_parts[] = {
  "{\n  \"object\": \"list\",\n  \"data\": [\n",
  "    {\"id\": \"gpt-4o-mini\", \"object\": \"model\", \"created\": 1721172741, "
  "\"owned_by\": \"system\"},\n",
  "    {\"id\": \"o3-mini\", \"object\": \"model\", \"created\": 1737146383, "
  "\"owned_by\": \"system\"},\n",
  "    {\"id\": \"GPT-4o\", \"object\": \"model\", \"created\": 1715367049, "
  "\"owned_by\": \"system\"}\n  ]\n}\n",
  NULL
};

static const Response openai_models_response = {
  .content_type = "application/json", .parts = openai_models_parts
};

static const char * const ollama_models_parts[] = {
  "{\"models\":[{\"name\":\"qwen3:8b\",\"model\":\"qwen3:8b\","
  "\"modified_at\":\"2025-05-10T08:06:48.639712648-07:00\",\"size\":5225388164,"
  "\"digest\":\"500a1f067a9f782620b40bee6f7b0c89e17ae61f686b92c24933e4ca4b2b8b41\","
  "\"details\":{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"qwen3\","
  "\"families\":[\"qwen3\"],\"parameter_size\":\"8.2B\",\"quantization_level\":\"Q4_K_M\"}},",
  "{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\",\"size\":2019393189,"
  "\"details\":{\"format\":\"gguf\",\"family\":\"llama\"}}]}",
  NULL
};

static const Response ollama_models_response = {
  .content_type = "application/json; charset=utf-8", .parts = ollama_models_parts
};

static const char * const empty_models_parts[] = { "{\"object\":\"list\",\"data\":null}", NULL };

static const Response empty_models_response = {
  .content_type = "application/json", .parts = empty_models_parts
};

/* What Go's net/http, behind many proxies, answers for a path it lacks */
static const char * const go_not_found_parts[] = { "404 page not found\n", NULL };

static const Response go_not_found_response = {
  .status = 404, .content_type = "text/plain; charset=utf-8", .parts = go_not_found_parts
};

static const Response models_html_response = {
  .content_type = "text/html", .parts = html_error_parts
};

static const char * const models_error_parts[] = {
  "{\"error\":{\"message\":\"Upstream registry unavailable\",\"type\":\"server_error\"}}",
  NULL
};

static const Response models_error_response = {
  .content_type = "application/json", .parts = models_error_parts
};

static const char * const models_stall_parts[] = { "{\"object\":\"list\",\"data\":[", NULL };

static const Response models_stall_response = {
  .content_type = "application/json", .parts = models_stall_parts, .ending = END_STALL
};

static const char * const stall_parts[] = { ROLE, DELTA ("一つ"), DELTA ("二つ"), NULL };

static const Response stall_response = { .parts = stall_parts, .ending = END_STALL };

static const char * const slow_parts[] = {
  ROLE DELTA ("一"), DELTA ("二"), DELTA ("三"), DELTA ("四"), DELTA ("五"), DELTA ("六"),
  DELTA ("七"), DELTA ("八"), DELTA ("九"), FINISH ("stop") DONE, NULL
};

static const Response slow_response = { .parts = slow_parts, .delay_ms = 100 };

static const char * const reset_parts[] = { ROLE, DELTA ("接続"), DELTA ("が"), NULL };

static const Response reset_response = { .parts = reset_parts, .ending = END_RESET };

static const char * const eof_after_finish_parts[] = {
  ROLE, DELTA ("終わり"), FINISH ("length"), NULL
};

static const Response eof_after_finish_response = { .parts = eof_after_finish_parts };

static const char * const eof_without_finish_parts[] = { ROLE, DELTA ("途中"), NULL };

static const Response eof_without_finish_response = { .parts = eof_without_finish_parts };

/* The reply is complete at [DONE]; the end of the body never comes. */
static const Response done_then_stall_response = { .parts = short_parts, .ending = END_STALL };

/* A reset before the status line: what a client sees when the server
 * closes a kept-alive connection just as the next request goes out. */
static const char * const unanswered_parts[] = { NULL };

static const Response unanswered_response = { .parts = unanswered_parts, .ending = END_RESET };

static const Turn history[] = {
  { "system", "Translate the user's Korean into natural Japanese." },
  { "user", "안녕하세요." },
  { "assistant", "こんにちは。" },
  { "user", "오늘 날씨가 정말 좋네요. 산책하러 갈까요?" },
};

/* What the test server did */

static gboolean
server_is_done (gpointer user_data)
{
  TestServer *server = user_data;

  return server->writers == NULL;
}

static gboolean
server_has_written (gpointer user_data)
{
  TestServer *server = user_data;

  return server->part_times->len > 0;
}

/* As a person reads a reply before writing again: the server has
 * written all of it, and the client has nothing left to do. */
static void
wait_for_quiet (TestServer *server)
{
  wait_until (server_is_done, server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static guint
request_port (TestServer *server,
              guint       index)
{
  g_assert_cmpuint (index, <, server->ports->len);

  return g_array_index (server->ports, guint, index);
}

/* Helpers */

static ConfabRequest *
new_request (void)
{
  ConfabRequest *request = confab_request_new (MODEL);

  for (guint i = 0; i < G_N_ELEMENTS (history); i++)
    confab_request_add_message (request, history[i].role, history[i].content);

  return request;
}

static void
stream_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  StreamResult *stream = user_data;

  g_assert_false (stream->done);
  stream->ok = confab_client_stream_finish (CONFAB_CLIENT (object), result, &stream->error);
  stream->done = TRUE;
}

static void
run_stream (ConfabClient  *client,
            ConfabRequest *request,
            ConfabMessage *reply,
            StreamResult  *result)
{
  confab_client_stream_async (client, request, reply, NULL, stream_done_cb, result);
  wait_until (flag_is_set, &result->done);
}

static void
assert_request (TestServer *server,
                guint       index,
                const Turn *turns,
                guint       n_turns,
                gboolean    stream_options)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonNode *node;
  JsonArray *messages;

  g_assert_cmpuint (index, <, server->bodies->len);
  json_parser_load_from_data (parser, g_ptr_array_index (server->bodies, index), -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));

  g_assert_cmpstr (json_object_get_string_member_with_default (root, "model", NULL), ==, MODEL);
  g_assert_true (json_object_get_boolean_member_with_default (root, "stream", FALSE));

  node = json_object_get_member (root, "stream_options");
  if (stream_options)
    {
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      g_assert_true (json_object_get_boolean_member_with_default (json_node_get_object (node),
                                                                  "include_usage", FALSE));
    }
  else
    {
      g_assert_null (node);
    }

  node = json_object_get_member (root, "messages");
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  messages = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (messages), ==, n_turns);
  for (guint i = 0; i < n_turns; i++)
    {
      JsonNode *element = json_array_get_element (messages, i);
      JsonObject *message;

      g_assert_true (JSON_NODE_HOLDS_OBJECT (element));
      message = json_node_get_object (element);
      g_assert_cmpstr (json_object_get_string_member_with_default (message, "role", NULL),
                       ==, turns[i].role);
      g_assert_cmpstr (json_object_get_string_member_with_default (message, "content", NULL),
                       ==, turns[i].content);
    }
}

static void
assert_authorization (TestServer *server,
                      guint       index,
                      const char *api_key)
{
  g_autofree char *expected = NULL;

  if (api_key != NULL)
    expected = g_strconcat ("Bearer ", api_key, NULL);

  g_assert_cmpuint (index, <, server->authorizations->len);
  g_assert_cmpstr (g_ptr_array_index (server->authorizations, index), ==, expected);
}

/* An error is a sentence for the user: valid UTF-8, short, no markup. */
static void
assert_readable (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 10);
  g_assert_cmpuint (strlen (error->message), <, 1024);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (strchr (error->message, '<'));
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

/* The streaming cases */

typedef struct
{
  const char     *name;
  const Response *response;
  const char     *api_key;
  /* 0 keeps the default */
  double          idle_timeout;
  /* 0 means ALL_MODES */
  guint           modes;

  /* The reply afterwards; NULL means "" for the text */
  const char     *content;
  const char     *reasoning;
  const char     *finish_reason;
  gboolean        has_usage;
  gint64          prompt_tokens;
  gint64          completion_tokens;
  guint           skipped;

  /* The outcome: success, or an error of CONFAB_CLIENT_ERROR */
  gboolean           fails;
  ConfabClientError  code;
  const char        *error_has[3];
} StreamCase;

static const StreamCase stream_cases[] = {
  {
    .name = "korean-japanese",
    .response = &japanese_response,
    .content = JAPANESE_REPLY,
    .finish_reason = "stop",
    .has_usage = TRUE, .prompt_tokens = 31, .completion_tokens = 17,
  },
  {
    /* The key changes a header, not the stream. */
    .name = "korean-japanese-api-key",
    .response = &japanese_response,
    .api_key = "sk-proj-Test0123456789",
    .modes = MODE_BIT (WRITE_WHOLE),
    .content = JAPANESE_REPLY,
    .finish_reason = "stop",
    .has_usage = TRUE, .prompt_tokens = 31, .completion_tokens = 17,
  },
  {
    .name = "crlf-bom-comments-multi-line",
    .response = &crlf_response,
    .content = "散歩に行きます",
    .finish_reason = "stop",
  },
  {
    .name = "reasoning",
    .response = &reasoning_response,
    .content = "はい。",
    .reasoning = "The user wants Japanese. Keep it short.",
    .finish_reason = "stop",
  },
  {
    .name = "split-utf8",
    .response = &split_utf8_response,
    .content = "日本語です😀",
    .finish_reason = "stop",
  },
  {
    .name = "invalid-utf8",
    .response = &invalid_utf8_response,
    .content = "caf" REPLACEMENT " au lait " REPLACEMENT REPLACEMENT "ok",
    .finish_reason = "stop",
  },
  {
    .name = "malformed-json",
    .response = &malformed_response,
    .content = "一二",
    .finish_reason = "stop",
    .skipped = 1,
  },
  {
    .name = "error-object",
    .response = &error_object_response,
    .content = "途中まで",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_SERVER,
    .error_has = { "Rate limit exceeded" },
  },
  {
    .name = "error-event",
    .response = &error_event_response,
    .content = "途中",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_SERVER,
    .error_has = { "Upstream provider unavailable" },
  },
  {
    .name = "http-401-no-key",
    .response = &unauthorized_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_UNAUTHORIZED,
    .error_has = { "OPENAI_API_KEY", "You didn't provide an API key." },
  },
  {
    .name = "http-404-model",
    .response = &not_found_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_NOT_FOUND,
    .error_has = { "The model `gpt-9` does not exist or you do not have access to it." },
  },
  {
    .name = "http-429",
    .response = &rate_limited_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_RATE_LIMITED,
    .error_has = { "You exceeded your current quota" },
  },
  {
    .name = "http-500-html",
    .response = &html_error_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_HTTP_STATUS,
    .error_has = { "500" },
  },
  {
    /* One write of a megabyte: the client reads a bounded part of it. */
    .name = "http-502-huge-body",
    .response = &huge_error_response,
    .modes = MODE_BIT (WRITE_WHOLE),
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_HTTP_STATUS,
    .error_has = { "502" },
  },
  {
    .name = "json-answer",
    .response = &json_answer_response,
    .content = JAPANESE_REPLY,
    .finish_reason = "stop",
    .has_usage = TRUE, .prompt_tokens = 31, .completion_tokens = 17,
  },
  {
    .name = "idle-timeout",
    .response = &stall_response,
    .idle_timeout = 0.3,
    .content = "一つ二つ",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_TIMED_OUT,
    .error_has = { "The server 127.0.0.1 sent nothing for 0.3 seconds." },
  },
  {
    .name = "slow-but-alive",
    .response = &slow_response,
    .idle_timeout = 0.3,
    .content = "一二三四五六七八九",
    .finish_reason = "stop",
  },
  {
    .name = "connection-reset",
    .response = &reset_response,
    .content = "接続が",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_TRUNCATED,
    .error_has = { "The connection was lost before the reply was complete: ",
                   "Connection reset by peer" },
  },
  {
    .name = "eof-after-finish-reason",
    .response = &eof_after_finish_response,
    .content = "終わり",
    .finish_reason = "length",
  },
  {
    /* Complete at [DONE]: nothing waits for the end of the body. */
    .name = "done-then-stall",
    .response = &done_then_stall_response,
    .idle_timeout = 0.3,
    .content = SHORT_REPLY,
    .finish_reason = "stop",
  },
  {
    .name = "eof-without-finish-reason",
    .response = &eof_without_finish_response,
    .content = "途中",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_TRUNCATED,
  },
};

typedef struct
{
  const StreamCase *stream_case;
  WriteMode         mode;
} Variant;

static void
test_stream_case (gconstpointer user_data)
{
  const Variant *variant = user_data;
  const StreamCase *test = variant->stream_case;
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { test->response, NULL };
  TestServer *server = test_server_new (variant->mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, test->api_key);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  if (test->idle_timeout > 0)
    confab_client_set_idle_timeout (client, test->idle_timeout);

  run_stream (client, request, reply, &result);

  if (test->fails)
    {
      g_assert_error (result.error, CONFAB_CLIENT_ERROR, (int)test->code);
      g_assert_false (result.ok);
      assert_readable (result.error);
      for (guint i = 0; i < G_N_ELEMENTS (test->error_has) && test->error_has[i] != NULL; i++)
        assert_contains (result.error->message, test->error_has[i]);
    }
  else
    {
      g_assert_no_error (result.error);
      g_assert_true (result.ok);
    }

  g_assert_cmpstr (confab_message_get_content (reply), ==,
                   test->content != NULL ? test->content : "");
  g_assert_cmpstr (confab_message_get_reasoning (reply), ==,
                   test->reasoning != NULL ? test->reasoning : "");
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, test->finish_reason);
  g_assert_cmpint (confab_message_get_prompt_tokens (reply), ==,
                   test->has_usage ? test->prompt_tokens : -1);
  g_assert_cmpint (confab_message_get_completion_tokens (reply), ==,
                   test->has_usage ? test->completion_tokens : -1);
  g_assert_cmpuint (confab_message_get_skipped_events (reply), ==, test->skipped);

  /* What the server was asked, every time: the whole history in order,
   * with the key only when there is one. */
  g_assert_cmpuint (server->bodies->len, ==, 1);
  assert_request (server, 0, history, G_N_ELEMENTS (history), TRUE);
  assert_authorization (server, 0, test->api_key);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* The other cases, each in every write mode */

static void
test_stream_options_fallback (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  g_autoptr(ConfabRequest) first = new_request ();
  g_autoptr(ConfabRequest) second = new_request ();
  const Response * const responses[] = { &short_response, NULL };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  ConfabMessage *again = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  StreamResult result_again = { 0 };

  server->reject_stream_options = &reject_stream_options_response;

  /* Rejected with 400, then asked again without stream_options. */
  run_stream (client, first, reply, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "stop");
  g_assert_cmpuint (server->bodies->len, ==, 2);
  assert_request (server, 0, history, G_N_ELEMENTS (history), TRUE);
  assert_request (server, 1, history, G_N_ELEMENTS (history), FALSE);
  /* The error body is read to its end, so the connection is reused. */
  g_assert_cmpuint (request_port (server, 1), ==, request_port (server, 0));

  /* The client remembers: one request, not a rejected one first. */
  wait_for_quiet (server);
  run_stream (client, second, again, &result_again);
  g_assert_no_error (result_again.error);
  g_assert_true (result_again.ok);
  g_assert_cmpstr (confab_message_get_content (again), ==, SHORT_REPLY);
  g_assert_cmpuint (server->bodies->len, ==, 3);
  assert_request (server, 2, history, G_N_ELEMENTS (history), FALSE);
  g_assert_cmpuint (request_port (server, 2), ==, request_port (server, 0));

  g_assert_finalize_object (reply);
  g_assert_finalize_object (again);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_stop_cancellable (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &stall_response, NULL };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  GCancellable *cancellable = g_cancellable_new ();
  StreamResult result = { 0 };

  confab_client_stream_async (client, request, reply, cancellable, stream_done_cb, &result);
  wait_for_text (reply, "一つ二つ");
  g_assert_false (result.done);

  g_cancellable_cancel (cancellable);
  wait_until (flag_is_set, &result.done);
  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "一つ二つ");

  g_clear_error (&result.error);
  g_assert_finalize_object (cancellable);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
reply_finished_cb (ConfabConversation *conversation,
                   ConfabMessage      *reply,
                   gboolean           *finished)
{
  g_assert_false (*finished);
  g_assert_false (confab_conversation_get_is_streaming (conversation));
  *finished = TRUE;
}

static void
wait_for_reply (gboolean *finished)
{
  wait_until (flag_is_set, finished);
  *finished = FALSE;
}

static void
test_conversation_stop (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  const Response * const responses[] = { &stall_response, NULL };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new (client, MODEL);
  ConfabMessage *reply;
  gboolean finished = FALSE;

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);

  g_assert_true (confab_conversation_send (conversation, "멈춰 주세요."));
  g_assert_true (confab_conversation_get_is_streaming (conversation));
  /* Only one reply streams at a time. */
  g_assert_false (confab_conversation_send (conversation, "또"));

  reply = confab_conversation_get_last_reply (conversation);
  wait_for_text (reply, "一つ二つ");
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_STREAMING);

  confab_conversation_stop (conversation);
  wait_for_reply (&finished);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_STOPPED);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "一つ二つ");
  g_assert_null (confab_message_get_error (reply));
  g_assert_false (confab_conversation_get_is_streaming (conversation));
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 2);

  g_assert_finalize_object (conversation);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_conversation_history (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  const Response * const responses[] = { &short_response, &second_response, NULL };
  const Turn first_turns[] = {
    { "system", history[0].content },
    { "user", history[1].content },
  };
  const Turn second_turns[] = {
    { "system", history[0].content },
    { "user", history[1].content },
    { "assistant", SHORT_REPLY },
    { "user", "고마워요." },
  };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, "sk-proj-Test0123456789");
  ConfabConversation *conversation = confab_conversation_new (client, MODEL);
  ConfabMessage *reply;
  gboolean finished = FALSE;

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);
  confab_conversation_set_system_prompt (conversation, history[0].content);

  g_assert_true (confab_conversation_send (conversation, history[1].content));
  wait_for_reply (&finished);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  g_assert_cmpstr (confab_message_get_model (reply), ==, MODEL);

  g_assert_true (confab_conversation_send (conversation, "고마워요."));
  wait_for_reply (&finished);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 4);

  g_assert_cmpuint (server->bodies->len, ==, 2);
  assert_request (server, 0, first_turns, G_N_ELEMENTS (first_turns), TRUE);
  assert_request (server, 1, second_turns, G_N_ELEMENTS (second_turns), TRUE);
  assert_authorization (server, 0, "sk-proj-Test0123456789");
  assert_authorization (server, 1, "sk-proj-Test0123456789");

  g_assert_finalize_object (conversation);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_conversation_retry (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  const Response * const responses[] = { &reset_response, &short_response, NULL };
  const Turn turns[] = { { "user", history[1].content } };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new (client, MODEL);
  ConfabMessage *reply;
  gboolean finished = FALSE;

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);

  /* Nothing to retry yet */
  g_assert_false (confab_conversation_retry (conversation));

  g_assert_true (confab_conversation_send (conversation, history[1].content));
  wait_for_reply (&finished);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_FAILED);
  g_assert_nonnull (confab_message_get_error (reply));
  g_assert_error ((GError *)confab_message_get_error (reply),
                  CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TRUNCATED);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "接続が");

  g_assert_true (confab_conversation_retry (conversation));
  g_assert_true (confab_conversation_get_last_reply (conversation) == reply);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");
  g_assert_null (confab_message_get_error (reply));
  wait_for_reply (&finished);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  g_assert_null (confab_message_get_error (reply));
  g_assert_cmpuint (g_list_model_get_n_items (confab_conversation_get_messages (conversation)),
                    ==, 2);

  /* The retry asks the same question: the failed reply is not history. */
  g_assert_cmpuint (server->bodies->len, ==, 2);
  assert_request (server, 0, turns, G_N_ELEMENTS (turns), TRUE);
  assert_request (server, 1, turns, G_N_ELEMENTS (turns), TRUE);

  g_assert_finalize_object (conversation);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A reply is read to the end of its body after [DONE], so the next one
 * comes over the same connection: no new TCP or TLS handshake. */
static void
test_connection_reuse (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  const Response * const responses[] = { &short_response, &second_response, NULL };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabConversation *conversation = confab_conversation_new (client, MODEL);
  ConfabMessage *reply;
  gboolean finished = FALSE;

  g_signal_connect (conversation, "reply-finished", G_CALLBACK (reply_finished_cb), &finished);

  g_assert_true (confab_conversation_send (conversation, history[1].content));
  wait_for_reply (&finished);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  wait_for_quiet (server);

  g_assert_true (confab_conversation_send (conversation, "고마워요."));
  wait_for_reply (&finished);
  reply = confab_conversation_get_last_reply (conversation);
  g_assert_cmpint (confab_message_get_state (reply), ==, CONFAB_MESSAGE_STATE_COMPLETE);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SECOND_REPLY);

  g_assert_cmpuint (server->ports->len, ==, 2);
  g_assert_cmpuint (request_port (server, 1), ==, request_port (server, 0));

  g_assert_finalize_object (conversation);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A kept-alive connection that the server closes as the next request
 * goes out costs nothing: the request is sent again on a new one. */
static void
test_stale_connection (void)
{
  g_autoptr(ConfabRequest) first = new_request ();
  g_autoptr(ConfabRequest) second = new_request ();
  const Response * const responses[] = {
    &short_response, &unanswered_response, &second_response, NULL
  };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  ConfabMessage *again = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  StreamResult result_again = { 0 };

  run_stream (client, first, reply, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  wait_for_quiet (server);

  run_stream (client, second, again, &result_again);
  g_assert_no_error (result_again.error);
  g_assert_true (result_again.ok);
  g_assert_cmpstr (confab_message_get_content (again), ==, SECOND_REPLY);

  g_assert_cmpuint (server->bodies->len, ==, 3);
  assert_request (server, 1, history, G_N_ELEMENTS (history), TRUE);
  assert_request (server, 2, history, G_N_ELEMENTS (history), TRUE);
  g_assert_cmpuint (request_port (server, 1), ==, request_port (server, 0));
  g_assert_cmpuint (request_port (server, 2), !=, request_port (server, 1));

  g_assert_finalize_object (reply);
  g_assert_finalize_object (again);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A key pasted with spaces and line breaks still makes one header line. */
static void
test_api_key_line_breaks (void)
{
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, "  sk-proj-Test\r\n0123\n4567 \n");
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  g_assert_true (confab_client_has_api_key (client));
  run_stream (client, request, reply, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);
  assert_authorization (server, 0, "sk-proj-Test01234567");

  /* Blank means no key at all. */
  confab_client_set_api_key (client, " \r\n ");
  g_assert_false (confab_client_has_api_key (client));

  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Cases without a response to write */

static void
test_connection_refused (void)
{
  g_autoptr(ConfabRequest) request = new_request ();
  g_autofree char *base_url = NULL;
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client;
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  /* Nothing listens on the port any more. */
  base_url = g_strdup (server->base_url);
  test_server_free (server);

  client = confab_client_new (base_url, NULL);
  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CONNECT);
  g_assert_false (result.ok);
  assert_readable (result.error);
  assert_contains (result.error->message, "127.0.0.1");
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
}

/* A TCP port on 127.0.0.1 that nothing accepts from: the kernel still
 * completes the handshake of the first @backlog + 1 connections and
 * keeps them queued (Linux counts the backlog that way). */
static GSocket *
listen_without_accepting (int    backlog,
                          guint *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GError) error = NULL;

  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  g_assert_no_error (error);
  g_socket_bind (listener, any_port, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (listener, backlog);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  return g_steal_pointer (&listener);
}

static GSocket *
connect_to_loopback (guint port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr(GSocket) client_socket = NULL;
  g_autoptr(GError) error = NULL;

  client_socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_connect (client_socket, address, NULL, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&client_socket);
}

/* Streams from 127.0.0.1:@port until the client gives up, and checks
 * that it gave up with @message after at least @seconds. */
static void
assert_times_out (guint       port,
                  double      connect_timeout,
                  double      idle_timeout,
                  double      seconds,
                  const char *message)
{
  g_autoptr(ConfabRequest) request = new_request ();
  g_autofree char *base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  ConfabClient *client = confab_client_new (base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gint64 start;
  gint64 took;

  confab_client_set_connect_timeout (client, connect_timeout);
  confab_client_set_idle_timeout (client, idle_timeout);

  start = g_get_monotonic_time ();
  run_stream (client, request, reply, &result);
  took = g_get_monotonic_time () - start;

  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TIMED_OUT);
  g_assert_false (result.ok);
  assert_readable (result.error);
  g_assert_cmpstr (result.error->message, ==, message);
  g_assert_cmpint (took, >=, (gint64) (seconds * G_USEC_PER_SEC) - 20000);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
}

/* A server whose accept queue is full: Linux drops the SYN of every
 * further connection (net.ipv4.tcp_abort_on_overflow is 0 by default),
 * and the client sends it again after 1 s, 3 s, 7 s…, as to a host that
 * drops every packet. Only the connect timeout ends the wait. */
static void
test_connect_timeout (void)
{
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) filler = NULL;
  guint port;

  listener = listen_without_accepting (0, &port);
  filler = connect_to_loopback (port);

  assert_times_out (port, 0.5, 60, 0.5, "Could not connect to 127.0.0.1 within 0.5 seconds.");
}

/* Connected, the request written into the kernel's buffer, and nothing
 * ever read or answered: past the connect timeout, the idle timeout is
 * what ends it. */
static void
test_connected_silent (void)
{
  g_autoptr(GSocket) listener = NULL;
  guint port;

  listener = listen_without_accepting (4, &port);

  assert_times_out (port, 0.2, 0.6, 0.6, "The server 127.0.0.1 sent nothing for 0.6 seconds.");
}

static void
test_invalid_url (void)
{
  static const char * const urls[] = {
    "ftp://x", "not a url", "file:///v1", "http:///v1", "http://:8080/v1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(ConfabRequest) request = new_request ();
      ConfabClient *client = confab_client_new (urls[i], NULL);
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };

      g_test_message ("%s", urls[i]);
      g_assert_cmpstr (confab_client_get_base_url (client), ==, urls[i]);
      run_stream (client, request, reply, &result);
      g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_URL);
      g_assert_false (result.ok);
      assert_readable (result.error);
      assert_contains (result.error->message, urls[i]);

      g_clear_error (&result.error);
      g_assert_finalize_object (reply);
      g_assert_finalize_object (client);
    }
}

/* The list of models */

static GPtrArray *
list_models (ConfabClient  *client,
             GCancellable  *cancellable,
             TestServer    *cancel_when_written,
             GError       **error)
{
  g_autoptr(GAsyncResult) slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  confab_client_list_models_async (client, cancellable, result_cb, &slot);
  if (cancel_when_written != NULL)
    {
      wait_until (server_has_written, cancel_when_written);
      g_cancellable_cancel (cancellable);
    }
  result = wait_for_result (&slot);

  return confab_client_list_models_finish (client, result, error);
}

#define MAX_MODELS 4

typedef struct
{
  const char     *name;
  const Response *response;
  const char     *api_key;
  /* 0 keeps the default */
  double          idle_timeout;

  const char     *ids[MAX_MODELS];

  /* The outcome: success, or an error of CONFAB_CLIENT_ERROR */
  gboolean           fails;
  ConfabClientError  code;
  const char        *error_has[2];
} ModelsCase;

static const ModelsCase models_cases[] = {
  {
    .name = "openai",
    .response = &openai_models_response,
    .ids = { "GPT-4o", "gpt-4o-mini", "o3-mini" },
  },
  {
    .name = "openai-api-key",
    .response = &openai_models_response,
    .api_key = "sk-proj-Test0123456789",
    .ids = { "GPT-4o", "gpt-4o-mini", "o3-mini" },
  },
  {
    .name = "ollama",
    .response = &ollama_models_response,
    .ids = { "llama3.2:latest", "qwen3:8b" },
  },
  {
    .name = "none",
    .response = &empty_models_response,
    .ids = { NULL },
  },
  {
    .name = "http-401-no-key",
    .response = &unauthorized_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_UNAUTHORIZED,
    .error_has = { "OPENAI_API_KEY", "You didn't provide an API key." },
  },
  {
    .name = "http-401-key",
    .response = &unauthorized_response,
    .api_key = "sk-wrong",
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_UNAUTHORIZED,
    .error_has = { "rejected the API key" },
  },
  {
    .name = "http-404",
    .response = &go_not_found_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_NOT_FOUND,
    .error_has = { "This server does not list its models; type the model's name instead." },
  },
  {
    .name = "http-429",
    .response = &rate_limited_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_RATE_LIMITED,
    .error_has = { "You exceeded your current quota" },
  },
  {
    .name = "http-500-html",
    .response = &html_error_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_HTTP_STATUS,
    .error_has = { "500" },
  },
  {
    .name = "not-json",
    .response = &models_html_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_PROTOCOL,
    .error_has = { "not valid JSON" },
  },
  {
    .name = "error-object",
    .response = &models_error_response,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_SERVER,
    .error_has = { "Upstream registry unavailable" },
  },
  {
    .name = "idle-timeout",
    .response = &models_stall_response,
    .idle_timeout = 0.3,
    .fails = TRUE, .code = CONFAB_CLIENT_ERROR_TIMED_OUT,
    .error_has = { "The server 127.0.0.1 sent nothing for 0.3 seconds." },
  },
};

typedef struct
{
  const ModelsCase *models_case;
  WriteMode         mode;
} ModelsVariant;

static void
test_models_case (gconstpointer user_data)
{
  const ModelsVariant *variant = user_data;
  const ModelsCase *test = variant->models_case;
  const Response * const responses[] = { test->response, NULL };
  TestServer *server = test_server_new (variant->mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, test->api_key);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  guint n_expected = 0;

  while (n_expected < MAX_MODELS && test->ids[n_expected] != NULL)
    n_expected++;

  if (test->idle_timeout > 0)
    confab_client_set_idle_timeout (client, test->idle_timeout);

  ids = list_models (client, NULL, NULL, &error);

  if (test->fails)
    {
      g_assert_error (error, CONFAB_CLIENT_ERROR, (int)test->code);
      g_assert_null (ids);
      assert_readable (error);
      for (guint i = 0; i < G_N_ELEMENTS (test->error_has) && test->error_has[i] != NULL; i++)
        assert_contains (error->message, test->error_has[i]);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_nonnull (ids);
      g_assert_cmpuint (ids->len, ==, n_expected);
      for (guint i = 0; i < n_expected; i++)
        g_assert_cmpstr (g_ptr_array_index (ids, i), ==, test->ids[i]);
    }

  /* One GET, with the key only when there is one. */
  g_assert_cmpuint (server->requests->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (server->requests, 0), ==, "GET /v1/models");
  g_assert_cmpstr (g_ptr_array_index (server->bodies, 0), ==, "");
  assert_authorization (server, 0, test->api_key);

  g_assert_finalize_object (client);
  test_server_free (server);
}

/* The list and the chat share the client's connections, and a base URL
 * with a slash at the end names the same endpoints. */
static void
test_models_then_chat (void)
{
  const Response * const responses[] = { &openai_models_response, &short_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  g_autofree char *base_url = g_strconcat (server->base_url, "/", NULL);
  ConfabClient *client = confab_client_new (base_url, "sk-test");
  g_autoptr(ConfabRequest) request = new_request ();
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  StreamResult stream = { 0 };

  ids = list_models (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 3);
  wait_for_quiet (server);

  run_stream (client, request, reply, &stream);
  g_assert_no_error (stream.error);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);

  g_assert_cmpuint (server->requests->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (server->requests, 0), ==, "GET /v1/models");
  g_assert_cmpstr (g_ptr_array_index (server->requests, 1), ==, "POST /v1/chat/completions");
  assert_authorization (server, 0, "sk-test");
  assert_authorization (server, 1, "sk-test");
  g_assert_cmpuint (request_port (server, 1), ==, request_port (server, 0));

  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_models_cancel (void)
{
  const Response * const responses[] = { &models_stall_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  GCancellable *cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = list_models (client, cancellable, server, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (ids);

  g_assert_finalize_object (cancellable);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_models_invalid_url (void)
{
  ConfabClient *client = confab_client_new ("ftp://x", NULL);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = list_models (client, NULL, NULL, &error);
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_URL);
  g_assert_null (ids);
  assert_contains (error->message, "ftp://x");

  g_assert_finalize_object (client);
}

/* The options the client applies to each chat request */

static JsonObject *
request_body (TestServer *server,
              guint       index,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (index, <, server->bodies->len);
  json_parser_load_from_data (parser, g_ptr_array_index (server->bodies, index), -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_node_get_object (json_parser_get_root (parser));
}

static void
assert_options (TestServer *server,
                guint       index,
                double      temperature,
                gint64      max_tokens)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *body = request_body (server, index, parser);

  if (temperature < 0)
    g_assert_false (json_object_has_member (body, "temperature"));
  else
    g_assert_cmpfloat (json_object_get_double_member_with_default (body, "temperature", -1),
                       ==, temperature);

  if (max_tokens == 0)
    g_assert_false (json_object_has_member (body, "max_tokens"));
  else
    g_assert_cmpint (json_object_get_int_member_with_default (body, "max_tokens", 0),
                     ==, max_tokens);
}

/* Off, the request asks for one answer, and the answer fills the reply
 * whatever type the server names. */
static void
test_not_streaming (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  const Response * const responses[] = {
    &json_answer_response, &json_answer_text_response, NULL
  };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);

  /* A server that knows no stream_options would refuse them. */
  server->reject_stream_options = &reject_stream_options_response;
  confab_client_set_streaming (client, FALSE);
  g_assert_false (confab_client_get_streaming (client));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(ConfabRequest) request = new_request ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };
      JsonObject *body;

      run_stream (client, request, reply, &result);
      g_assert_no_error (result.error);
      g_assert_true (result.ok);
      g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);
      g_assert_cmpstr (confab_message_get_finish_reason (reply), ==, "stop");
      g_assert_cmpint (confab_message_get_prompt_tokens (reply), ==, 31);
      g_assert_cmpint (confab_message_get_completion_tokens (reply), ==, 17);
      g_assert_cmpstr (confab_message_get_model (reply), ==, MODEL);

      g_assert_cmpuint (server->bodies->len, ==, i + 1);
      body = request_body (server, i, parser);
      g_assert_true (json_object_has_member (body, "stream"));
      g_assert_false (json_object_get_boolean_member_with_default (body, "stream", TRUE));
      g_assert_false (json_object_has_member (body, "stream_options"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (body, "messages")),
                        ==, G_N_ELEMENTS (history));
      assert_options (server, i, -1, 0);

      g_assert_finalize_object (reply);
      wait_for_quiet (server);
    }

  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A server asked for one answer may be silent for as long as the model
 * writes: the idle limit that ends a stalled stream does not end it. */
static void
test_not_streaming_waits (void)
{
  const Response * const responses[] = { &slow_json_answer_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  g_autoptr(ConfabRequest) request = new_request ();
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  confab_client_set_streaming (client, FALSE);
  confab_client_set_idle_timeout (client, 1);

  run_stream (client, request, reply, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);

  g_assert_finalize_object (reply);
  wait_for_quiet (server);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_options_in_body (void)
{
  const Response * const responses[] = { &short_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  static const struct
  {
    double  client_temperature;
    gint64  client_max_tokens;
    /* negative and 0: the request leaves them to the client */
    double  request_temperature;
    gint64  request_max_tokens;
    /* what is sent: negative and 0 mean nothing */
    double  temperature;
    gint64  max_tokens;
  } cases[] = {
    { -1, 0, -1, 0, -1, 0 },
    { 0.7, 0, -1, 0, 0.7, 0 },
    { -1, 256, -1, 0, -1, 256 },
    { 0.7, 256, -1, 0, 0.7, 256 },
    /* 0 is a temperature too. */
    { 0, 1, -1, 0, 0, 1 },
    /* What the caller set stays. */
    { 0.7, 256, 0.2, 64, 0.2, 64 },
    { 0.7, 256, 0, 0, 0, 256 },
    { -1, 0, 1.5, 32, 1.5, 32 },
    /* Any negative number is "not sent". */
    { -0.5, 0, -1, 0, -1, 0 },
  };

  g_assert_cmpfloat (confab_client_get_temperature (client), <, 0);
  g_assert_cmpint (confab_client_get_max_tokens (client), ==, 0);
  g_assert_true (confab_client_get_streaming (client));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(ConfabRequest) request = new_request ();
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };

      g_test_message ("case %u", i);
      confab_client_set_temperature (client, cases[i].client_temperature);
      confab_client_set_max_tokens (client, cases[i].client_max_tokens);
      if (cases[i].request_temperature >= 0)
        confab_request_set_temperature (request, cases[i].request_temperature);
      if (cases[i].request_max_tokens > 0)
        confab_request_set_max_tokens (request, cases[i].request_max_tokens);

      run_stream (client, request, reply, &result);
      g_assert_no_error (result.error);
      g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);

      g_assert_cmpuint (server->bodies->len, ==, i + 1);
      assert_request (server, i, history, G_N_ELEMENTS (history), TRUE);
      assert_options (server, i, cases[i].temperature, cases[i].max_tokens);

      g_assert_finalize_object (reply);
      wait_for_quiet (server);
    }

  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           guint      *n_notifies)
{
  (*n_notifies)++;
}

/* A setter notifies on a real change only. */
static void
test_options_notify (void)
{
  ConfabClient *client = confab_client_new (NULL, NULL);
  guint n_notifies = 0;

  g_signal_connect (client, "notify", G_CALLBACK (notify_cb), &n_notifies);

  confab_client_set_streaming (client, TRUE);
  confab_client_set_temperature (client, -1);
  confab_client_set_temperature (client, -2);
  confab_client_set_max_tokens (client, 0);
  g_assert_cmpuint (n_notifies, ==, 0);

  confab_client_set_streaming (client, FALSE);
  confab_client_set_temperature (client, 0.5);
  confab_client_set_max_tokens (client, 100);
  g_assert_cmpuint (n_notifies, ==, 3);

  g_object_set (client, "streaming", FALSE, "temperature", 0.5, "max-tokens", (gint64)100, NULL);
  g_assert_cmpuint (n_notifies, ==, 3);
  g_assert_cmpfloat (confab_client_get_temperature (client), ==, 0.5);
  g_assert_cmpint (confab_client_get_max_tokens (client), ==, 100);

  g_assert_finalize_object (client);
}

/* The fallback sends the options again, without stream_options only. */
static void
test_stream_options_fallback_with_options (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  g_autoptr(ConfabRequest) first = new_request ();
  g_autoptr(ConfabRequest) second = new_request ();
  const Response * const responses[] = { &short_response, NULL };
  TestServer *server = test_server_new (mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  ConfabMessage *again = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  StreamResult result_again = { 0 };

  server->reject_stream_options = &reject_stream_options_response;
  confab_client_set_temperature (client, 0.3);
  confab_client_set_max_tokens (client, 100);

  run_stream (client, first, reply, &result);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, SHORT_REPLY);
  g_assert_cmpuint (server->bodies->len, ==, 2);
  assert_request (server, 0, history, G_N_ELEMENTS (history), TRUE);
  assert_options (server, 0, 0.3, 100);
  assert_request (server, 1, history, G_N_ELEMENTS (history), FALSE);
  assert_options (server, 1, 0.3, 100);

  wait_for_quiet (server);
  run_stream (client, second, again, &result_again);
  g_assert_no_error (result_again.error);
  g_assert_cmpuint (server->bodies->len, ==, 3);
  assert_request (server, 2, history, G_N_ELEMENTS (history), FALSE);
  assert_options (server, 2, 0.3, 100);

  g_assert_finalize_object (reply);
  g_assert_finalize_object (again);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* The raw response recorder */

#define SECRET_KEY "sk-proj-Secret0123456789"

static GBytes *
response_bytes (const Response *response)
{
  g_autoptr(GString) all = g_string_new (NULL);

  for (guint i = 0; response->parts[i] != NULL; i++)
    g_string_append (all, response->parts[i]);

  return g_string_free_to_bytes (g_steal_pointer (&all));
}

/* Times from the start of the request, in the order the bytes came. */
static void
assert_chunk_times (ConfabExchange *exchange)
{
  gint64 last = confab_exchange_get_status_time_us (exchange);

  g_assert_cmpint (last, >=, 0);
  for (guint i = 0; i < confab_exchange_get_n_chunks (exchange); i++)
    {
      const ConfabExchangeChunk *chunk = confab_exchange_get_chunk (exchange, i);

      g_assert_cmpint (chunk->time_us, >=, last);
      g_assert_cmpuint (g_bytes_get_size (chunk->bytes), >, 0);
      last = chunk->time_us;
    }
}

/* Neither the record nor its text holds the key, whatever the form. */
static void
assert_no_secret (ConfabExchange *exchange,
                  const char     *secret)
{
  g_autofree char *text = confab_exchange_to_text (exchange);
  g_autoptr(GBytes) body = confab_exchange_dup_body (exchange);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_null (strstr (text, secret));
  g_assert_null (strstr (confab_exchange_get_url (exchange), secret));
  if (g_bytes_get_size (body) > 0)
    g_assert_null (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), secret));
  for (guint i = 0; i < confab_exchange_get_n_headers (exchange); i++)
    {
      const char *name;
      const char *value;

      confab_exchange_get_header (exchange, i, &name, &value);
      g_assert_cmpstr (name, !=, "Authorization");
      g_assert_null (strstr (value, secret));
    }
}

static const char *
exchange_header (ConfabExchange *exchange,
                 const char     *wanted)
{
  for (guint i = 0; i < confab_exchange_get_n_headers (exchange); i++)
    {
      const char *name;
      const char *value;

      confab_exchange_get_header (exchange, i, &name, &value);
      if (g_ascii_strcasecmp (name, wanted) == 0)
        return value;
    }

  return NULL;
}

typedef struct
{
  const char     *name;
  const Response *response;
  guint           status;
  gboolean        fails;
} ExchangeCase;

static const ExchangeCase exchange_cases[] = {
  { "korean-japanese", &japanese_response, 200, FALSE },
  { "split-utf8", &split_utf8_response, 200, FALSE },
  { "invalid-utf8", &invalid_utf8_response, 200, FALSE },
  { "crlf", &crlf_response, 200, FALSE },
  { "json-answer", &json_answer_response, 200, FALSE },
  { "http-401", &unauthorized_response, 401, TRUE },
  { "http-500-html", &html_error_response, 500, TRUE },
  { "connection-reset", &reset_response, 200, TRUE },
};

typedef struct
{
  const ExchangeCase *exchange_case;
  WriteMode           mode;
} ExchangeVariant;

static void
test_exchange_case (gconstpointer user_data)
{
  const ExchangeVariant *variant = user_data;
  const ExchangeCase *test = variant->exchange_case;
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { test->response, NULL };
  TestServer *server = test_server_new (variant->mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GBytes) written = response_bytes (test->response);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) exchanges = NULL;
  g_autofree char *url = g_strconcat (server->base_url, "/chat/completions", NULL);
  g_autofree char *text = NULL;
  StreamResult result = { 0 };
  ConfabExchange *exchange;

  g_assert_null (confab_message_get_exchange (reply));
  run_stream (client, request, reply, &result);
  g_assert_true (result.ok == !test->fails);
  /* A reply complete at [DONE] has its end read in the background. */
  wait_for_quiet (server);

  exchange = confab_message_get_exchange (reply);
  g_assert_nonnull (exchange);
  exchanges = confab_client_dup_exchanges (client);
  g_assert_cmpuint (exchanges->len, ==, 1);
  g_assert_true (g_ptr_array_index (exchanges, 0) == exchange);

  g_assert_cmpstr (confab_exchange_get_method (exchange), ==, "POST");
  g_assert_cmpstr (confab_exchange_get_url (exchange), ==, url);
  g_assert_cmpstr (confab_exchange_get_http_version (exchange), ==, "HTTP/1.1");
  g_assert_cmpuint (confab_exchange_get_status (exchange), ==, test->status);
  g_assert_nonnull (exchange_header (exchange, "Content-Type"));
  g_assert_true (g_str_has_prefix (exchange_header (exchange, "Server"), "confab-test "));

  /* Every byte the server wrote, as it wrote them, before any parsing. */
  body = confab_exchange_dup_body (exchange);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   g_bytes_get_data (written, NULL), g_bytes_get_size (written));
  g_assert_cmpuint (confab_exchange_get_total_bytes (exchange), ==, g_bytes_get_size (written));
  g_assert_false (confab_exchange_get_truncated (exchange));
  g_assert_cmpuint (confab_exchange_get_dropped_bytes (exchange), ==, 0);
  assert_chunk_times (exchange);
  /* libsoup reads a 401 in full itself, as it may answer it with
   * credentials; other bodies come as the server writes them. */
  if (variant->mode == WRITE_BYTES && test->status != 401)
    g_assert_cmpuint (confab_exchange_get_n_chunks (exchange), >, 1);

  if (test->fails)
    {
      g_assert_nonnull (result.error);
      g_assert_cmpstr (confab_exchange_get_error (exchange), ==, result.error->message);
    }
  else
    {
      g_assert_null (confab_exchange_get_error (exchange));
    }

  /* The key went out, and is nowhere in the record. */
  assert_authorization (server, 0, SECRET_KEY);
  assert_no_secret (exchange, SECRET_KEY);
  text = confab_exchange_to_text (exchange);
  g_assert_true (g_str_has_prefix (text, "POST http://127.0.0.1:"));
  assert_contains (text, "\n+");
  assert_contains (text, " ms, ");

  g_clear_error (&result.error);
  g_clear_pointer (&exchanges, g_ptr_array_unref);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Servers that quote the key back, in an error body, in an error event
 * of the stream, and at the very end of what a message may quote. */

#define PAD_51 "Lorem ipsum dolor sit amet, consectetur adipiscing "

static const char * const echo_401_parts[] = {
  "{\"error\":{\"message\":\"Incorrect API key provided: " SECRET_KEY ". You can find "
  "your API key at https://platform.example/account/api-keys.\","
  "\"type\":\"invalid_request_error\"}}",
  NULL
};

static const Response echo_401_response = {
  .status = 401, .content_type = "application/json", .parts = echo_401_parts
};

static const char * const echo_400_parts[] = {
  "{\"detail\":\"The key " SECRET_KEY " may not use this model.\"}",
  NULL
};

static const Response echo_400_response = {
  .status = 400, .content_type = "application/json", .parts = echo_400_parts
};

static const char * const echo_event_parts[] = {
  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"こんにちは\"}}]}\n\n",
  "data: {\"error\":{\"message\":\"Rate limit reached for " SECRET_KEY "\"}}\n\n",
  NULL
};

static const Response echo_event_response = { .parts = echo_event_parts };

/* The key begins 5 characters before the 400th, where a quote ends. */
static const char * const echo_long_parts[] = {
  "{\"error\":\"" PAD_51 PAD_51 PAD_51 PAD_51 PAD_51 PAD_51 PAD_51
  "Lorem ipsum dolor sit amet, consectet " SECRET_KEY " is unknown.\"}",
  NULL
};

static const Response echo_long_response = {
  .status = 403, .content_type = "application/json", .parts = echo_long_parts
};

typedef struct
{
  const char     *name;
  const Response *response;
} EchoCase;

static const EchoCase echo_cases[] = {
  { "http-401", &echo_401_response },
  { "http-400", &echo_400_response },
  { "error-event", &echo_event_response },
  { "at-the-quote-limit", &echo_long_response },
};

typedef struct
{
  const EchoCase *echo_case;
  WriteMode       mode;
} EchoVariant;

static void
test_key_echo (gconstpointer user_data)
{
  const EchoVariant *variant = user_data;
  const Response * const responses[] = { variant->echo_case->response, NULL };
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(GBytes) written = response_bytes (variant->echo_case->response);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GString) masked = NULL;
  g_autofree char *stars = g_strnfill (strlen (SECRET_KEY), '*');
  TestServer *server = test_server_new (variant->mode, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  ConfabExchange *exchange;

  run_stream (client, request, reply, &result);
  wait_for_quiet (server);
  assert_authorization (server, 0, SECRET_KEY);

  /* The message quotes the server, with the key hidden, and not even
   * the key's beginning where the quote is cut. */
  g_assert_false (result.ok);
  assert_readable (result.error);
  g_assert_null (strstr (result.error->message, SECRET_KEY));
  g_assert_null (strstr (result.error->message, "sk-p"));
  assert_contains (result.error->message, "[hid");

  /* The record has every byte, the key's as asterisks, even split
   * between reads. */
  exchange = confab_message_get_exchange (reply);
  assert_no_secret (exchange, SECRET_KEY);
  g_assert_cmpstr (confab_exchange_get_error (exchange), ==, result.error->message);
  masked = g_string_new_len (g_bytes_get_data (written, NULL), g_bytes_get_size (written));
  g_string_replace (masked, SECRET_KEY, stars, 0);
  body = confab_exchange_dup_body (exchange);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   masked->str, masked->len);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A list of models that is an error quoting the key, where the quote
 * is cut: not even the key's beginning is shown. */
static const Response echo_models_response = {
  .content_type = "application/json", .parts = echo_long_parts
};

static void
test_models_key_echo (void)
{
  const Response * const responses[] = { &echo_models_response, NULL };
  TestServer *server = test_server_new (WRITE_ODD, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) exchanges = NULL;

  ids = list_models (client, NULL, NULL, &error);
  g_assert_null (ids);
  assert_readable (error);
  g_assert_null (strstr (error->message, "sk-p"));
  assert_contains (error->message, "[hid");
  exchanges = confab_client_dup_exchanges (client);
  assert_no_secret (g_ptr_array_index (exchanges, 0), SECRET_KEY);

  g_clear_pointer (&exchanges, g_ptr_array_unref);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static const char * const secret_headers[] = {
  "Set-Cookie", "session=Cookie0123; HttpOnly",
  "X-Api-Key", "sk-header-0123",
  "X-Auth-Token", "token-0123",
  "X-Request-Id", "req_0123",
  NULL
};

static const Response secret_headers_response = {
  .parts = short_parts, .headers = secret_headers
};

/* Response headers that may carry a credential are kept by name only. */
static void
test_exchange_headers (void)
{
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &secret_headers_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autofree char *text = NULL;
  StreamResult result = { 0 };
  ConfabExchange *exchange;

  run_stream (client, request, reply, &result);
  g_assert_no_error (result.error);
  exchange = confab_message_get_exchange (reply);

  g_assert_cmpstr (exchange_header (exchange, "Set-Cookie"), ==, "[hidden]");
  g_assert_cmpstr (exchange_header (exchange, "X-Api-Key"), ==, "[hidden]");
  g_assert_cmpstr (exchange_header (exchange, "X-Auth-Token"), ==, "[hidden]");
  g_assert_cmpstr (exchange_header (exchange, "X-Request-Id"), ==, "req_0123");

  text = confab_exchange_to_text (exchange);
  assert_contains (text, "HTTP/1.1 200 OK (+");
  assert_contains (text, "\nX-Request-Id: req_0123\n");
  assert_contains (text, "\nSet-Cookie: [hidden]\n");
  for (guint i = 0; secret_headers[i] != NULL; i += 2)
    {
      if (strcmp (secret_headers[i], "X-Request-Id") != 0)
        g_assert_null (strstr (text, secret_headers[i + 1]));
    }
  assert_no_secret (exchange, SECRET_KEY);

  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* The body kept is bounded, and so is the number of records. */
static void
test_exchange_bounds (void)
{
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server = test_server_new (WRITE_ODD, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  g_autoptr(GBytes) written = response_bytes (&japanese_response);
  g_autoptr(GPtrArray) exchanges = NULL;
  ConfabMessage *replies[3];

  confab_client_set_exchange_limits (client, 2, 100);

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_autoptr(ConfabRequest) request = new_request ();
      g_autoptr(GBytes) body = NULL;
      g_autofree char *text = NULL;
      StreamResult result = { 0 };
      ConfabExchange *exchange;

      replies[i] = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      run_stream (client, request, replies[i], &result);
      g_assert_no_error (result.error);
      /* The reply is whole: only the record is cut. */
      g_assert_cmpstr (confab_message_get_content (replies[i]), ==, JAPANESE_REPLY);
      wait_for_quiet (server);

      exchange = confab_message_get_exchange (replies[i]);
      body = confab_exchange_dup_body (exchange);
      g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                       g_bytes_get_data (written, NULL), 100);
      g_assert_true (confab_exchange_get_truncated (exchange));
      g_assert_cmpuint (confab_exchange_get_total_bytes (exchange), ==,
                        g_bytes_get_size (written));
      g_assert_cmpuint (confab_exchange_get_dropped_bytes (exchange), ==,
                        g_bytes_get_size (written) - 100);
      assert_chunk_times (exchange);

      text = confab_exchange_to_text (exchange);
      assert_contains (text, "more bytes received, not kept]");
    }

  /* The oldest record went; the reply still holds its own. */
  exchanges = confab_client_dup_exchanges (client);
  g_assert_cmpuint (exchanges->len, ==, 2);
  g_assert_true (g_ptr_array_index (exchanges, 0) == confab_message_get_exchange (replies[1]));
  g_assert_true (g_ptr_array_index (exchanges, 1) == confab_message_get_exchange (replies[2]));
  g_assert_nonnull (confab_message_get_exchange (replies[0]));

  g_clear_pointer (&exchanges, g_ptr_array_unref);
  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    g_assert_finalize_object (replies[i]);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* A request that never got an answer is recorded with why. */
static void
test_exchange_connection_refused (void)
{
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  g_autofree char *base_url = g_strdup (server->base_url);
  ConfabClient *client;
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autofree char *text = NULL;
  StreamResult result = { 0 };
  ConfabExchange *exchange;

  test_server_free (server);
  client = confab_client_new (base_url, SECRET_KEY);
  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CONNECT);

  exchange = confab_message_get_exchange (reply);
  g_assert_nonnull (exchange);
  g_assert_cmpuint (confab_exchange_get_status (exchange), ==, 0);
  g_assert_null (confab_exchange_get_http_version (exchange));
  g_assert_cmpuint (confab_exchange_get_n_chunks (exchange), ==, 0);
  g_assert_cmpstr (confab_exchange_get_error (exchange), ==, result.error->message);
  text = confab_exchange_to_text (exchange);
  assert_contains (text, result.error->message);
  assert_no_secret (exchange, SECRET_KEY);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
}

/* The list of models is recorded too, though no reply holds it. */
static void
test_exchange_models (void)
{
  const Response * const responses[] = { &openai_models_response, NULL };
  TestServer *server = test_server_new (WRITE_ODD, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  g_autoptr(GBytes) written = response_bytes (&openai_models_response);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) exchanges = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  ConfabExchange *exchange;

  ids = list_models (client, NULL, NULL, &error);
  g_assert_no_error (error);

  exchanges = confab_client_dup_exchanges (client);
  g_assert_cmpuint (exchanges->len, ==, 1);
  exchange = g_ptr_array_index (exchanges, 0);
  g_assert_cmpstr (confab_exchange_get_method (exchange), ==, "GET");
  g_assert_true (g_str_has_suffix (confab_exchange_get_url (exchange), "/v1/models"));
  body = confab_exchange_dup_body (exchange);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   g_bytes_get_data (written, NULL), g_bytes_get_size (written));
  assert_no_secret (exchange, SECRET_KEY);

  g_clear_pointer (&exchanges, g_ptr_array_unref);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Redirects */

static const char * const moved_parts[] = { "<html><body>Moved</body></html>\n", NULL };

typedef struct
{
  Response    response;
  const char *headers[3];
  char       *location;
} Redirect;

static Redirect *
redirect_new (guint       status,
              const char *location)
{
  Redirect *redirect = g_new0 (Redirect, 1);

  redirect->location = g_strdup (location);
  redirect->headers[0] = "Location";
  redirect->headers[1] = redirect->location;
  redirect->response.status = status;
  redirect->response.content_type = "text/html";
  redirect->response.parts = moved_parts;
  redirect->response.headers = redirect->headers;

  return redirect;
}

static void
redirect_free (Redirect *redirect)
{
  g_free (redirect->location);
  g_free (redirect);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Redirect, redirect_free)

/* A redirect on the same server keeps the key, and the request: a 301
 * after a POST is not turned into a GET. */
static void
test_redirect_same_origin (gconstpointer user_data)
{
  guint status = GPOINTER_TO_UINT (user_data);
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(Redirect) redirect = redirect_new (status, "/v1/chat/completions");
  const Response * const responses[] = { &redirect->response, &japanese_response, NULL };
  TestServer *server = test_server_new (WRITE_ODD, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_autoptr(GPtrArray) exchanges = NULL;
  StreamResult result = { 0 };

  run_stream (client, request, reply, &result);
  g_assert_no_error (result.error);
  g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);

  g_assert_cmpuint (server->requests->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (server->requests, 1), ==, "POST /v1/chat/completions");
  assert_request (server, 1, history, G_N_ELEMENTS (history), TRUE);
  assert_authorization (server, 0, SECRET_KEY);
  assert_authorization (server, 1, SECRET_KEY);

  /* Both requests are on record; the reply holds the one it came from. */
  exchanges = confab_client_dup_exchanges (client);
  g_assert_cmpuint (exchanges->len, ==, 2);
  g_assert_cmpuint (confab_exchange_get_status (g_ptr_array_index (exchanges, 0)), ==, status);
  g_assert_true (g_ptr_array_index (exchanges, 1) == confab_message_get_exchange (reply));

  g_clear_pointer (&exchanges, g_ptr_array_unref);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Another port, or another name for the same address, is another
 * origin: the request follows, the key does not. */
static void
test_redirect_cross_origin (void)
{
  const Response * const target_responses[] = { &japanese_response, NULL };
  TestServer *target = test_server_new (WRITE_WHOLE, target_responses);
  g_autofree char *other_port = g_strconcat (target->base_url, "/chat/completions", NULL);
  g_autofree char *other_name = NULL;
  const char *locations[2];

  other_name = g_strdup_printf ("http://localhost:%u/v1/chat/completions",
                                test_server_get_port (target));
  locations[0] = other_port;
  locations[1] = other_name;

  for (guint i = 0; i < G_N_ELEMENTS (locations); i++)
    {
      g_autoptr(ConfabRequest) request = new_request ();
      g_autoptr(Redirect) redirect = redirect_new (307, locations[i]);
      const Response * const responses[] = { &redirect->response, NULL };
      TestServer *server = test_server_new (WRITE_WHOLE, responses);
      ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };
      guint n_before = target->requests->len;

      run_stream (client, request, reply, &result);
      g_assert_no_error (result.error);
      g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);

      g_assert_cmpuint (server->requests->len, ==, 1);
      assert_authorization (server, 0, SECRET_KEY);
      g_assert_cmpuint (target->requests->len, ==, n_before + 1);
      assert_request (target, n_before, history, G_N_ELEMENTS (history), TRUE);
      assert_authorization (target, n_before, NULL);

      wait_for_quiet (target);
      g_assert_finalize_object (reply);
      g_assert_finalize_object (client);
      test_server_free (server);
    }

  /* The name for the same server: the other way round, from localhost
   * to 127.0.0.1 on the very same port. */
  {
    g_autoptr(ConfabRequest) request = new_request ();
    g_autoptr(Redirect) redirect = redirect_new (308, other_port);
    const Response * const responses[] = { &redirect->response, &japanese_response, NULL };
    guint n_before = target->requests->len;
    g_autofree char *base_url = NULL;
    ConfabClient *client;
    ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
    StreamResult result = { 0 };

    test_server_set_responses (target, responses);
    base_url = g_strdup_printf ("http://localhost:%u/v1", test_server_get_port (target));
    client = confab_client_new (base_url, SECRET_KEY);
    run_stream (client, request, reply, &result);
    g_assert_no_error (result.error);
    g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);
    g_assert_cmpuint (target->requests->len, ==, n_before + 2);
    assert_authorization (target, n_before, SECRET_KEY);
    assert_authorization (target, n_before + 1, NULL);

    g_assert_finalize_object (reply);
    g_assert_finalize_object (client);
  }

  test_server_free (target);
}

static void
test_redirect_loop (void)
{
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(Redirect) redirect = redirect_new (302, "/v1/chat/completions");
  const Response * const responses[] = { &redirect->response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT);
  assert_readable (result.error);
  assert_contains (result.error->message, "127.0.0.1");
  g_assert_cmpuint (server->requests->len, ==, CONFAB_CLIENT_MAX_REDIRECTS + 1);
  g_assert_cmpstr (confab_exchange_get_error (confab_message_get_exchange (reply)), ==,
                   result.error->message);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_redirect_models (void)
{
  const Response * const target_responses[] = { &openai_models_response, NULL };
  TestServer *target = test_server_new (WRITE_WHOLE, target_responses);
  g_autofree char *location = g_strconcat (target->base_url, "/models", NULL);
  g_autoptr(Redirect) redirect = redirect_new (301, location);
  const Response * const responses[] = { &redirect->response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, SECRET_KEY);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = list_models (client, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 3);
  assert_authorization (server, 0, SECRET_KEY);
  g_assert_cmpstr (g_ptr_array_index (target->requests, 0), ==, "GET /v1/models");
  assert_authorization (target, 0, NULL);

  g_assert_finalize_object (client);
  test_server_free (server);
  test_server_free (target);
}

/* TLS, with a certificate made for the test */

typedef struct
{
  char            *dir;
  GTlsCertificate *certificate;
  char            *fingerprint;
} TestCertificate;

static void
test_certificate_free (TestCertificate *cert)
{
  g_autofree char *cert_path = g_build_filename (cert->dir, "cert.pem", NULL);
  g_autofree char *key_path = g_build_filename (cert->dir, "key.pem", NULL);

  g_unlink (cert_path);
  g_unlink (key_path);
  g_rmdir (cert->dir);
  g_free (cert->dir);
  g_clear_object (&cert->certificate);
  g_free (cert->fingerprint);
  g_free (cert);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestCertificate, test_certificate_free)

static char *
run_openssl (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[1], error->message, err);

  return g_steal_pointer (&out);
}

/* A self-signed certificate for @san, or NULL (the test skipped) when
 * openssl or a TLS backend is missing. The fingerprint is openssl's. */
static TestCertificate *
test_certificate_new (const char *san)
{
  g_autoptr(TestCertificate) cert = g_new0 (TestCertificate, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *addext = g_strconcat ("subjectAltName=", san, NULL);
  g_autofree char *out = NULL;
  const char *equals;

  if (openssl == NULL)
    {
      g_test_skip ("openssl is not installed");
      return NULL;
    }
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("no TLS backend (glib-networking)");
      return NULL;
    }

  cert->dir = g_dir_make_tmp ("confab-tls-XXXXXX", &error);
  g_assert_no_error (error);
  cert_path = g_build_filename (cert->dir, "cert.pem", NULL);
  key_path = g_build_filename (cert->dir, "key.pem", NULL);

  {
    const char * const req[] = {
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
      "-nodes", "-days", "2", "-subj", "/CN=confab-test", "-addext", addext,
      "-keyout", key_path, "-out", cert_path, NULL
    };
    const char * const fingerprint[] = {
      "openssl", "x509", "-in", cert_path, "-noout", "-fingerprint", "-sha256", NULL
    };

    g_free (run_openssl (req));
    out = run_openssl (fingerprint);
  }

  /* "sha256 Fingerprint=AB:CD:…" */
  equals = strchr (out, '=');
  g_assert_nonnull (equals);
  cert->fingerprint = confab_profile_normalize_fingerprint (g_strstrip ((char *)equals + 1));
  g_assert_nonnull (cert->fingerprint);
  g_assert_cmpuint (strlen (cert->fingerprint), ==, 32 * 3 - 1);

  cert->certificate = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&cert);
}

#define OTHER_FINGERPRINT \
  "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:" \
  "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"

static void
test_tls_unpinned (void)
{
  g_autoptr(TestCertificate) cert = test_certificate_new ("IP:127.0.0.1");
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server;
  ConfabClient *client;
  ConfabMessage *reply;
  StreamResult result = { 0 };

  if (cert == NULL)
    return;

  server = test_server_new_tls (WRITE_WHOLE, responses, cert->certificate);
  client = confab_client_new (server->base_url, SECRET_KEY);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  g_assert_null (confab_client_get_last_certificate_fingerprint (client));

  /* Verified against the system's authorities, which know nothing of it. */
  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_readable (result.error);
  assert_contains (result.error->message, "127.0.0.1");
  assert_contains (result.error->message, "not signed by a known certificate authority");
  assert_contains (result.error->message, cert->fingerprint);
  g_assert_cmpstr (confab_client_get_last_certificate_fingerprint (client), ==,
                   cert->fingerprint);
  /* Refused before anything was sent: the server saw no request. */
  g_assert_cmpuint (server->requests->len, ==, 0);
  g_assert_cmpstr (confab_exchange_get_error (confab_message_get_exchange (reply)), ==,
                   result.error->message);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_tls_wrong_host (void)
{
  g_autoptr(TestCertificate) cert = test_certificate_new ("DNS:api.example.com");
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server;
  ConfabClient *client;
  ConfabMessage *reply;
  StreamResult result = { 0 };

  if (cert == NULL)
    return;

  server = test_server_new_tls (WRITE_WHOLE, responses, cert->certificate);
  client = confab_client_new (server->base_url, NULL);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);

  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_contains (result.error->message, "issued for another name than 127.0.0.1");
  assert_contains (result.error->message, cert->fingerprint);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Pinned, the certificate passes and the reply streams; a kept-alive
 * connection is refused once the pin names another certificate. */
static void
test_tls_pinned (gconstpointer user_data)
{
  WriteMode mode = GPOINTER_TO_UINT (user_data);
  g_autoptr(TestCertificate) cert = test_certificate_new ("IP:127.0.0.1");
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(ConfabRequest) again_request = new_request ();
  g_autofree char *upper = NULL;
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server;
  ConfabClient *client;
  ConfabMessage *reply;
  ConfabMessage *again;
  StreamResult result = { 0 };
  StreamResult again_result = { 0 };

  if (cert == NULL)
    return;

  server = test_server_new_tls (mode, responses, cert->certificate);
  client = confab_client_new (server->base_url, SECRET_KEY);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  again = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);

  /* Pasted in capitals: the client keeps the normal form. */
  upper = g_ascii_strup (cert->fingerprint, -1);
  confab_client_set_pinned_certificate (client, upper);
  g_assert_cmpstr (confab_client_get_pinned_certificate (client), ==, cert->fingerprint);

  run_stream (client, request, reply, &result);
  g_assert_no_error (result.error);
  g_assert_cmpstr (confab_message_get_content (reply), ==, JAPANESE_REPLY);
  assert_authorization (server, 0, SECRET_KEY);
  g_assert_null (confab_client_get_last_certificate_fingerprint (client));
  wait_for_quiet (server);

  confab_client_set_pinned_certificate (client, OTHER_FINGERPRINT);
  run_stream (client, again_request, again, &again_result);
  g_assert_error (again_result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_contains (again_result.error->message, cert->fingerprint);
  g_assert_cmpstr (confab_client_get_last_certificate_fingerprint (client), ==,
                   cert->fingerprint);
  g_assert_cmpstr (confab_message_get_content (again), ==, "");

  confab_client_set_pinned_certificate (client, "");
  g_assert_null (confab_client_get_pinned_certificate (client));

  g_clear_error (&again_result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (again);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_tls_pinned_other (void)
{
  g_autoptr(TestCertificate) cert = test_certificate_new ("IP:127.0.0.1");
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server;
  ConfabClient *client;
  ConfabMessage *reply;
  StreamResult result = { 0 };

  if (cert == NULL)
    return;

  server = test_server_new_tls (WRITE_WHOLE, responses, cert->certificate);
  client = confab_client_new (server->base_url, SECRET_KEY);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  confab_client_set_pinned_certificate (client, OTHER_FINGERPRINT);

  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_contains (result.error->message, cert->fingerprint);
  g_assert_cmpstr (confab_client_get_last_certificate_fingerprint (client), ==,
                   cert->fingerprint);
  g_assert_cmpuint (server->requests->len, ==, 0);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Two self-signed certificates for the same address: the pin names one,
 * the server presents the other. The chat and the list of models are
 * refused before anything is sent, and the error names the certificate
 * presented, not the pin, so that the user sees what changed. */
static void
test_tls_two_certificates (void)
{
  g_autoptr(TestCertificate) pinned = test_certificate_new ("IP:127.0.0.1");
  g_autoptr(TestCertificate) presented = NULL;
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  const Response * const responses[] = { &japanese_response, NULL };
  TestServer *server;
  ConfabClient *client;
  ConfabMessage *reply;
  StreamResult result = { 0 };

  if (pinned == NULL)
    return;

  presented = test_certificate_new ("IP:127.0.0.1");
  g_assert_cmpstr (pinned->fingerprint, !=, presented->fingerprint);
  server = test_server_new_tls (WRITE_WHOLE, responses, presented->certificate);
  client = confab_client_new (server->base_url, SECRET_KEY);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  confab_client_set_pinned_certificate (client, pinned->fingerprint);

  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_readable (result.error);
  assert_contains (result.error->message, "127.0.0.1");
  assert_contains (result.error->message, "cannot be trusted");
  assert_contains (result.error->message, "not signed by a known certificate authority");
  assert_contains (result.error->message, presented->fingerprint);
  g_assert_null (strstr (result.error->message, pinned->fingerprint));
  g_assert_cmpstr (confab_client_get_last_certificate_fingerprint (client), ==,
                   presented->fingerprint);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");

  ids = list_models (client, NULL, NULL, &error);
  g_assert_null (ids);
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE);
  assert_contains (error->message, presented->fingerprint);

  /* Nothing, the key least of all, reached the server. */
  g_assert_cmpuint (server->requests->len, ==, 0);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* An https endpoint that redirects to http is not followed: the request
 * would go out unencrypted. */
static void
test_redirect_downgrade (void)
{
  g_autoptr(TestCertificate) cert = test_certificate_new ("IP:127.0.0.1");
  g_autoptr(ConfabRequest) request = new_request ();
  const Response * const target_responses[] = { &japanese_response, NULL };
  TestServer *target;
  TestServer *server;
  g_autofree char *location = NULL;
  g_autoptr(Redirect) redirect = NULL;
  const Response *responses[] = { NULL, NULL };
  ConfabClient *client;
  ConfabMessage *reply;
  StreamResult result = { 0 };

  if (cert == NULL)
    return;

  target = test_server_new (WRITE_WHOLE, target_responses);
  location = g_strconcat (target->base_url, "/chat/completions", NULL);
  redirect = redirect_new (307, location);
  responses[0] = &redirect->response;
  server = test_server_new_tls (WRITE_WHOLE, responses, cert->certificate);
  client = confab_client_new (server->base_url, SECRET_KEY);
  reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  confab_client_set_pinned_certificate (client, cert->fingerprint);

  run_stream (client, request, reply, &result);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT);
  assert_readable (result.error);
  assert_contains (result.error->message, "unencrypted");
  g_assert_cmpuint (server->requests->len, ==, 1);
  g_assert_cmpuint (target->requests->len, ==, 0);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
  test_server_free (target);
}

static void
add_per_mode (const char    *name,
              GTestDataFunc  func)
{
  for (guint mode = 0; mode < N_WRITE_MODES; mode++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/client/%s/%s", name,
                                               write_mode_names[mode]);

      g_test_add_data_func (path, GUINT_TO_POINTER (mode), func);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GString) huge = g_string_new ("<html><body>\n");

  /* The client goes straight to 127.0.0.1, whatever proxy the
   * environment names. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  while (huge->len < 1024 * 1024)
    g_string_append (huge, "<p>502 Bad Gateway: the upstream server is not answering.</p>\n");
  g_string_append (huge, "</body></html>\n");
  huge_error_parts[0] = huge->str;

  for (guint i = 0; i < G_N_ELEMENTS (stream_cases); i++)
    {
      const StreamCase *test = &stream_cases[i];
      guint modes = test->modes != 0 ? test->modes : ALL_MODES;

      for (guint mode = 0; mode < N_WRITE_MODES; mode++)
        {
          g_autofree char *path = NULL;
          Variant *variant;

          if ((modes & MODE_BIT (mode)) == 0)
            continue;

          variant = g_new0 (Variant, 1);
          variant->stream_case = test;
          variant->mode = mode;
          path = g_strdup_printf ("/confab/client/%s/%s", test->name, write_mode_names[mode]);
          g_test_add_data_func_full (path, variant, test_stream_case, g_free);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (models_cases); i++)
    {
      for (guint mode = 0; mode < N_WRITE_MODES; mode++)
        {
          g_autofree char *path = NULL;
          ModelsVariant *variant = g_new0 (ModelsVariant, 1);

          variant->models_case = &models_cases[i];
          variant->mode = mode;
          path = g_strdup_printf ("/confab/client/models/%s/%s", models_cases[i].name,
                                  write_mode_names[mode]);
          g_test_add_data_func_full (path, variant, test_models_case, g_free);
        }
    }

  add_per_mode ("stream-options-fallback", test_stream_options_fallback);
  add_per_mode ("stream-options-fallback-with-options",
                test_stream_options_fallback_with_options);
  add_per_mode ("not-streaming", test_not_streaming);
  g_test_add_func ("/confab/client/not-streaming-waits", test_not_streaming_waits);
  add_per_mode ("stop-cancellable", test_stop_cancellable);
  add_per_mode ("conversation-stop", test_conversation_stop);
  add_per_mode ("conversation-history", test_conversation_history);
  add_per_mode ("conversation-retry", test_conversation_retry);
  add_per_mode ("connection-reuse", test_connection_reuse);
  g_test_add_func ("/confab/client/stale-connection", test_stale_connection);
  g_test_add_func ("/confab/client/api-key-line-breaks", test_api_key_line_breaks);
  g_test_add_func ("/confab/client/connection-refused", test_connection_refused);
  g_test_add_func ("/confab/client/connect-timeout", test_connect_timeout);
  g_test_add_func ("/confab/client/connected-silent", test_connected_silent);
  g_test_add_func ("/confab/client/invalid-url", test_invalid_url);
  g_test_add_func ("/confab/client/models-then-chat", test_models_then_chat);
  g_test_add_func ("/confab/client/models-cancel", test_models_cancel);
  g_test_add_func ("/confab/client/models-invalid-url", test_models_invalid_url);
  g_test_add_func ("/confab/client/models-key-echo", test_models_key_echo);
  g_test_add_func ("/confab/client/options-in-body", test_options_in_body);
  g_test_add_func ("/confab/client/options-notify", test_options_notify);

  for (guint i = 0; i < G_N_ELEMENTS (exchange_cases); i++)
    {
      for (guint mode = 0; mode < N_WRITE_MODES; mode++)
        {
          g_autofree char *path = NULL;
          ExchangeVariant *variant = g_new0 (ExchangeVariant, 1);

          variant->exchange_case = &exchange_cases[i];
          variant->mode = mode;
          path = g_strdup_printf ("/confab/client/exchange/%s/%s", exchange_cases[i].name,
                                  write_mode_names[mode]);
          g_test_add_data_func_full (path, variant, test_exchange_case, g_free);
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (echo_cases); i++)
    {
      for (guint mode = 0; mode < N_WRITE_MODES; mode++)
        {
          g_autofree char *path = NULL;
          EchoVariant *variant = g_new0 (EchoVariant, 1);

          variant->echo_case = &echo_cases[i];
          variant->mode = mode;
          path = g_strdup_printf ("/confab/client/key-echo/%s/%s", echo_cases[i].name,
                                  write_mode_names[mode]);
          g_test_add_data_func_full (path, variant, test_key_echo, g_free);
        }
    }
  g_test_add_func ("/confab/client/exchange-headers", test_exchange_headers);
  g_test_add_func ("/confab/client/exchange-bounds", test_exchange_bounds);
  g_test_add_func ("/confab/client/exchange-connection-refused",
                   test_exchange_connection_refused);
  g_test_add_func ("/confab/client/exchange-models", test_exchange_models);

  {
    static const guint redirect_statuses[] = { 301, 302, 303, 307, 308 };

    for (guint i = 0; i < G_N_ELEMENTS (redirect_statuses); i++)
      {
        g_autofree char *path = g_strdup_printf ("/confab/client/redirect/same-origin/%u",
                                                 redirect_statuses[i]);

        g_test_add_data_func (path, GUINT_TO_POINTER (redirect_statuses[i]),
                              test_redirect_same_origin);
      }
  }
  g_test_add_func ("/confab/client/redirect/cross-origin", test_redirect_cross_origin);
  g_test_add_func ("/confab/client/redirect/loop", test_redirect_loop);
  g_test_add_func ("/confab/client/redirect/models", test_redirect_models);
  g_test_add_func ("/confab/client/redirect/https-to-http", test_redirect_downgrade);

  g_test_add_func ("/confab/client/tls/unpinned", test_tls_unpinned);
  g_test_add_func ("/confab/client/tls/wrong-host", test_tls_wrong_host);
  add_per_mode ("tls/pinned", test_tls_pinned);
  g_test_add_func ("/confab/client/tls/pinned-other", test_tls_pinned_other);
  g_test_add_func ("/confab/client/tls/two-certificates", test_tls_two_certificates);

  return run_tests_and_settle ();
}
