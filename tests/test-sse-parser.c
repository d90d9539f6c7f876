/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "confab-sse-parser.h"
#include "test-splits.h"

typedef struct
{
  const char *name;
  const char *input;
  size_t      input_len;
  /* Each event as "type|id|data\n", rendered by append_event () */
  const char *expected;
  /* 0 keeps the default bound */
  size_t      max_line;
  /* Whether feeding ends in CONFAB_SSE_ERROR_LINE_TOO_LONG after the
   * expected events */
  gboolean    fails;
  /* Whether the stream sets a reconnection time, and which */
  gboolean    has_retry;
  gint64      retry;
} SseCase;

/* The input is a byte string that may hold NUL, so its length is explicit. */
#define INPUT(s) .input = (s), .input_len = sizeof (s) - 1

static const SseCase cases[] = {
  /* Line endings */
  { "lf", INPUT ("data: hello\n\n"), "message||hello\n" },
  { "crlf", INPUT ("data: hello\r\n\r\n"), "message||hello\n" },
  { "cr", INPUT ("data: hello\r\r"), "message||hello\n" },
  { "mixed-endings",
    INPUT ("data: a\r\ndata: b\rdata: c\n\r\nevent: x\rdata: d\n\n"),
    "message||a\\nb\\nc\nx||d\n" },
  /* CR, then CRLF: two line ends, so the blank line dispatches. */
  { "cr-then-crlf", INPUT ("data: a\r\r\ndata: b\r\n\r\n"), "message||a\nmessage||b\n" },
  /* LF, then CR: two line ends as well. */
  { "lf-then-cr", INPUT ("data: a\n\rdata: b\n\r"), "message||a\nmessage||b\n" },
  { "crlf-pairs",
    INPUT ("data: 1\r\n\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n"),
    "message||1\nmessage||2\nmessage||3\n" },
  /* A CR at the very end still ends the line at once. */
  { "cr-at-end", INPUT ("data: a\n\r"), "message||a\n" },

  /* Byte order mark */
  { "bom", INPUT ("\xEF\xBB\xBF" "data: a\n\n"), "message||a\n" },
  { "bom-crlf", INPUT ("\xEF\xBB\xBF" "\r\ndata: a\r\n\r\n"), "message||a\n" },
  /* Only the first BOM is skipped: a second one is part of the field name. */
  { "bom-twice", INPUT ("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\ndata: b\n\n"), "message||b\n" },
  { "bom-in-data", INPUT ("data: \xEF\xBB\xBF" "a\n\n"), "message||\xEF\xBB\xBF" "a\n" },
  { "bom-after-first-event",
    INPUT ("data: a\n\n\xEF\xBB\xBF" "data: b\n\ndata: c\n\n"),
    "message||a\nmessage||c\n" },
  /* A partial BOM is not skipped: its bytes start the first line. */
  { "bom-partial", INPUT ("\xEF\xBB" "data: a\n\ndata: b\n\n"), "message||b\n" },
  { "bom-partial-line", INPUT ("\xEF\xBB\ndata: a\n\n"), "message||a\n" },
  { "bom-partial-cr", INPUT ("\xEF\rdata: a\r\r"), "message||a\n" },

  /* Comments */
  { "comments",
    INPUT (": keep-alive\n\ndata: a\n: OPENROUTER PROCESSING\n\n:\n\n"),
    "message||a\n" },
  { "comment-crlf", INPUT (": OPENROUTER PROCESSING\r\n\r\ndata: a\r\n\r\n"), "message||a\n" },

  /* Fields and values */
  { "multi-line-data", INPUT ("data: a\ndata: b\ndata: c\n\n"), "message||a\\nb\\nc\n" },
  { "no-space", INPUT ("data:x\n\n"), "message||x\n" },
  { "two-spaces", INPUT ("data:  x\n\n"), "message|| x\n" },
  { "trailing-space", INPUT ("data: x \n\n"), "message||x \n" },
  { "colon-in-value", INPUT ("data: a: b\ndata::c\n\n"), "message||a: b\\n:c\n" },
  { "tab-not-space", INPUT ("data:\tx\n\n"), "message||\\x09x\n" },
  /* A line without a colon is a name with an empty value. */
  { "no-colon", INPUT ("data\n\n"), "message||\n" },
  { "no-colon-twice", INPUT ("data\ndata\n\n"), "message||\\n\n" },
  { "no-colon-between", INPUT ("data: a\ndata\ndata: b\n\n"), "message||a\\n\\nb\n" },
  /* WHATWG: the data buffer is "\n", so the event is dispatched with "". */
  { "empty-data", INPUT ("data:\n\n"), "message||\n" },
  { "empty-data-space", INPUT ("data: \n\n"), "message||\n" },
  { "empty-data-two", INPUT ("data:\ndata:\n\n"), "message||\\n\n" },
  { "unknown-field", INPUT ("foo: bar\ndata: a\nDATA: b\ndata : c\n\n"), "message||a\n" },
  { "nul-in-data", INPUT ("data: a\0b\n\n"), "message||a\\x00b\n" },

  /* event */
  { "event", INPUT ("event: add\ndata: 1\n\ndata: 2\n\n"), "add||1\nmessage||2\n" },
  { "event-last-wins", INPUT ("event: a\nevent: b\ndata: 1\n\n"), "b||1\n" },
  { "event-empty", INPUT ("event: x\nevent:\ndata: 1\n\n"), "message||1\n" },
  /* A blank line without data still resets the type. */
  { "event-reset-without-data", INPUT ("event: x\n\ndata: 1\n\n"), "message||1\n" },
  { "event-error",
    INPUT ("event: error\ndata: {\"error\":{\"message\":\"Rate limit exceeded\","
           "\"code\":429}}\n\n"),
    "error||{\"error\":{\"message\":\"Rate limit exceeded\",\"code\":429}}\n" },

  /* id */
  { "id",
    INPUT ("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\n"),
    "message|1|a\nmessage|1|b\nmessage||c\nmessage|2|d\n" },
  { "id-with-nul", INPUT ("id: 1\n\nid: 2\0x\ndata: a\n\n"), "message|1|a\n" },
  { "id-no-space", INPUT ("id:7\ndata:a\n\n"), "message|7|a\n" },

  /* retry */
  { "retry-field", INPUT ("retry: 3000\n\n"), "", .has_retry = TRUE, .retry = 3000 },
  { "retry-invalid",
    INPUT ("retry: 1000\nretry: 12a\nretry: -5\nretry:  7\nretry:\nretry\nretry: 1.5\n\n"),
    "", .has_retry = TRUE, .retry = 1000 },
  { "retry-invalid-only", INPUT ("retry: x\n\n"), "" },
  { "retry-zero", INPUT ("retry:0\n"), "", .has_retry = TRUE, .retry = 0 },
  { "retry-overflow", INPUT ("retry: 123456789012345678901234567890\n"), "",
    .has_retry = TRUE, .retry = G_MAXINT64 },
  { "retry-max", INPUT ("retry: 9223372036854775807\n"), "",
    .has_retry = TRUE, .retry = G_MAXINT64 },

  /* Dispatch */
  { "blank-lines-only", INPUT ("\n\n\r\n\r\r\n"), "" },
  { "unterminated-line", INPUT ("data: a\n\ndata: b"), "message||a\n" },
  { "unterminated-event", INPUT ("data: a\n\ndata: b\n"), "message||a\n" },
  { "unterminated-crlf", INPUT ("data: a\r\n\r\ndata: b\r\n"), "message||a\n" },

  /* Bytes, never validated or decoded */
  { "utf8",
    INPUT ("event: 日本語\ndata: 안녕하세요\ndata: こんにちは 🎉👩‍💻\n\n"),
    "日本語||안녕하세요\\nこんにちは 🎉👩‍💻\n" },
  { "utf8-crlf", INPUT ("id: 🆔\r\ndata: 한국어\r\n\r\n"), "message|🆔|한국어\n" },
  { "invalid-utf8",
    INPUT ("data: \xFF\xFE\xC3\x28 \xED\xA0\x80 \xF0\x9F\n\n"),
    "message||\xFF\xFE\xC3\x28 \xED\xA0\x80 \xF0\x9F\n" },

  /* A realistic chat completion stream */
  { "openai",
    INPUT (": OPENROUTER PROCESSING\n\n"
           "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":"
           "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
           "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
           "{\"content\":\"Hello\"}}]}\n\n"
           ": keep-alive\n\n"
           "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
           "{\"content\":\" 세계 🌍\"}}]}\n\n"
           "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
           "\"finish_reason\":\"stop\"}]}\n\n"
           "data: {\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
           "\"completion_tokens\":3,\"total_tokens\":12}}\n\n"
           "data: [DONE]\n\n"),
    "message||{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":"
    "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
    "{\"content\":\"Hello\"}}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":"
    "{\"content\":\" 세계 🌍\"}}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
    "\"finish_reason\":\"stop\"}]}\n"
    "message||{\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,"
    "\"completion_tokens\":3,\"total_tokens\":12}}\n"
    "message||[DONE]\n" },
  { "openai-crlf",
    INPUT ("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\n"
           "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\r\n\r\n"
           "data: [DONE]\r\n\r\n"),
    "message||{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n"
    "message||{\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n"
    "message||[DONE]\n" },

  /* Bounds: lines are at most max_line bytes, terminator and BOM excluded */
  { "max-line-exact", INPUT ("data: 0123456789\r\n\r\n"), "message||0123456789\n",
    .max_line = 16 },
  { "max-line-bom", INPUT ("\xEF\xBB\xBF" "data: 0123456789\n\n"), "message||0123456789\n",
    .max_line = 16 },
  { "line-too-long", INPUT ("data: short\n\ndata: 0123456789a\n\ndata: after\n\n"),
    "message||short\n", .max_line = 16, .fails = TRUE },
  { "line-too-long-unterminated", INPUT ("data: short\n\ndata: 0123456789a"),
    "message||short\n", .max_line = 16, .fails = TRUE },
  { "line-too-long-comment", INPUT (": 0123456789abcdef\ndata: x\n\n"), "",
    .max_line = 16, .fails = TRUE },
  { "line-too-long-partial-bom", INPUT ("\xEF\xBB" "data: 0123456789\n\n"), "",
    .max_line = 16, .fails = TRUE },
  /* The joined data of one event is held to the same bound. */
  { "event-exact", INPUT ("data: 0123456789\ndata: 01234\n\n"),
    "message||0123456789\\n01234\n", .max_line = 16 },
  { "event-too-large", INPUT ("data: a\n\ndata: 0123456789\ndata: 012345\n\n"),
    "message||a\n", .max_line = 16, .fails = TRUE },
  { "event-too-large-empty-lines", INPUT ("data\ndata\ndata\ndata\ndata\n\n"), "",
    .max_line = 3, .fails = TRUE },
};

