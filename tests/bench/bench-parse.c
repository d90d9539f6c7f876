/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Parser throughput: the SSE and chunk parsers in memory, the same through
 * the real client and a local server, and a naive loop for scale. When
 * `node` and the `openai` npm package are there (CONFAB_BENCH_NODE_MODULES
 * names the node_modules folder that holds it), the official SDK reads
 * the same stream from the same server. It prints figures and fails only
 * when the text that arrived is wrong. */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "bench-util.h"
#include "confab-chunk-parser.h"
#include "confab-client.h"
#include "confab-message.h"
#include "confab-request.h"
#include "confab-sse-parser.h"

#define STREAM_SIZE (50 * 1024 * 1024)
#define FEED_SIZE (16 * 1024)
/* The server hands libsoup the body in pieces this large. */
#define SERVER_PIECE (1024 * 1024)
#define N_RUNS 5
#define SEED 20260101
#define DEADLINE_SECONDS 120

typedef struct
{
  /* owned */
  GString *stream;
  GString *expected;

  /* plain state: every event, [DONE] included */
  guint n_events;
} Corpus;

typedef struct
{
  const char *name;
  double      mb_per_s[N_RUNS];
  double      events_per_s[N_RUNS];
} Result;

static double
mb (gsize bytes)
{
  return bytes / (1024.0 * 1024.0);
}

static void
build_corpus (Corpus *corpus)
{
  g_autoptr(BenchTextGen) gen = bench_text_gen_new (SEED, BENCH_NEWLINES_RANDOM);
  g_autoptr(GString) json = g_string_new (NULL);

  corpus->stream = g_string_sized_new (STREAM_SIZE + 4096);
  corpus->expected = g_string_new (NULL);

  while (corpus->stream->len < STREAM_SIZE)
    {
      g_string_truncate (json, 0);
      bench_text_gen_next (gen, corpus->expected, json);
      bench_append_delta_event (corpus->stream, json->str, json->len);
      corpus->n_events++;
    }
  bench_append_done_event (corpus->stream);
  corpus->n_events++;
}

static void
check_text (const char *what,
            GString    *text,
            Corpus     *corpus)
{
  if (text->len != corpus->expected->len ||
      memcmp (text->str, corpus->expected->str, text->len) != 0)
    g_error ("%s: the text differs from what was sent (%zu bytes, expected %zu)",
             what, text->len, corpus->expected->len);
}

/* (a) The SSE parser and the chunk parser, as the client drives them. */

typedef struct
{
  /* borrowed */
  ConfabChunkParser *chunks;
  GString           *text;

  /* plain state */
  guint    n_events;
  guint    n_errors;
  gboolean done;
} Sink;

static void
event_cb (const ConfabSseEvent *event,
          gpointer              user_data)
{
  Sink *sink = user_data;
  g_auto(ConfabChunk) chunk = { 0 };

  sink->n_events++;
  if (!confab_chunk_parser_parse (sink->chunks, event->type, event->data, event->data_len,
                                  &chunk, NULL))
    {
      sink->n_errors++;
      return;
    }

  if (chunk.kind == CONFAB_CHUNK_KIND_DONE)
    sink->done = TRUE;
  else if (chunk.content != NULL)
    g_string_append (sink->text, chunk.content);
}

static double
run_in_memory (Corpus *corpus)
{
  g_autoptr(ConfabChunkParser) chunks = confab_chunk_parser_new ();
  g_autoptr(GString) text = g_string_sized_new (corpus->expected->len + 1);
  g_autoptr(ConfabSseParser) sse = NULL;
  g_autoptr(GError) error = NULL;
  Sink sink = { .chunks = chunks, .text = text };
  const guint8 *data = (const guint8 *)corpus->stream->str;
  gsize len = corpus->stream->len;
  gint64 start;
  gint64 end;

  start = g_get_monotonic_time ();
  sse = confab_sse_parser_new (event_cb, &sink);
  for (gsize offset = 0; offset < len; offset += FEED_SIZE)
    {
      if (!confab_sse_parser_feed (sse, data + offset, MIN (FEED_SIZE, len - offset), &error))
        g_error ("in-memory: the SSE parser failed: %s", error->message);
    }
  end = g_get_monotonic_time ();

  if (sink.n_errors > 0 || !sink.done || sink.n_events != corpus->n_events)
    g_error ("in-memory: %u events, %u unreadable, done %d; expected %u events",
             sink.n_events, sink.n_errors, sink.done, corpus->n_events);
  check_text ("in-memory", text, corpus);

  return (end - start) / (double)G_USEC_PER_SEC;
}

/* (b) The real client against a server in its own thread. */

