/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "confab-client.h"
#include "confab-message.h"
#include "confab-request.h"
#include "test-server.h"
#include "test-wait.h"

/* The real client against servers that misbehave on purpose (issue 8):
 * each case ends with a clear error, or goes on as long as the server is
 * alive, and the process keeps its memory and its file descriptors. The
 * figures go to the log through g_test_message (). */

#define MODEL "gpt-4o-mini"
#define REPLACEMENT "\xEF\xBF\xBD"

/* The growth of the resident set that a case may cause. */
#define MAX_RSS_GROWTH_KB (64 * 1024)
#define GIGABYTE (G_GUINT64_CONSTANT (1) << 30)
/* One write of an endless body. */
#define BLOCK_SIZE (64 * 1024)
/* How long the endless streams of tiny events are let run. */
#define ENDLESS_SECONDS 3
/* Requests in a row, unless CONFAB_HOSTILE_REQUESTS says otherwise: the
 * sanitizer build sets fewer, see tests/meson.build. */
#define DEFAULT_N_REQUESTS 10000
#define WARM_UP_REQUESTS 200
/* The session's pool may keep a connection more or fewer at the end. */
#define FD_SLACK 4

#define SSE_HEAD \
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
#define GZIP_SSE_HEAD \
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n" \
  "Connection: close\r\n\r\n"
#define DELTA_HEAD "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
#define DELTA(text) DELTA_HEAD text "\"},\"finish_reason\":null}]}\n\n"
#define EMPTY_DELTA "data: {\"choices\":[{\"index\":0,\"delta\":{}}]}\n\n"
#define DONE "data: [DONE]\n\n"

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} StreamResult;

/* What the process holds */

static gsize
read_rss_kb (void)
{
  g_autofree char *status = NULL;
  g_autoptr(GError) error = NULL;
  const char *line;

  g_file_get_contents ("/proc/self/status", &status, NULL, &error);
  g_assert_no_error (error);
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);

  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* The directory's own descriptor is among them, every time. */
static guint
count_fds (void)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  dir = g_dir_open ("/proc/self/fd", 0, &error);
  g_assert_no_error (error);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

/* Helpers */

static ConfabRequest *
new_request (void)
{
  ConfabRequest *request = confab_request_new (MODEL);

  confab_request_add_message (request, "user", "안녕하세요.");

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
            ConfabMessage *reply,
            StreamResult  *result)
{
  g_autoptr(ConfabRequest) request = new_request ();

  confab_client_stream_async (client, request, reply, NULL, stream_done_cb, result);
  wait_until (flag_is_set, &result->done);
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

/* Compresses @len bytes of @data. With G_CONVERTER_FLUSH the output
 * ends on a block boundary, so the client can decode it at once. */
static GBytes *
compress (GConverter      *compressor,
          const void      *data,
          gsize            len,
          GConverterFlags  flags)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize consumed = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      guint8 buffer[4096];
      gsize n_read = 0;
      gsize n_written = 0;
      GConverterResult result;

      result = g_converter_convert (compressor, (const guint8 *)data + consumed, len - consumed,
                                    buffer, sizeof buffer, flags, &n_read, &n_written, &error);
      g_assert_no_error (error);
      consumed += n_read;
      g_byte_array_append (out, buffer, n_written);
      if (result == G_CONVERTER_FINISHED || result == G_CONVERTER_FLUSHED)
        break;
    }
  g_assert_cmpuint (consumed, ==, len);

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Endless bodies, made as they are written */

typedef struct
{
  /* owned */
  GBytes     *head;
  GBytes     *block;
  /* nullable: compresses each block again instead, with this state */
  GConverter *compressor;
  GBytes     *plain_block;

  /* plain state */
  guint64 limit;
  guint64 n_blocks;
} Endless;

static void
endless_clear (Endless *endless)
{
  g_clear_pointer (&endless->head, g_bytes_unref);
  g_clear_pointer (&endless->block, g_bytes_unref);
  g_clear_pointer (&endless->plain_block, g_bytes_unref);
  g_clear_object (&endless->compressor);
}

/* The head, then the block again and again until the body is @limit
 * bytes long, uncompressed. */