static void
append_escaped (GString    *out,
                const char *bytes,
                size_t      len)
{
  /* Bytes of 0x80 and above stay raw so expected UTF-8 reads as text. */
  for (size_t i = 0; i < len; i++)
    {
      guint8 c = (guint8) bytes[i];

      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c < 0x20 || c == 0x7F || c == '\\' || c == '|')
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
}

static void
append_event (GString    *out,
              const char *type,
              const char *id,
              const char *data,
              size_t      data_len)
{
  append_escaped (out, type, strlen (type));
  g_string_append_c (out, '|');
  append_escaped (out, id, strlen (id));
  g_string_append_c (out, '|');
  append_escaped (out, data, data_len);
  g_string_append_c (out, '\n');
}

static void
collect_cb (const ConfabSseEvent *event,
            gpointer              user_data)
{
  GString *out = user_data;

  g_assert_nonnull (event->type);
  g_assert_nonnull (event->id);
  g_assert_nonnull (event->data);
  g_assert_cmpint (event->data[event->data_len], ==, '\0');

  append_event (out, event->type, event->id, event->data, event->data_len);
}

/* Feeds the input in pieces that end at each of @cuts, then at the end,
 * to a new parser, and checks the events, the error and the retry time
 * against what the case expects. */
static void
check_feeds (const SseCase *c,
             const size_t  *cuts,
             size_t         n_cuts)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GString) events = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  parser = confab_sse_parser_new (collect_cb, events);
  if (c->max_line > 0)
    confab_sse_parser_set_max_line (parser, c->max_line);

  ok = feed_pieces (parser, c->input, c->input_len, cuts, n_cuts, &error);

  if (ok == c->fails || strcmp (events->str, c->expected) != 0)
    {
      g_autofree char *where = describe_cuts (cuts, n_cuts);

      g_test_message ("%s: %s", c->name, where);
    }

  if (c->fails)
    {
      g_assert_false (ok);
      g_assert_error (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG);
      g_assert_nonnull (strstr (error->message, "bytes."));
    }
  else
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }

  g_assert_cmpstr (events->str, ==, c->expected);
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, c->has_retry ? c->retry : -1);
}