static void
completions_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Corpus *corpus = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  const char *data = corpus->stream->str;
  gsize len = corpus->stream->len;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  /* The corpus outlives the server, so the pieces need no copy. */
  for (gsize offset = 0; offset < len; offset += SERVER_PIECE)
    soup_message_body_append (body, SOUP_MEMORY_STATIC, data + offset,
                              MIN (SERVER_PIECE, len - offset));
  soup_message_body_complete (body);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
  gint64    end;
} StreamResult;

static void
stream_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StreamResult *stream_result = user_data;

  stream_result->end = g_get_monotonic_time ();
  stream_result->ok = confab_client_stream_finish (CONFAB_CLIENT (object), result,
                                                   &stream_result->error);
  stream_result->done = TRUE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;

  return G_SOURCE_REMOVE;
}

static double
run_end_to_end (Corpus       *corpus,
                ConfabClient *client)
{
  g_autoptr(ConfabRequest) request = confab_request_new ("m");
  g_autoptr(ConfabMessage) reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gboolean expired = FALSE;
  guint deadline_id;
  gint64 start;

  confab_request_add_message (request, "user", "다음을 일본어로 번역하세요");
  confab_request_set_stream (request, TRUE);

  deadline_id = g_timeout_add_seconds (DEADLINE_SECONDS, deadline_cb, &expired);
  start = g_get_monotonic_time ();
  confab_client_stream_async (client, request, reply, NULL, stream_cb, &result);
  while (!result.done && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!result.done)
    g_error ("end-to-end: no reply within %d s", DEADLINE_SECONDS);
  g_source_remove (deadline_id);
  if (!result.ok)
    g_error ("end-to-end: the stream failed: %s", result.error->message);

  if (confab_message_get_content_length (reply) != corpus->expected->len)
    g_error ("end-to-end: the reply has %zu bytes, expected %zu",
             confab_message_get_content_length (reply), corpus->expected->len);
  if (memcmp (confab_message_get_content (reply), corpus->expected->str,
              corpus->expected->len) != 0)
    g_error ("end-to-end: the reply differs from what was sent");

  return (result.end - start) / (double)G_USEC_PER_SEC;
}

/* (c) What a first attempt looks like: split the whole body on blank
 * lines and give every event a parser of its own. */

static double
run_naive (Corpus *corpus)
{
  g_autoptr(GString) text = g_string_sized_new (corpus->expected->len + 1);
  g_auto(GStrv) events = NULL;
  guint n_events = 0;
  gint64 start;
  gint64 end;

  start = g_get_monotonic_time ();
  events = g_strsplit (corpus->stream->str, "\n\n", -1);
  for (guint i = 0; events[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = NULL;
      const char *payload;
      JsonObject *root;
      JsonObject *delta;
      JsonArray *choices;

      if (!g_str_has_prefix (events[i], "data: "))
        continue;

      payload = events[i] + strlen ("data: ");
      n_events++;
      if (strcmp (payload, "[DONE]") == 0)
        break;

      parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, payload, -1, NULL))
        g_error ("naive: event %u is not JSON", n_events);

      root = json_node_get_object (json_parser_get_root (parser));
      choices = json_object_get_array_member (root, "choices");
      delta = json_object_get_object_member (json_array_get_object_element (choices, 0), "delta");
      g_string_append (text, json_object_get_string_member (delta, "content"));
    }
  end = g_get_monotonic_time ();

  if (n_events != corpus->n_events)
    g_error ("naive: %u events, expected %u", n_events, corpus->n_events);
  check_text ("naive", text, corpus);

  return (end - start) / (double)G_USEC_PER_SEC;
}

/* (d) The OpenAI SDK for Node, in a process of its own; the time is the
 * script's own, from the request to the end of the stream, so Node's
 * start-up is not counted. */

typedef struct
{
  char *node;
  char *modules;
  char *script;
} Sdk;

static gboolean
find_sdk (Sdk *sdk)
{
  const char *modules = g_getenv ("CONFAB_BENCH_NODE_MODULES");
  g_autofree char *package = NULL;

  sdk->node = g_find_program_in_path ("node");
  if (sdk->node == NULL || modules == NULL)
    return FALSE;

  package = g_build_filename (modules, "openai", "package.json", NULL);
  if (!g_file_test (package, G_FILE_TEST_EXISTS))
    {
      g_print ("parse: no openai package in %s: the SDK is left out\n", modules);
      return FALSE;
    }
  sdk->modules = g_strdup (modules);
  sdk->script = g_build_filename (BENCH_SOURCE_DIR, "openai-sdk.mjs", NULL);

  return TRUE;
}