static GBytes *
endless_write_cb (guint64  offset,
                  gpointer user_data)
{
  Endless *endless = user_data;

  if (offset == 0)
    return g_bytes_ref (endless->head);

  if (endless->limit > 0 && endless->n_blocks * BLOCK_SIZE >= endless->limit)
    return NULL;

  endless->n_blocks++;
  if (endless->compressor != NULL)
    return compress (endless->compressor, g_bytes_get_data (endless->plain_block, NULL),
                     g_bytes_get_size (endless->plain_block), G_CONVERTER_FLUSH);

  return g_bytes_ref (endless->block);
}

/* Case 1: a gigabyte of junk. The SSE parser holds an unfinished line,
 * and the data of an event, to CONFAB_SSE_DEFAULT_MAX_LINE (4 MB): the
 * client fails there, long before the gigabyte, and frees what it held. */

typedef enum
{
  JUNK_NO_NEWLINES,
  JUNK_DATA_LINES,
  JUNK_GZIP_BOMB,
} JunkKind;

static GBytes *
junk_block (JunkKind kind)
{
  guint8 *block = g_malloc (BLOCK_SIZE);

  switch (kind)
    {
    case JUNK_NO_NEWLINES:
    case JUNK_GZIP_BOMB:
      /* Every byte but CR and LF, high bytes and NUL included. */
      for (gsize i = 0; i < BLOCK_SIZE; i++)
        {
          guint8 byte = (guint8)(i * 7);

          block[i] = byte == '\r' || byte == '\n' ? 'x' : byte;
        }
      break;

    case JUNK_DATA_LINES:
      /* Short data lines and never the blank line that ends an event. */
      for (gsize i = 0; i < BLOCK_SIZE; i += 64)
        {
          memset (block + i, 'x', 64);
          memcpy (block + i, "data: ", 6);
          block[i + 63] = '\n';
        }
      break;

    default:
      g_assert_not_reached ();
    }

  return g_bytes_new_take (block, BLOCK_SIZE);
}

static void
test_junk (gconstpointer user_data)
{
  JunkKind kind = GPOINTER_TO_INT (user_data);
  Endless endless = { 0 };
  RawServer *server = NULL;
  ConfabClient *client = NULL;
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gsize rss_before;
  gsize rss_after;
  gint64 start;

  endless.limit = GIGABYTE;
  if (kind == JUNK_GZIP_BOMB)
    {
      endless.head = g_bytes_new_static (GZIP_SSE_HEAD, strlen (GZIP_SSE_HEAD));
      endless.compressor = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP,
                                                               9));
      endless.plain_block = junk_block (kind);
    }
  else
    {
      endless.head = g_bytes_new_static (SSE_HEAD, strlen (SSE_HEAD));
      endless.block = junk_block (kind);
    }

  server = raw_server_new (endless_write_cb, &endless);
  client = confab_client_new (server->base_url, NULL);

  rss_before = read_rss_kb ();
  start = g_get_monotonic_time ();
  run_stream (client, reply, &result);
  rss_after = read_rss_kb ();

  g_test_message ("junk: %" G_GUINT64_FORMAT " bytes written, %" G_GUINT64_FORMAT
                  " blocks of %d bytes made, in %.2f s; RSS %zu kB before, %zu kB after "
                  "(%+ld kB)", server->n_written, endless.n_blocks, BLOCK_SIZE,
                  seconds_since (start), rss_before, rss_after,
                  (long)rss_after - (long)rss_before);
  g_test_message ("junk: %s", result.error != NULL ? result.error->message : "no error");

  g_assert_false (result.ok);
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_PROTOCOL);
  assert_readable (result.error);
  /* The bound is 4 MB of text; what the socket buffers hold comes on top. */
  g_assert_cmpuint (endless.n_blocks * BLOCK_SIZE, <, 64 * 1024 * 1024);
  g_assert_cmpuint (rss_after, <, rss_before + MAX_RSS_GROWTH_KB);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  raw_server_free (server);
  endless_clear (&endless);
}