/* One event as the parser dispatched it, byte for byte. */
typedef struct
{
  char   *type;
  char   *id;
  GBytes *data;
} SeenEvent;

static void
seen_event_free (gpointer data)
{
  SeenEvent *seen = data;

  g_free (seen->type);
  g_free (seen->id);
  g_bytes_unref (seen->data);
  g_free (seen);
}

/* The case fed whole, which check_feeds () checked against what it
 * expects, and one parser that every other way of feeding it reuses,
 * reset in between: each of them must dispatch the same events. The
 * events are compared as bytes, not rendered as text, so that feeding a
 * 100 KB case in two parts at each of its split points stays fast. */
typedef struct
{
  const SseCase   *c;
  GPtrArray       *events;  /* SeenEvent, from the whole feed */
  gint64           retry;
  ConfabSseParser *parser;
  guint            n_seen;
  gboolean         differs;
} Replay;

static void
record_cb (const ConfabSseEvent *event,
           gpointer              user_data)
{
  GPtrArray *events = user_data;
  SeenEvent *seen = g_new0 (SeenEvent, 1);

  seen->type = g_strdup (event->type);
  seen->id = g_strdup (event->id);
  seen->data = g_bytes_new (event->data, event->data_len);
  g_ptr_array_add (events, seen);
}

