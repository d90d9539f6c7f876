/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "confab-exchange.h"

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

static void
add_chunk (ConfabExchange *exchange,
           const char     *data)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, strlen (data));

  confab_exchange_add_chunk (exchange, bytes);
}

/* What a person copies: every byte accounted for, and valid UTF-8. */
static void
test_text (void)
{
  g_autoptr(ConfabExchange) exchange = NULL;
  g_autofree char *text = NULL;

  exchange = confab_exchange_new ("POST", "http://127.0.0.1:8080/v1/chat/completions", 1024);
  confab_exchange_set_status (exchange, "HTTP/1.1", 200, "OK");
  confab_exchange_add_header (exchange, "Content-Type", "text/event-stream");
  confab_exchange_add_header (exchange, "Set-Cookie", "id=secret-cookie");
  add_chunk (exchange, "data: {\"a\":\"日本\xE8\xAA");
  add_chunk (exchange, "\x9E\"}\r\n\r\n");
  add_chunk (exchange, "\t\x1B[0m\xFF\x7F\n");

  text = confab_exchange_to_text (exchange);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (g_str_has_prefix (text, "POST http://127.0.0.1:8080/v1/chat/completions\n"
                                         "HTTP/1.1 200 OK (+"));
  assert_contains (text, ")\nContent-Type: text/event-stream\nSet-Cookie: [hidden]\n\n+");
  g_assert_null (strstr (text, "secret-cookie"));
  /* A character split between reads shows as escapes in both. */
  assert_contains (text, " ms, 20 bytes\ndata: {\"a\":\"日本\\xE8\\xAA\n+");
  assert_contains (text, " ms, 7 bytes\n\\x9E\"}␍\n␍\n+");
  assert_contains (text, " ms, 8 bytes\n␉␛[0m\\xFF␡\n");
  g_assert_null (strstr (text, "[failed"));
  g_assert_null (strstr (text, "not kept"));
}

static void
test_bound (void)
{
  g_autoptr(ConfabExchange) exchange = confab_exchange_new ("GET", "http://h/v1/models", 10);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;

  add_chunk (exchange, "0123456");
  add_chunk (exchange, "789abcdef");
  add_chunk (exchange, "ghij");
  confab_exchange_set_error (exchange, "The connection was lost.");

  body = confab_exchange_dup_body (exchange);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "0123456789", 10);
  g_assert_cmpuint (confab_exchange_get_n_chunks (exchange), ==, 2);
  g_assert_cmpuint (confab_exchange_get_total_bytes (exchange), ==, 20);
  g_assert_cmpuint (confab_exchange_get_dropped_bytes (exchange), ==, 10);
  g_assert_true (confab_exchange_get_truncated (exchange));
  g_assert_cmpuint (confab_exchange_get_status (exchange), ==, 0);

  text = confab_exchange_to_text (exchange);
  assert_contains (text, "[10 more bytes received, not kept]\n");
  assert_contains (text, "[failed: The connection was lost.]\n");
}

/* Reads of a byte each reach the bound on reads long before the bound
 * on bytes, and what they kept is a copy, not the reader's buffer. */
static void
test_chunk_bound (void)
{
  g_autoptr(ConfabExchange) exchange = confab_exchange_new ("POST", "http://h/v1", 1024 * 1024);
  g_autoptr(GBytes) buffer = g_bytes_new_take (g_malloc0 (16384), 16384);
  const ConfabExchangeChunk *chunk;
  guint n = CONFAB_EXCHANGE_MAX_CHUNKS + 100;
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GBytes) read = g_bytes_new_from_bytes (buffer, 0, 1);

      confab_exchange_add_chunk (exchange, read);
    }

  g_assert_cmpuint (confab_exchange_get_n_chunks (exchange), ==, CONFAB_EXCHANGE_MAX_CHUNKS);
  g_assert_cmpuint (confab_exchange_get_total_bytes (exchange), ==, n);
  g_assert_cmpuint (confab_exchange_get_dropped_bytes (exchange), ==, 100);
  g_assert_true (confab_exchange_get_truncated (exchange));
  chunk = confab_exchange_get_chunk (exchange, 0);
  g_assert_cmpuint (g_bytes_get_size (chunk->bytes), ==, 1);
  g_assert_true (g_bytes_get_data (chunk->bytes, NULL) != g_bytes_get_data (buffer, NULL));

  text = confab_exchange_to_text (exchange);
  assert_contains (text, "[100 more bytes received, not kept]\n");
}

