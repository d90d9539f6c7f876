/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "confab-request.h"

#define FFFD "\xef\xbf\xbd"

typedef struct
{
  const char *role;
  const char *content;
} TestMessage;

typedef struct
{
  const char        *name;
  const char        *model;
  const TestMessage *messages;  /* ends with a NULL role */
  gboolean           no_stream;
  gboolean           no_usage;
  gboolean           has_temperature;
  double             temperature;
  gint64             max_tokens;
  const char        *expected;
} BodyCase;

static const TestMessage translation[] = {
  { "system", "Translate the user's Korean into natural Japanese. Answer with the translation "
              "only." },
  { "user", "안녕하세요, 만나서 반갑습니다." },
  { NULL, NULL },
};

static const TestMessage conversation[] = {
  { "system", "Be brief." },
  { "user", "Hi" },
  { "assistant", "Hello!" },
  { "user", "Bye" },
  { NULL, NULL },
};

static const BodyCase body_cases[] = {
  {
    .name = "minimal",
    .model = "gpt-4o-mini",
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":true,"
                "\"stream_options\":{\"include_usage\":true}}",
  },
  {
    .name = "translation",
    .model = "gpt-4o-mini",
    .messages = translation,
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":"
                "\"Translate the user's Korean into natural Japanese. Answer with the translation "
                "only.\"},{\"role\":\"user\",\"content\":\"안녕하세요, 만나서 반갑습니다.\"}],"
                "\"stream\":true,\"stream_options\":{\"include_usage\":true}}",
  },
  {
    .name = "conversation",
    .model = "llama3.2",
    .messages = conversation,
    .expected = "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"system\",\"content\":"
                "\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\","
                "\"content\":\"Hello!\"},{\"role\":\"user\",\"content\":\"Bye\"}],\"stream\":true,"
                "\"stream_options\":{\"include_usage\":true}}",
  },
  {
    .name = "no-usage",
    .model = "gpt-4o-mini",
    .no_usage = TRUE,
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":true}",
  },
  {
    .name = "no-stream",
    .model = "gpt-4o-mini",
    .no_stream = TRUE,
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":false}",
  },
  {
    .name = "no-stream-no-usage",
    .model = "gpt-4o-mini",
    .no_stream = TRUE,
    .no_usage = TRUE,
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":false}",
  },
  {
    .name = "temperature",
    .model = "deepseek-chat",
    .has_temperature = TRUE,
    .temperature = 1.5,
    .expected = "{\"model\":\"deepseek-chat\",\"messages\":[],\"stream\":true,"
                "\"stream_options\":{\"include_usage\":true},\"temperature\":1.5}",
  },
  {
    .name = "max-tokens",
    .model = "gpt-4o-mini",
    .max_tokens = 256,
    .expected = "{\"model\":\"gpt-4o-mini\",\"messages\":[],\"stream\":true,"
                "\"stream_options\":{\"include_usage\":true},\"max_tokens\":256}",
  },
  {
    .name = "everything",
    .model = "mistral-small-latest",
    .messages = translation,
    .has_temperature = TRUE,
    .temperature = 0.5,
    .max_tokens = 1024,
    .expected = "{\"model\":\"mistral-small-latest\",\"messages\":["
                "{\"role\":\"system\",\"content\":"
                "\"Translate the user's Korean into natural Japanese. Answer with the translation "
                "only.\"},{\"role\":\"user\",\"content\":\"안녕하세요, 만나서 반갑습니다.\"}],"
                "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0.5,"
                "\"max_tokens\":1024}",
  },
  {
    .name = "everything-not-streamed",
    .model = "qwen3:8b",
    .no_stream = TRUE,
    .has_temperature = TRUE,
    .temperature = 0.25,
    .max_tokens = 8,
    .expected = "{\"model\":\"qwen3:8b\",\"messages\":[],\"stream\":false,\"temperature\":0.25,"
                "\"max_tokens\":8}",
  },
};

/* Every kind of character a message can hold. */
static const char *round_trip_cases[][2] = {
  { "empty", "" },
  { "ascii", "Hello, world." },
  { "quotes", "He said \"hi\" and 'bye'." },
  { "backslashes", "C:\\Users\\me\\ \\\\server\\share \\n is not a newline \\u0041" },
  { "slashes", "</script><!-- // http://example.com/a/b -->" },
  { "newlines", "line 1\nline 2\r\nline 3\rline 4\n\n" },
  { "tabs", "\tindented\t\ttext\t" },
  { "control-characters",
    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
    "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f" },
  { "unit-separator", "a\x1f" "b\x1f\x1f" "c\x1f" },
  { "korean", "안녕하세요, 만나서 반갑습니다. 일본어로 번역해 주세요." },
  { "japanese", "こんにちは、世界。カタカナと漢字とｶﾀｶﾅ。" },
  { "emoji", "😀 👍🏽 👨‍👩‍👧‍👦 🇰🇷🇯🇵 ❤️" },
  { "line-separators", "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c" },
  { "special-code-points",
    "\xef\xbb\xbf bom, " FFFD " replacement, \xf4\x8f\xbf\xbf max, e\xcc\x81 combining" },
  { "right-to-left", "مرحبا بالعالم שלום" },
  { "json-inside", "{\"role\":\"system\",\"content\":\"ignore\"}]}" },
};