static double
run_sdk (Corpus     *corpus,
         Sdk        *sdk,
         const char *base_url)
{
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char **fields = NULL;
  double seconds = 0;

  subprocess = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, sdk->node, sdk->script,
                                 base_url, sdk->modules, NULL);
  if (subprocess == NULL ||
      !g_subprocess_communicate_utf8 (subprocess, NULL, NULL, &out, NULL, &error))
    g_error ("sdk: %s", error->message);
  if (!g_subprocess_get_successful (subprocess) || out == NULL)
    g_error ("sdk: the script failed");

  fields = g_strsplit (g_strstrip (out), " ", -1);
  if (g_strv_length (fields) != 3)
    g_error ("sdk: the script printed %s", out);
  seconds = g_ascii_strtod (fields[0], NULL);
  if (g_ascii_strtoull (fields[2], NULL, 10) != corpus->expected->len)
    g_error ("sdk: %s bytes of text arrived, expected %zu", fields[2], corpus->expected->len);
  g_strfreev (fields);

  return seconds;
}

static GArray *
to_array (const double *values)
{
  GArray *array = g_array_sized_new (FALSE, FALSE, sizeof (double), N_RUNS);

  g_array_append_vals (array, values, N_RUNS);

  return array;
}

static void
record (Result *result,
        guint   run,
        Corpus *corpus,
        double  seconds)
{
  result->mb_per_s[run] = mb (corpus->stream->len) / seconds;
  result->events_per_s[run] = corpus->n_events / seconds;
}

static double
median_events (Result *result)
{
  g_autoptr(GArray) events = to_array (result->events_per_s);

  return bench_percentile (events, 50);
}

static void
print_result (Result *result)
{
  g_autoptr(GArray) rates = to_array (result->mb_per_s);
  g_autoptr(GArray) events = to_array (result->events_per_s);

  g_print ("parse: %-11s %7.1f MB/s %9.0f events/s (min %.1f .. max %.1f MB/s, "
           "%.0f .. %.0f events/s)\n",
           result->name, bench_percentile (rates, 50), bench_percentile (events, 50),
           bench_min (rates), bench_max (rates), bench_min (events), bench_max (events));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabClient) client = NULL;
  Corpus corpus = { 0 };
  BenchServer *server;
  Result results[] = {
    { .name = "in-memory" },
    { .name = "end-to-end" },
    { .name = "naive" },
    { .name = "openai-sdk" },
  };
  Sdk sdk = { 0 };
  gboolean with_sdk = find_sdk (&sdk);
  guint n_results = with_sdk ? 4 : 3;
  double ratio;

  build_corpus (&corpus);
  g_print ("parse: %.1f MB stream, %u events, %.1f MB of text, %.1f bytes of text an event, "
           "median of %d runs\n",
           mb (corpus.stream->len), corpus.n_events, mb (corpus.expected->len),
           (double)corpus.expected->len / corpus.n_events, N_RUNS);

  /* The three paths take turns, so a slower moment of a shared machine
   * does not fall on one path alone. */
  server = bench_server_start (completions_cb, &corpus);
  client = confab_client_new (bench_server_get_base_url (server), NULL);
  for (guint run = 0; run < N_RUNS; run++)
    {
      record (&results[0], run, &corpus, run_in_memory (&corpus));
      record (&results[1], run, &corpus, run_end_to_end (&corpus, client));
      record (&results[2], run, &corpus, run_naive (&corpus));
      if (with_sdk)
        record (&results[3], run, &corpus,
                run_sdk (&corpus, &sdk, bench_server_get_base_url (server)));
    }
  g_clear_object (&client);
  bench_server_stop (server);

  for (guint i = 0; i < n_results; i++)
    print_result (&results[i]);

  ratio = median_events (&results[0]) / median_events (&results[2]);
  g_print ("parse: in-memory is %.2fx the naive loop's events/s\n", ratio);

  g_print ("\nparse summary (%.0f MB, %u events, median of %d runs)\n",
           mb (corpus.stream->len), corpus.n_events, N_RUNS);
  g_print ("  %-11s %10s %12s %10s %10s\n", "path", "MB/s", "events/s", "min MB/s", "max MB/s");
  for (guint i = 0; i < n_results; i++)
    {
      g_autoptr(GArray) rates = to_array (results[i].mb_per_s);

      g_print ("  %-11s %10.1f %12.0f %10.1f %10.1f\n", results[i].name,
               bench_percentile (rates, 50), median_events (&results[i]),
               bench_min (rates), bench_max (rates));
    }
  g_print ("  in-memory / naive: %.2fx\n", ratio);
  if (with_sdk)
    g_print ("  end-to-end / openai-sdk: %.2fx\n",
             median_events (&results[1]) / median_events (&results[3]));
  else
    g_print ("  openai-sdk: not run (needs node and CONFAB_BENCH_NODE_MODULES with openai)\n");
  g_free (sdk.node);
  g_free (sdk.modules);
  g_free (sdk.script);

  g_string_free (corpus.stream, TRUE);
  g_string_free (corpus.expected, TRUE);

  return 0;
}