/* Case 2: an endless stream of tiny valid events. Each one proves the
 * server alive, and the idle time-out is about silence, not length: a
 * slow but live reply may take as long as it takes, so nothing in the
 * client ends it, and Stop does. What must hold is that the client keeps
 * nothing per event: comments are dropped by the SSE parser, empty
 * deltas add nothing to the message, and the exchange record is bounded
 * in bytes and in reads (it once kept 4 KB a read: 330 MB in 3 s here).
 * The test stops the stream with its cancellable after ENDLESS_SECONDS. */

typedef struct
{
  const char *name;
  const char *event;
} TinyCase;

static const TinyCase tiny_cases[] = {
  { "keep-alive", ":\n" },
  { "empty-delta", EMPTY_DELTA },
};

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

static void
test_tiny_events (gconstpointer user_data)
{
  const TinyCase *tiny = user_data;
  g_autoptr(ConfabRequest) request = new_request ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Endless endless = { 0 };
  RawServer *server = NULL;
  ConfabClient *client = NULL;
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gsize rss_before;
  gsize rss_after;
  gint64 start;

  /* One event a write, so that the client reads them in small pieces. */
  endless.head = g_bytes_new_static (SSE_HEAD, strlen (SSE_HEAD));
  endless.block = g_bytes_new_static (tiny->event, strlen (tiny->event));
  server = raw_server_new (endless_write_cb, &endless);
  client = confab_client_new (server->base_url, NULL);
  confab_client_set_idle_timeout (client, 2);

  rss_before = read_rss_kb ();
  start = g_get_monotonic_time ();
  confab_client_stream_async (client, request, reply, cancellable, stream_done_cb, &result);
  g_timeout_add_seconds (ENDLESS_SECONDS, cancel_cb, cancellable);
  wait_until_seconds (flag_is_set, &result.done, ENDLESS_SECONDS + DEADLINE_SECONDS);
  rss_after = read_rss_kb ();

  g_test_message ("%s: %" G_GUINT64_FORMAT " events (%" G_GUINT64_FORMAT " bytes) in %.2f s, "
                  "stopped by the test; RSS %zu kB before, %zu kB after (%+ld kB)",
                  tiny->name, endless.n_blocks, server->n_written, seconds_since (start),
                  rss_before, rss_after, (long)rss_after - (long)rss_before);

  g_assert_error (result.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (endless.n_blocks, >, 1000);
  g_assert_cmpuint (rss_after, <, rss_before + MAX_RSS_GROWTH_KB);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "");
  g_assert_cmpuint (confab_message_get_skipped_events (reply), ==, 0);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  raw_server_free (server);
  endless_clear (&endless);
}

/* Case 3: a drip. The idle time-out counts from the last byte, so one
 * byte a second keeps a reply alive under a 2 s limit, however long it
 * takes; a silence longer than the limit ends it. */

#define DRIP_IDLE_TIMEOUT 2
#define DRIP_MS 1000

static const char * const drip_parts[] = {
  /* [DONE] itself comes a byte a second, over three idle limits. */
  DELTA ("slow") "data: [D", "O", "N", "E", "]", "\n", "\n", NULL
};

static const Response drip_response = { .parts = drip_parts, .delay_ms = DRIP_MS };

static const char * const drip_stall_parts[] = {
  DELTA ("slow"), "d", "a", "t", NULL
};

static const Response drip_stall_response = {
  .parts = drip_stall_parts,
  .delay_ms = DRIP_MS,
  .ending = END_STALL,
};