static void
compare_cb (const ConfabSseEvent *event,
            gpointer              user_data)
{
  Replay *replay = user_data;
  const SeenEvent *want;
  size_t want_len;

  if (replay->n_seen >= replay->events->len)
    {
      replay->differs = TRUE;
      return;
    }

  want = g_ptr_array_index (replay->events, replay->n_seen++);
  want_len = g_bytes_get_size (want->data);
  /* An empty GBytes has no data pointer, which memcmp () must not get. */
  if (event->data_len != want_len ||
      (want_len > 0 && memcmp (event->data, g_bytes_get_data (want->data, NULL), want_len) != 0) ||
      strcmp (event->type, want->type) != 0 ||
      strcmp (event->id, want->id) != 0)
    replay->differs = TRUE;
}

static void
replay_split (const size_t *cuts,
              size_t        n_cuts,
              gpointer      user_data)
{
  Replay *replay = user_data;
  const SseCase *c = replay->c;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  confab_sse_parser_reset (replay->parser);
  replay->n_seen = 0;
  replay->differs = FALSE;

  ok = feed_pieces (replay->parser, c->input, c->input_len, cuts, n_cuts, &error);

  if (replay->differs || replay->n_seen != replay->events->len || ok == c->fails ||
      confab_sse_parser_get_retry (replay->parser) != replay->retry)
    {
      g_autofree char *where = describe_cuts (cuts, n_cuts);

      /* A new parser, fed the same way, says what differs as text. */
      check_feeds (c, cuts, n_cuts);
      g_error ("%s: %s: a reset parser gave other events than a new one", c->name, where);
    }

  if (!ok)
    g_assert_error (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG);
}

static void
check_case (const SseCase *c)
{
  g_autoptr(ConfabSseParser) recorder = NULL;
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (seen_event_free);
  Replay replay = { c, events, -1, NULL, 0, FALSE };

  check_feeds (c, NULL, 0);

  recorder = confab_sse_parser_new (record_cb, events);
  if (c->max_line > 0)
    confab_sse_parser_set_max_line (recorder, c->max_line);
  feed_pieces (recorder, c->input, c->input_len, NULL, 0, NULL);
  replay.retry = confab_sse_parser_get_retry (recorder);

  /* Every split point, even of the 100 KB line: the parser's state at
   * each of them (in the middle of the field name, after the colon,
   * between CR and LF, inside a UTF-8 character) is what the test is
   * about, and sampling them would leave some out. */
  parser = confab_sse_parser_new (compare_cb, &replay);
  if (c->max_line > 0)
    confab_sse_parser_set_max_line (parser, c->max_line);
  replay.parser = parser;
  for_each_split (c->input_len, replay_split, &replay);
}

static void
test_case (gconstpointer user_data)
{
  check_case (user_data);
}

/* A 100 KB data line, for the path that carries a line across feeds,
 * split at each of its 100,000 points: 1.5 s in a debug build here. */