/* Each record bounds its own body, and all of them together keep no
 * more than the session's budget: the oldest give theirs back first, and
 * say so, while what they received is still counted. */
static void
test_session_budget (void)
{
  ConfabExchange *exchanges[4];
  g_autoptr(ConfabExchange) big = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpuint (confab_exchange_get_session_bytes (), ==, 0);
  confab_exchange_set_session_budget (25);

  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    {
      exchanges[i] = confab_exchange_new ("POST", "http://h/v1/chat/completions", 10);
      add_chunk (exchanges[i], "0123456789");
      g_assert_cmpuint (confab_exchange_get_session_bytes (), <=, 25);
    }

  /* The third reply's body took the first's place, the fourth's the
   * second's. */
  g_assert_cmpuint (confab_exchange_get_session_bytes (), ==, 20);
  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    {
      g_autoptr(GBytes) kept = confab_exchange_dup_body (exchanges[i]);

      g_assert_cmpint (confab_exchange_get_body_dropped (exchanges[i]), ==, i < 2);
      g_assert_cmpuint (g_bytes_get_size (kept), ==, i < 2 ? 0 : 10);
      g_assert_cmpuint (confab_exchange_get_total_bytes (exchanges[i]), ==, 10);
    }
  g_assert_cmpuint (confab_exchange_get_n_chunks (exchanges[0]), ==, 0);
  g_assert_true (confab_exchange_get_truncated (exchanges[0]));
  text = confab_exchange_to_text (exchanges[0]);
  assert_contains (text, "[10 bytes received; no longer kept, to make room for newer "
                         "responses]\n");
  g_assert_null (strstr (text, "not kept]"));
  g_assert_null (strstr (text, "0123456789"));

  /* A dropped body keeps nothing more. */
  add_chunk (exchanges[0], "abc");
  g_assert_cmpuint (confab_exchange_get_n_chunks (exchanges[0]), ==, 0);
  g_assert_cmpuint (confab_exchange_get_total_bytes (exchanges[0]), ==, 13);

  /* A body larger than the budget alone keeps what fits, once every
   * other has made room. */
  big = confab_exchange_new ("POST", "http://h/v1/chat/completions", 100);
  add_chunk (big, "0123456789012345678901234567890123456789");
  body = confab_exchange_dup_body (big);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 25);
  g_assert_cmpuint (confab_exchange_get_session_bytes (), ==, 25);
  g_assert_true (confab_exchange_get_body_dropped (exchanges[3]));

  /* Records freed give their share back. */
  for (guint i = 0; i < G_N_ELEMENTS (exchanges); i++)
    confab_exchange_unref (exchanges[i]);
  g_clear_pointer (&big, confab_exchange_unref);
  g_assert_cmpuint (confab_exchange_get_session_bytes (), ==, 0);
  confab_exchange_set_session_budget (CONFAB_EXCHANGE_DEFAULT_SESSION_BUDGET);
}

/* The key, when a server quotes it back, is kept as asterisks: whole in
 * one read, split between reads, and its beginning where the bound cuts
 * the body. Lengths stay what the server sent. */