static void
test_drip (void)
{
  const Response * const responses[] = { &drip_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  confab_client_set_idle_timeout (client, DRIP_IDLE_TIMEOUT);
  run_stream (client, reply, &result);
  elapsed = seconds_since (start);

  g_test_message ("drip: complete after %.2f s under a %d s idle limit", elapsed,
                  DRIP_IDLE_TIMEOUT);
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "slow");
  g_assert_cmpfloat (elapsed, >, 3 * DRIP_IDLE_TIMEOUT - 1);

  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

static void
test_drip_stall (void)
{
  const Response * const responses[] = { &drip_stall_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gint64 start = g_get_monotonic_time ();
  gint64 last_byte;
  double silence;
  double elapsed;

  confab_client_set_idle_timeout (client, DRIP_IDLE_TIMEOUT);
  run_stream (client, reply, &result);
  elapsed = seconds_since (start);
  g_assert_cmpuint (server->part_times->len, ==, G_N_ELEMENTS (drip_stall_parts) - 1);
  last_byte = g_array_index (server->part_times, gint64, server->part_times->len - 1);
  silence = seconds_since (last_byte);

  g_test_message ("drip then silence: failed after %.2f s, %.2f s after the last byte; %s",
                  elapsed, silence, result.error != NULL ? result.error->message : "no error");
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TIMED_OUT);
  assert_readable (result.error);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "slow");
  g_assert_cmpfloat (silence, >=, DRIP_IDLE_TIMEOUT - 0.1);
  g_assert_cmpfloat (silence, <, DRIP_IDLE_TIMEOUT + 2);
  /* The bytes before the silence kept it alive past one limit. */
  g_assert_cmpfloat (elapsed, >, DRIP_IDLE_TIMEOUT + 2);

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (server);
}

/* Case 4: a gzip-encoded event stream. libsoup 3 adds SoupContentDecoder
 * to every session (soup_session_init ()), which asks for gzip and
 * deflate and decodes them: the client sees plain text. The compressed
 * body comes in 7-byte writes, so the decoder works across reads. */

#define GZIP_REPLY "日本語のテキスト、圧縮済み。"

static const char gzip_body[] =
  DELTA ("日本語") DELTA ("の") DELTA ("テキスト") DELTA ("、") DELTA ("圧縮済み")
  DELTA ("。") DONE;

typedef struct
{
  GBytes *compressed;
  gsize   head_len;
} Gzipped;

static GBytes *
gzipped_write_cb (guint64  offset,
                  gpointer user_data)
{
  Gzipped *gzipped = user_data;
  gsize size = g_bytes_get_size (gzipped->compressed);
  gsize body_offset;

  if (offset == 0)
    return g_bytes_new_static (GZIP_SSE_HEAD, gzipped->head_len);

  body_offset = offset - gzipped->head_len;
  if (body_offset >= size)
    return NULL;

  return g_bytes_new_from_bytes (gzipped->compressed, body_offset, MIN (7, size - body_offset));
}

static void
test_gzip (void)
{
  g_autoptr(GConverter) compressor = NULL;
  g_autofree char *request_head = NULL;
  Gzipped gzipped = { 0 };
  RawServer *server = NULL;
  ConfabClient *client = NULL;
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  compressor = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1));
  gzipped.compressed = compress (compressor, gzip_body, strlen (gzip_body),
                                 G_CONVERTER_INPUT_AT_END);
  gzipped.head_len = strlen (GZIP_SSE_HEAD);
  server = raw_server_new (gzipped_write_cb, &gzipped);
  client = confab_client_new (server->base_url, NULL);

  run_stream (client, reply, &result);

  g_test_message ("gzip: %zu bytes of events in %zu compressed bytes",
                  strlen (gzip_body), g_bytes_get_size (gzipped.compressed));
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  g_assert_cmpstr (confab_message_get_content (reply), ==, GZIP_REPLY);
  request_head = g_ascii_strdown (server->last_request, -1);
  g_assert_nonnull (strstr (request_head, "\r\naccept-encoding: gzip"));

  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  raw_server_free (server);
  g_bytes_unref (gzipped.compressed);
}

/* Case 5: a redirect loop between two servers, 307 one way and 308 the
 * other (test-client has the loop on one server). The client follows
 * CONFAB_CLIENT_MAX_REDIRECTS, then says so, at once. */

static const char * const moved_parts[] = { "<html>Moved</html>", NULL };

typedef struct
{
  Response    response;
  const char *headers[3];
} Redirect;

static void
redirect_init (Redirect   *redirect,
               guint       status,
               const char *location)
{
  redirect->headers[0] = "Location";
  redirect->headers[1] = location;
  redirect->headers[2] = NULL;
  redirect->response.status = status;
  redirect->response.content_type = "text/html";
  redirect->response.parts = moved_parts;
  redirect->response.headers = redirect->headers;
}