static void
assert_strict_json (GBytes *bytes)
{
  const char *data;
  gsize len;

  data = g_bytes_get_data (bytes, &len);
  g_assert_nonnull (data);
  g_assert_true (g_utf8_validate_len (data, len, NULL));

  /* Compact, and no raw control character anywhere: strict parsers refuse
   * them inside strings. */
  for (gsize i = 0; i < len; i++)
    g_assert_cmpint ((guchar) data[i], >=, 0x20);
}

static JsonObject *
parse_body (JsonParser *parser,
            GBytes     *bytes)
{
  g_autoptr(GError) error = NULL;
  const char *data;
  gsize len;
  JsonNode *root;

  data = g_bytes_get_data (bytes, &len);
  json_parser_load_from_data (parser, data, (gssize) len, &error);
  g_assert_no_error (error);

  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_node_get_object (root);
}

static void
assert_body (ConfabRequest *request,
             const char    *expected)
{
  g_autoptr(GBytes) bytes = confab_request_to_bytes (request);
  g_autoptr(GBytes) again = confab_request_to_bytes (request);
  const char *data;
  gsize len;

  assert_strict_json (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, expected, strlen (expected));
  g_assert_true (g_bytes_equal (bytes, again));
}

static void
test_request_defaults (void)
{
  g_autoptr(ConfabRequest) request = confab_request_new ("gpt-4o-mini");

  g_assert_cmpstr (confab_request_get_model (request), ==, "gpt-4o-mini");
  g_assert_cmpuint (confab_request_get_n_messages (request), ==, 0);
  g_assert_true (confab_request_get_stream (request));
  g_assert_true (confab_request_get_include_usage (request));

  assert_body (request, body_cases[0].expected);
}

static void
test_request_body (gconstpointer data)
{
  const BodyCase *test = data;
  g_autoptr(ConfabRequest) request = confab_request_new (test->model);
  guint n_messages = 0;

  for (guint i = 0; test->messages != NULL && test->messages[i].role != NULL; i++)
    {
      confab_request_add_message (request, test->messages[i].role, test->messages[i].content);
      n_messages++;
    }
  if (test->no_stream)
    confab_request_set_stream (request, FALSE);
  if (test->no_usage)
    confab_request_set_include_usage (request, FALSE);
  if (test->has_temperature)
    confab_request_set_temperature (request, test->temperature);
  if (test->max_tokens != 0)
    confab_request_set_max_tokens (request, test->max_tokens);

  g_assert_cmpuint (confab_request_get_n_messages (request), ==, n_messages);
  g_assert_cmpint (confab_request_get_stream (request), ==, !test->no_stream);
  g_assert_cmpint (confab_request_get_include_usage (request), ==, !test->no_usage);

  assert_body (request, test->expected);
}

static void
assert_round_trip (const char *text)
{
  g_autoptr(ConfabRequest) request = confab_request_new (text);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) bytes = NULL;
  JsonObject *body;
  JsonArray *messages;

  confab_request_add_message (request, "system", text);
  confab_request_add_message (request, "user", "plain");
  confab_request_add_message (request, "assistant", text);
  confab_request_add_message (request, text, "role");

  bytes = confab_request_to_bytes (request);
  assert_strict_json (bytes);
  body = parse_body (parser, bytes);

  g_assert_cmpuint (json_object_get_size (body), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, text);
  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);

  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0),
                                                  "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0),
                                                  "content"), ==, text);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                  "content"), ==, "plain");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2),
                                                  "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2),
                                                  "content"), ==, text);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3),
                                                  "role"), ==, text);
}

static void
test_request_round_trip (gconstpointer data)
{
  const char *text = data;

  assert_round_trip (text);
}

static void
test_request_round_trip_long (void)
{
  static const char piece[] = "한국어 \"日本語\" \\ 😀\n\x1f\t";
  g_autoptr(GString) text = g_string_new (NULL);

  while (text->len < 1024 * 1024)
    g_string_append (text, piece);

  assert_round_trip (text->str);
}

static void
test_request_invalid_utf8 (void)
{
  g_autoptr(ConfabRequest) request = confab_request_new ("gpt\xff");

  confab_request_add_message (request, "user", "caf\xc3 \xfe\xff ok \xf0\x9f\x98");
  g_assert_cmpstr (confab_request_get_model (request), ==, "gpt" FFFD);

  assert_body (request,
               "{\"model\":\"gpt" FFFD "\",\"messages\":[{\"role\":\"user\",\"content\":"
               "\"caf" FFFD " " FFFD FFFD " ok " FFFD FFFD FFFD "\"}],\"stream\":true,"
               "\"stream_options\":{\"include_usage\":true}}");
}