static void
test_long_data_line (void)
{
  SseCase c = { .name = "long-data-line" };
  g_autoptr(GString) input = g_string_new ("event: big\ndata: ");
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) data = g_string_new (NULL);

  for (size_t i = 0; data->len < 100 * 1024; i++)
    g_string_append_printf (data, "%zu,", i);

  g_string_append_len (input, data->str, data->len);
  g_string_append (input, "\r\n\r\ndata: end\n\n");
  append_event (expected, "big", "", data->str, data->len);
  append_event (expected, "message", "", "end", 3);

  c.input = input->str;
  c.input_len = input->len;
  c.expected = expected->str;
  check_case (&c);
}

static const char *
pick_line_end (gboolean after_cr,
               gboolean line_empty)
{
  static const char *const ends[] = { "\n", "\r", "\r\n" };

  /* A CR, then an empty line ended by LF, would read as one CRLF. */
  if (after_cr && line_empty)
    return ends[g_test_rand_int_range (1, 3)];

  return ends[g_test_rand_int_range (0, 3)];
}

/* A generated stream of every kind of line, with random line ends. */
static void
test_random_stream (void)
{
  static const char *const words[] = {
    "hello", "세계", "日本", "🎉", "{\"a\":1}", "[DONE]", " ", ":", "x", "\xFF\xFE",
  };
  SseCase c = { .name = "random-stream" };
  g_autoptr(GString) input = g_string_new ("\xEF\xBB\xBF");
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) data = g_string_new (NULL);
  g_autofree char *id = g_strdup ("");
  gboolean after_cr = FALSE;
  const char *end;

  for (guint n = 0; n < 60; n++)
    {
      g_autofree char *type = NULL;
      guint n_data = (guint) g_test_rand_int_range (0, 4);

      if (g_test_rand_bit ())
        {
          g_string_append (input, ": keep-alive");
          end = pick_line_end (after_cr, FALSE);
          g_string_append (input, end);
          after_cr = g_str_equal (end, "\r");
        }
      if (g_test_rand_bit ())
        {
          type = g_strdup_printf ("type%u", n);
          g_string_append_printf (input, "event: %s", type);
          end = pick_line_end (after_cr, FALSE);
          g_string_append (input, end);
          after_cr = g_str_equal (end, "\r");
        }
      if (g_test_rand_int_range (0, 4) == 0)
        {
          g_free (id);
          id = g_strdup_printf ("%u", n);
          g_string_append_printf (input, "id:%s", id);
          end = pick_line_end (after_cr, FALSE);
          g_string_append (input, end);
          after_cr = g_str_equal (end, "\r");
        }

      g_string_truncate (data, 0);
      for (guint i = 0; i < n_data; i++)
        {
          guint n_words = (guint) g_test_rand_int_range (0, 4);

          g_string_append (input, "data: ");
          for (guint w = 0; w < n_words; w++)
            {
              const char *word = words[g_test_rand_int_range (0, G_N_ELEMENTS (words))];

              g_string_append (input, word);
              g_string_append (data, word);
            }
          g_string_append_c (data, '\n');
          end = pick_line_end (after_cr, FALSE);
          g_string_append (input, end);
          after_cr = g_str_equal (end, "\r");
        }

      end = pick_line_end (after_cr, TRUE);
      g_string_append (input, end);
      after_cr = g_str_equal (end, "\r");

      if (data->len > 0)
        append_event (expected, type != NULL ? type : "message", id, data->str, data->len - 1);
    }

  /* An event the stream does not finish is not dispatched. */
  g_string_append (input, "data: unfinished\n");

  c.input = input->str;
  c.input_len = input->len;
  c.expected = expected->str;
  check_case (&c);
}