static void
test_secret (void)
{
  g_autoptr(ConfabExchange) split = confab_exchange_new ("POST", "http://h/v1", 1024);
  g_autoptr(ConfabExchange) cut = confab_exchange_new ("POST", "http://h/v1", 12);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) cut_body = NULL;
  g_autofree char *text = NULL;
  const char *value;

  confab_exchange_set_secret (split, "sk-secret-123");
  confab_exchange_set_status (split, "HTTP/1.1", 401, "Bad key sk-secret-123");
  confab_exchange_add_header (split, "X-Debug", "key=sk-secret-123;");
  add_chunk (split, "{\"error\":\"sk-secret-123 and sk-s");
  add_chunk (split, "e");
  add_chunk (split, "cret-1");
  add_chunk (split, "23, not sk-secret-12\"}");

  body = confab_exchange_dup_body (split);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   "{\"error\":\"************* and *************, not sk-secret-12\"}", 61);
  g_assert_cmpuint (confab_exchange_get_n_chunks (split), ==, 4);
  g_assert_cmpstr (confab_exchange_get_reason (split), ==, "Bad key *************");
  confab_exchange_get_header (split, 0, NULL, &value);
  g_assert_cmpstr (value, ==, "key=*************;");
  text = confab_exchange_to_text (split);
  g_assert_null (strstr (text, "sk-secret-123"));
  assert_contains (text, " ms, 1 bytes\n*\n");

  confab_exchange_set_secret (cut, "sk-secret-123");
  add_chunk (cut, "key: sk-secr");
  add_chunk (cut, "et-123");
  cut_body = confab_exchange_dup_body (cut);
  g_assert_cmpmem (g_bytes_get_data (cut_body, NULL), g_bytes_get_size (cut_body),
                   "key: *******", 12);
}

static void
test_redaction (void)
{
  static const struct
  {
    const char *url;
    const char *shown;
  } urls[] = {
    { "https://api.example.com/v1/chat/completions",
      "https://api.example.com/v1/chat/completions" },
    { "https://user:pa55@h.example/v1", "https://user@h.example/v1" },
    { "https://h.example/openai/deployments/x/chat/completions?api-version=2024-10-21&api-key=abc",
      "https://h.example/openai/deployments/x/chat/completions?api-version=2024-10-21"
      "&api-key=[hidden]" },
    { "https://h.example/v1?key=abc&access_token=def#frag",
      "https://h.example/v1?key=[hidden]&access_token=[hidden]#frag" },
  };
  static const char * const hidden[] = {
    "Authorization", "proxy-authenticate", "X-API-KEY", "Set-Cookie", "x-goog-api-key",
    "X-Session-Token",
  };
  static const char * const shown[] = { "Content-Type", "X-Request-Id", "Openai-Model" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(ConfabExchange) exchange = confab_exchange_new ("POST", urls[i].url, 0);

      g_assert_cmpstr (confab_exchange_get_url (exchange), ==, urls[i].shown);
    }

  for (guint i = 0; i < G_N_ELEMENTS (hidden) + G_N_ELEMENTS (shown); i++)
    {
      g_autoptr(ConfabExchange) exchange = confab_exchange_new ("POST", "http://h/", 0);
      gboolean is_hidden = i < G_N_ELEMENTS (hidden);
      const char *name = is_hidden ? hidden[i] : shown[i - G_N_ELEMENTS (hidden)];
      const char *value;

      confab_exchange_add_header (exchange, name, "value-0123");
      confab_exchange_get_header (exchange, 0, NULL, &value);
      g_assert_cmpstr (value, ==, is_hidden ? "[hidden]" : "value-0123");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/confab/exchange/text", test_text);
  g_test_add_func ("/confab/exchange/bound", test_bound);
  g_test_add_func ("/confab/exchange/chunk-bound", test_chunk_bound);
  g_test_add_func ("/confab/exchange/session-budget", test_session_budget);
  g_test_add_func ("/confab/exchange/secret", test_secret);
  g_test_add_func ("/confab/exchange/redaction", test_redaction);

  return g_test_run ();
}