static void
test_redirect_loop (void)
{
  Redirect to_b = { 0 };
  Redirect to_a = { 0 };
  const Response * const a_responses[] = { &to_b.response, NULL };
  const Response * const b_responses[] = { &to_a.response, NULL };
  TestServer *a = test_server_new (WRITE_WHOLE, a_responses);
  TestServer *b = test_server_new (WRITE_WHOLE, b_responses);
  g_autofree char *a_url = g_strconcat (a->base_url, "/chat/completions", NULL);
  g_autofree char *b_url = g_strconcat (b->base_url, "/chat/completions", NULL);
  ConfabClient *client = confab_client_new (a->base_url, "sk-secret");
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  redirect_init (&to_b, 307, b_url);
  redirect_init (&to_a, 308, a_url);
  run_stream (client, reply, &result);
  elapsed = seconds_since (start);

  g_test_message ("redirect loop: %u + %u requests, failed in %.3f s: %s",
                  a->n_requests, b->n_requests, elapsed,
                  result.error != NULL ? result.error->message : "no error");
  g_assert_error (result.error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT);
  assert_readable (result.error);
  g_assert_cmpuint (a->n_requests + b->n_requests, ==, CONFAB_CLIENT_MAX_REDIRECTS + 1);
  g_assert_cmpfloat (elapsed, <, 2);
  /* The key never went to the other origin. */
  for (guint i = 0; i < b->authorizations->len; i++)
    g_assert_null (g_ptr_array_index (b->authorizations, i));

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  test_server_free (a);
  test_server_free (b);
}

/* Case 6: a body that ends inside a UTF-8 character. The unit of a reply
 * is the event: the text of every whole event is kept, the cut event is
 * never dispatched (WHATWG), so no half character reaches the message,
 * and the reply fails as truncated however the connection ends. */

#define CUT_EVENT DELTA_HEAD "\xE8\xAA" /* the first two of the three bytes of 語 */

static const char * const cut_parts[] = { DELTA ("日本"), CUT_EVENT, NULL };
static const Response cut_complete = { .parts = cut_parts, .ending = END_COMPLETE };
static const Response cut_reset = { .parts = cut_parts, .ending = END_RESET };

/* A whole event whose string ends with the cut character, and no [DONE]:
 * the chunk parser repairs the text before it reaches the message. */
static const char * const cut_string_parts[] = { DELTA ("日本") DELTA ("\xE8\xAA"), NULL };
static const Response cut_string = { .parts = cut_string_parts };

typedef struct
{
  const char     *name;
  const Response *response;
  const char     *content;
} CutCase;

static const CutCase cut_cases[] = {
  { "chunked-end", &cut_complete, "日本" },
  { "reset", &cut_reset, "日本" },
  { "in-string", &cut_string, "日本" REPLACEMENT REPLACEMENT },
};

static void
assert_cut_reply (ConfabMessage *reply,
                  StreamResult  *result,
                  const char    *content)
{
  g_assert_false (result->ok);
  g_assert_error (result->error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TRUNCATED);
  assert_readable (result->error);
  g_assert_true (g_utf8_validate (confab_message_get_content (reply), -1, NULL));
  g_assert_cmpstr (confab_message_get_content (reply), ==, content);
}

static void
test_cut_character (gconstpointer user_data)
{
  const CutCase *cut = user_data;

  for (WriteMode mode = 0; mode < N_WRITE_MODES; mode++)
    {
      const Response * const responses[] = { cut->response, NULL };
      TestServer *server = test_server_new (mode, responses);
      ConfabClient *client = confab_client_new (server->base_url, NULL);
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };

      run_stream (client, reply, &result);
      g_test_message ("%s, mode %d: “%s”; %s", cut->name, mode,
                      confab_message_get_content (reply),
                      result.error != NULL ? result.error->message : "no error");
      assert_cut_reply (reply, &result, cut->content);

      g_clear_error (&result.error);
      g_assert_finalize_object (reply);
      g_assert_finalize_object (client);
      test_server_free (server);
    }
}

/* A Content-Length the body does not reach: only a raw server sends it. */
#define CUT_LENGTH_HEAD \
  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 1000\r\n\r\n"