static void
count_cb (const ConfabSseEvent *event,
          gpointer              user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_default_max_line (void)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *line = g_malloc (CONFAB_SSE_DEFAULT_MAX_LINE + 3);
  guint count = 0;

  /* A line of exactly the default bound passes. */
  memcpy (line, "data: ", 6);
  memset (line + 6, 'x', CONFAB_SSE_DEFAULT_MAX_LINE - 6);
  memcpy (line + CONFAB_SSE_DEFAULT_MAX_LINE, "\n\n", 2);
  parser = confab_sse_parser_new (count_cb, &count);
  g_assert_true (confab_sse_parser_feed (parser, line, CONFAB_SSE_DEFAULT_MAX_LINE + 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);

  /* One byte more does not. */
  line[CONFAB_SSE_DEFAULT_MAX_LINE] = 'x';
  memcpy (line + CONFAB_SSE_DEFAULT_MAX_LINE + 1, "\n\n", 2);
  g_assert_false (confab_sse_parser_feed (parser, line, CONFAB_SSE_DEFAULT_MAX_LINE + 3, &error));
  g_assert_error (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG);
  g_assert_cmpuint (count, ==, 1);
}

static void
test_error_sticks (void)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;
  static const char input[] = "data: 0123456789\n\n";
  guint count = 0;

  parser = confab_sse_parser_new (count_cb, &count);
  confab_sse_parser_set_max_line (parser, 8);
  g_assert_false (confab_sse_parser_feed (parser, (const guint8 *) input, sizeof input - 1,
                                          &error));
  g_assert_error (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG);
  g_assert_cmpstr (error->message, ==, "The server sent a line longer than 8 bytes.");

  /* Feeding on fails the same way, even with nothing to parse. */
  g_assert_false (confab_sse_parser_feed (parser, NULL, 0, &again));
  g_assert_error (again, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG);
  g_assert_false (confab_sse_parser_feed (parser, (const guint8 *) "data: a\n\n", 9, NULL));
  g_assert_cmpuint (count, ==, 0);

  /* A reset forgets the failure; the bound stays. */
  confab_sse_parser_reset (parser);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "data: a\n\n", 9, NULL));
  g_assert_cmpuint (count, ==, 1);
  g_assert_false (confab_sse_parser_feed (parser, (const guint8 *) input, sizeof input - 1,
                                          NULL));
}

static void
test_reset (void)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GString) events = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  static const char before[] = "\xEF\xBB\xBF" "id: 7\nretry: 5\nevent: t\ndata: x\ndata: part";
  static const char after[] = "\xEF\xBB\xBF" "data: y\n\n";

  parser = confab_sse_parser_new (collect_cb, events);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) before, sizeof before - 1,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, 5);

  /* Back to the start of a stream: the BOM is skipped again, and the id,
   * type, data, partial line and retry time are gone. */
  confab_sse_parser_reset (parser);
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, -1);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) after, sizeof after - 1,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpstr (events->str, ==, "message||y\n");

  /* A reset in the middle of a BOM starts matching it again. */
  g_string_truncate (events, 0);
  confab_sse_parser_reset (parser);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "\xEF\xBB", 2, &error));
  confab_sse_parser_reset (parser);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) after, sizeof after - 1,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpstr (events->str, ==, "message||y\n");
}

static void
test_retry (void)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  guint count = 0;

  parser = confab_sse_parser_new (count_cb, &count);
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, -1);

  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "retry: 2500\n", 12, NULL));
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, 2500);

  /* Invalid values leave the last valid one. */
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "retry: 1e3\n", 11, NULL));
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, 2500);

  /* It needs a line end to take effect, like every field. */
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "retry: 10", 9, NULL));
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, 2500);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) "0\r", 2, NULL));
  g_assert_cmpint (confab_sse_parser_get_retry (parser), ==, 100);
  g_assert_cmpuint (count, ==, 0);
}

static void
test_many_events_one_feed (void)
{
  g_autoptr(ConfabSseParser) parser = NULL;
  g_autoptr(GString) input = g_string_new (NULL);
  guint count = 0;

  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (input, "data: %u\n\n", i);

  parser = confab_sse_parser_new (count_cb, &count);
  g_assert_true (confab_sse_parser_feed (parser, (const guint8 *) input->str, input->len,
                                         NULL));
  g_assert_cmpuint (count, ==, 1000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/confab/sse/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }

  g_test_add_func ("/confab/sse/long-data-line", test_long_data_line);
  g_test_add_func ("/confab/sse/random-stream", test_random_stream);
  g_test_add_func ("/confab/sse/default-max-line", test_default_max_line);
  g_test_add_func ("/confab/sse/error-sticks", test_error_sticks);
  g_test_add_func ("/confab/sse/reset", test_reset);
  g_test_add_func ("/confab/sse/get-retry", test_retry);
  g_test_add_func ("/confab/sse/many-events-one-feed", test_many_events_one_feed);

  return g_test_run ();
}