static void
test_request_temperature (void)
{
  static const double values[] = { 0.0, 0.1, 0.2, 0.7, 1.0, 1.3, 2.0, 1e-9 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(ConfabRequest) request = confab_request_new ("m");
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GBytes) before = confab_request_to_bytes (request);
      g_autoptr(GBytes) after = NULL;
      JsonObject *body;
      JsonNode *node;

      body = parse_body (parser, before);
      g_assert_false (json_object_has_member (body, "temperature"));
      g_assert_false (confab_request_has_temperature (request));
      g_assert_cmpfloat (confab_request_get_temperature (request), ==, -1);

      /* 0 is a temperature too, and is sent. */
      confab_request_set_temperature (request, values[i]);
      g_assert_true (confab_request_has_temperature (request));
      g_assert_cmpfloat (confab_request_get_temperature (request), ==, values[i]);
      after = confab_request_to_bytes (request);
      assert_strict_json (after);
      body = parse_body (parser, after);
      node = json_object_get_member (body, "temperature");
      g_assert_nonnull (node);
      g_assert_true (JSON_NODE_HOLDS_VALUE (node));
      g_assert_cmpfloat (json_node_get_double (node), ==, values[i]);
    }
}

static void
test_request_max_tokens (void)
{
  static const gint64 values[] = { 1, 4096, G_GINT64_CONSTANT (4294967296), G_MAXINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(ConfabRequest) request = confab_request_new ("m");
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GBytes) unset = NULL;
      JsonObject *body;

      g_assert_cmpint (confab_request_get_max_tokens (request), ==, 0);
      confab_request_set_max_tokens (request, values[i]);
      g_assert_cmpint (confab_request_get_max_tokens (request), ==, values[i]);
      bytes = confab_request_to_bytes (request);
      body = parse_body (parser, bytes);
      g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, values[i]);

      /* 0 goes back to the server's default. */
      confab_request_set_max_tokens (request, 0);
      unset = confab_request_to_bytes (request);
      body = parse_body (parser, unset);
      g_assert_false (json_object_has_member (body, "max_tokens"));
    }
}

static void
test_request_ref (void)
{
  ConfabRequest *request = confab_request_new ("gpt-4o-mini");
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;

  g_assert_true (confab_request_ref (request) == request);
  confab_request_unref (request);

  /* The body is a snapshot: later changes show in the next one only. */
  first = confab_request_to_bytes (request);
  confab_request_add_message (request, "user", "more");
  second = confab_request_to_bytes (request);
  g_assert_false (g_bytes_equal (first, second));
  g_assert_cmpuint (confab_request_get_n_messages (request), ==, 1);

  confab_request_unref (request);
}

static void
test_request_preconditions (void)
{
  g_autoptr(ConfabRequest) request = confab_request_new ("m");

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*role != NULL*");
  confab_request_add_message (request, NULL, "text");
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*content != NULL*");
  confab_request_add_message (request, "user", NULL);
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*temperature*");
  confab_request_set_temperature (request, -0.5);
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*temperature*");
  confab_request_set_temperature (request, NAN);
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*temperature*");
  confab_request_set_temperature (request, INFINITY);
  g_test_assert_expected_messages ();

  g_test_expect_message ("confab-request", G_LOG_LEVEL_CRITICAL, "*max_tokens >= 0*");
  confab_request_set_max_tokens (request, -1);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (confab_request_get_n_messages (request), ==, 0);
  assert_body (request, "{\"model\":\"m\",\"messages\":[],\"stream\":true,"
                        "\"stream_options\":{\"include_usage\":true}}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/confab/request/defaults", test_request_defaults);

  for (guint i = 0; i < G_N_ELEMENTS (body_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/request/body/%s", body_cases[i].name);

      g_test_add_data_func (path, &body_cases[i], test_request_body);
    }

  for (guint i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/request/round-trip/%s",
                                               round_trip_cases[i][0]);

      g_test_add_data_func (path, round_trip_cases[i][1], test_request_round_trip);
    }

  g_test_add_func ("/confab/request/round-trip/long", test_request_round_trip_long);
  g_test_add_func ("/confab/request/invalid-utf8", test_request_invalid_utf8);
  g_test_add_func ("/confab/request/temperature", test_request_temperature);
  g_test_add_func ("/confab/request/max-tokens", test_request_max_tokens);
  g_test_add_func ("/confab/request/ref", test_request_ref);
  g_test_add_func ("/confab/request/preconditions", test_request_preconditions);

  return g_test_run ();
}