static const char * const cut_length_writes[] = {
  CUT_LENGTH_HEAD, DELTA ("日本"), CUT_EVENT, NULL
};

/* Writes each of the NULL-terminated strings, then closes. */
static GBytes *
writes_cb (guint64  offset,
           gpointer user_data)
{
  const char * const *writes = user_data;
  guint64 end = 0;

  for (guint i = 0; writes[i] != NULL; i++)
    {
      if (offset == end)
        return g_bytes_new_static (writes[i], strlen (writes[i]));
      end += strlen (writes[i]);
    }

  return NULL;
}

static void
test_cut_character_length (void)
{
  RawServer *server = raw_server_new (writes_cb, (gpointer)cut_length_writes);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  run_stream (client, reply, &result);
  g_test_message ("content-length: “%s”; %s", confab_message_get_content (reply),
                  result.error != NULL ? result.error->message : "no error");
  assert_cut_reply (reply, &result, "日本");

  g_clear_error (&result.error);
  g_assert_finalize_object (reply);
  g_assert_finalize_object (client);
  raw_server_free (server);
}

/* Case 7: the connection closes during the status line or the headers,
 * with a FIN or a reset, or the answer is not HTTP at all. */

typedef struct
{
  const char *name;
  const char *head;
} HeadCase;

static const HeadCase head_cases[] = {
  { "nothing", "" },
  { "status-line", "HTTP/1.1 200 O" },
  { "header", "HTTP/1.1 200 OK\r\nContent-Type: text/ev" },
  { "no-blank-line", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" },
  { "not-http", "SSH-2.0-OpenSSH_9.2p1\r\n\r\n" },
};

static void
test_closed_in_headers (gconstpointer user_data)
{
  const HeadCase *head = user_data;

  for (guint reset = 0; reset < 2; reset++)
    {
      const char *writes[] = { *head->head != '\0' ? head->head : NULL, NULL };
      RawServer *server = raw_server_new (writes_cb, writes);
      ConfabClient *client = confab_client_new (server->base_url, NULL);
      ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
      StreamResult result = { 0 };
      gint64 start = g_get_monotonic_time ();

      server->reset = reset;
      run_stream (client, reply, &result);
      g_test_message ("%s, %s: %u requests, failed in %.3f s: %s [%s %d]", head->name,
                      reset ? "reset" : "FIN", server->n_requests, seconds_since (start),
                      result.error != NULL ? result.error->message : "no error",
                      result.error != NULL ? g_quark_to_string (result.error->domain) : "",
                      result.error != NULL ? result.error->code : 0);
      g_assert_false (result.ok);
      g_assert_nonnull (result.error);
      /* The server was reached: not a connection error, which would
       * send the user to check the address. */
      g_assert_true (g_error_matches (result.error, CONFAB_CLIENT_ERROR,
                                      CONFAB_CLIENT_ERROR_TRUNCATED) ||
                     g_error_matches (result.error, CONFAB_CLIENT_ERROR,
                                      CONFAB_CLIENT_ERROR_PROTOCOL));
      assert_readable (result.error);
      g_assert_cmpstr (confab_message_get_content (reply), ==, "");

      g_clear_error (&result.error);
      g_assert_finalize_object (reply);
      g_assert_finalize_object (client);
      raw_server_free (server);
    }
}

/* Case 8: many short requests in a row, each a new reply, on the
 * session's kept-alive connection. After a warm-up, which fills the
 * caches and the pool, neither descriptors nor memory may grow. */

static const char * const short_parts[] = { DELTA ("ok") DONE, NULL };
static const Response short_response = { .parts = short_parts };

static guint
n_requests (void)
{
  const char *value = g_getenv ("CONFAB_HOSTILE_REQUESTS");

  if (value == NULL)
    return DEFAULT_N_REQUESTS;

  return MAX (1, g_ascii_strtoull (value, NULL, 10));
}

/* Each connection is a client port of its own. */
static void
note_port_cb (TestServer        *server,
              SoupServerMessage *msg,
              gpointer           user_data)
{
  GHashTable *ports = user_data;

  g_hash_table_add (ports, GUINT_TO_POINTER (g_array_index (server->ports, guint,
                                                            server->ports->len - 1)));
}

static void
run_short_request (ConfabClient *client)
{
  ConfabMessage *reply = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT, NULL);
  StreamResult result = { 0 };

  run_stream (client, reply, &result);
  g_assert_no_error (result.error);
  g_assert_cmpstr (confab_message_get_content (reply), ==, "ok");
  g_assert_finalize_object (reply);
}

static void
run_short_requests (ConfabClient *client,
                    TestServer   *server,
                    guint         n)
{
  for (guint i = 0; i < n; i++)
    {
      run_short_request (client);
      /* The server's records of 10,000 requests are 2.5 MB, which is
       * not the client's. */
      if (i % 1000 == 999)
        test_server_clear_records (server);
    }
}

static void
test_many_requests (void)
{
  const Response * const responses[] = { &short_response, NULL };
  TestServer *server = test_server_new (WRITE_WHOLE, responses);
  ConfabClient *client = confab_client_new (server->base_url, NULL);
  GHashTable *ports = g_hash_table_new (NULL, NULL);
  guint n = n_requests ();
  guint fds_before;
  guint fds_after;
  gsize rss_before;
  gsize rss_after;
  gint64 start;
  double elapsed;

  test_server_set_request_func (server, note_port_cb, ports,
                                (GDestroyNotify)g_hash_table_unref);
  run_short_requests (client, server, WARM_UP_REQUESTS);
  test_server_clear_records (server);

  fds_before = count_fds ();
  rss_before = read_rss_kb ();
  start = g_get_monotonic_time ();
  run_short_requests (client, server, n);
  elapsed = seconds_since (start);
  fds_after = count_fds ();
  rss_after = read_rss_kb ();

  g_test_message ("%u requests in %.2f s (%.0f/s) on %u connections; fds %u before, %u after; "
                  "RSS %zu kB before, %zu kB after (%+ld kB)", n, elapsed, n / elapsed,
                  g_hash_table_size (ports), fds_before, fds_after, rss_before, rss_after,
                  (long)rss_after - (long)rss_before);
  g_assert_cmpuint (server->n_requests, ==, WARM_UP_REQUESTS + n);
  g_assert_cmpuint (fds_after, <=, fds_before + FD_SLACK);
  g_assert_cmpuint (fds_after + FD_SLACK, >=, fds_before);
  g_assert_cmpuint (rss_after, <, rss_before + MAX_RSS_GROWTH_KB);

  g_assert_finalize_object (client);
  test_server_free (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  g_test_add_data_func ("/confab/hostile/junk/no-newlines",
                        GINT_TO_POINTER (JUNK_NO_NEWLINES), test_junk);
  g_test_add_data_func ("/confab/hostile/junk/data-lines",
                        GINT_TO_POINTER (JUNK_DATA_LINES), test_junk);
  g_test_add_data_func ("/confab/hostile/junk/gzip-bomb",
                        GINT_TO_POINTER (JUNK_GZIP_BOMB), test_junk);
  for (guint i = 0; i < G_N_ELEMENTS (tiny_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/confab/hostile/endless/", tiny_cases[i].name, NULL);

      g_test_add_data_func (path, &tiny_cases[i], test_tiny_events);
    }
  g_test_add_func ("/confab/hostile/drip/complete", test_drip);
  g_test_add_func ("/confab/hostile/drip/stall", test_drip_stall);
  g_test_add_func ("/confab/hostile/gzip", test_gzip);
  g_test_add_func ("/confab/hostile/redirect-loop", test_redirect_loop);
  for (guint i = 0; i < G_N_ELEMENTS (cut_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/confab/hostile/cut-character/", cut_cases[i].name,
                                           NULL);

      g_test_add_data_func (path, &cut_cases[i], test_cut_character);
    }
  g_test_add_func ("/confab/hostile/cut-character/content-length", test_cut_character_length);
  for (guint i = 0; i < G_N_ELEMENTS (head_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/confab/hostile/closed-in-headers/",
                                           head_cases[i].name, NULL);

      g_test_add_data_func (path, &head_cases[i], test_closed_in_headers);
    }
  g_test_add_func ("/confab/hostile/many-requests", test_many_requests);

  return run_tests_and_settle ();
}
