/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-client"

#include "config.h"

#include "confab-client.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "confab-chunk-parser.h"
#include "confab-models.h"
#include "confab-profile.h"
#include "confab-sse-parser.h"
#include "confab-text.h"

/* One read buffer: large enough that a fast local server costs few
 * main-loop wake-ups, small enough that a slow one shows each token. */
#define READ_SIZE 16384
/* An error body is only read to find a message in it. */
#define MAX_ERROR_BODY (64 * 1024)
/* What a message shows in place of the key a server quoted back. */
#define HIDDEN_KEY "[hidden]"
/* A non-streamed answer is bounded too: no reply is 64 MB. */
#define MAX_JSON_BODY (64 * 1024 * 1024)
/* After [DONE] only the last chunk of the chunked encoding should come.
 * A server that sends more, or takes longer, costs its connection
 * instead of holding it. */
#define MAX_DRAIN_BYTES (64 * 1024)
#define DRAIN_TIMEOUT_MS 2000

struct _ConfabClient
{
  GObject parent_instance;

  /* owned */
  SoupSession *session;
  char        *base_url;
  char        *api_key;
  GHashTable  *no_stream_options;
  /* Drain structs, each freed by its own last callback */
  GPtrArray   *drains;
  /* ConfabExchange: the last requests, oldest first */
  GQueue      *exchanges;
  char        *pinned_certificate;
  char        *last_certificate_fingerprint;

  /* plain state */
  double idle_timeout;
  double connect_timeout;
  /* applied to each chat request */
  gboolean streaming;
  double   temperature;
  gint64   max_tokens;
  /* bounds on the records */
  guint    max_exchanges;
  gsize    max_exchange_body;
};

G_DEFINE_FINAL_TYPE (ConfabClient, confab_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (confab-client-error-quark, confab_client_error)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_API_KEY,
  PROP_IDLE_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
  PROP_STREAMING,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  PROP_PINNED_CERTIFICATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef void (*BodyFunc) (GTask *task);

typedef enum
{
  PHASE_CONNECTING,
  PHASE_WAITING,
} Phase;

/* One request: a chat request, or the list of models, which has no
 * request, reply or parsers. */
typedef struct
{
  /* owned */
  ConfabClient      *client;
  ConfabRequest     *request;
  ConfabMessage     *reply;
  SoupMessage       *message;
  GInputStream      *stream;
  GCancellable      *cancellable;
  GCancellable      *outer_cancellable;
  ConfabSseParser   *sse;
  ConfabChunkParser *chunks;
  GByteArray        *body;
  BodyFunc           body_func;
  gsize              body_limit;
  GError            *stream_error;
  GError            *skipped_error;
  char              *base_url;
  char              *host;
  ConfabExchange    *exchange;
  /* where a redirect sends the request instead of the configured URL */
  GUri              *redirect_uri;
  char              *certificate_fingerprint;
  /* sends the request again, after a redirect; takes a reference */
  BodyFunc           restart;

  /* source ids and handlers */
  guint  timeout_id;
  gulong cancelled_id;

  /* plain state */
  Phase    phase;
  gint64   last_activity;
  gboolean timed_out;
  gboolean sent_stream_options;
  gboolean retried;
  gboolean fresh_connection;
  gboolean resent;
  gboolean done;
  gboolean got_finish;
  /* the request went out on a connection, so the server was reached */
  gboolean request_sent;
  guint    n_events;
  guint    n_redirects;
  /* set by accept-certificate: the certificate failed verification */
  GTlsCertificateFlags certificate_errors;
  gboolean             certificate_refused;
} StreamData;

/* The rest of a body whose reply is complete, read in the background
 * so that libsoup can give the connection to the next request. */
typedef struct
{
  /* borrowed: NULL once the client is disposed */
  ConfabClient *client;

  /* owned */
  GInputStream   *stream;
  GCancellable   *cancellable;
  ConfabExchange *exchange;

  /* source ids */
  guint timeout_id;

  /* plain state */
  gsize n_read;
} Drain;

static void start_request (GTask *task);
static void read_next (GTask *task);
static void read_body (GTask    *task,
                       gsize     limit,
                       BodyFunc  func);
static void models_send_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);

static void
stream_data_free (StreamData *data)
{
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (data->outer_cancellable != NULL)
    g_cancellable_disconnect (data->outer_cancellable, data->cancelled_id);
  g_clear_object (&data->outer_cancellable);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->stream);
  if (data->message != NULL)
    g_signal_handlers_disconnect_by_data (data->message, data);
  g_clear_object (&data->message);
  g_clear_pointer (&data->sse, confab_sse_parser_free);
  g_clear_pointer (&data->chunks, confab_chunk_parser_free);
  g_clear_pointer (&data->body, g_byte_array_unref);
  g_clear_error (&data->stream_error);
  g_clear_error (&data->skipped_error);
  g_clear_pointer (&data->base_url, g_free);
  g_clear_pointer (&data->host, g_free);
  g_clear_pointer (&data->exchange, confab_exchange_unref);
  g_clear_pointer (&data->redirect_uri, g_uri_unref);
  g_clear_pointer (&data->certificate_fingerprint, g_free);
  g_clear_pointer (&data->request, confab_request_unref);
  g_clear_object (&data->reply);
  g_clear_object (&data->client);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StreamData, stream_data_free)

static void
drain_free (Drain *drain)
{
  if (drain->client != NULL)
    g_ptr_array_remove_fast (drain->client->drains, drain);
  g_clear_handle_id (&drain->timeout_id, g_source_remove);
  g_clear_object (&drain->cancellable);
  g_clear_object (&drain->stream);
  g_clear_pointer (&drain->exchange, confab_exchange_unref);
  g_free (drain);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Drain, drain_free)

static gboolean
drain_timeout_cb (gpointer user_data)
{
  Drain *drain = user_data;

  drain->timeout_id = 0;
  g_debug ("end of body not read within %d ms", DRAIN_TIMEOUT_MS);
  g_cancellable_cancel (drain->cancellable);

  return G_SOURCE_REMOVE;
}

static void
drain_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_input_stream_close_finish (G_INPUT_STREAM (object), result, &error))
    g_debug ("closing a drained body failed: %s", error->message);

  drain_free (user_data);
}

static void
drain_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Drain) drain = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  GInputStream *stream = drain->stream;
  GCancellable *cancellable = drain->cancellable;
  gsize len;

  /* On an error, a time-out or too much data the stream is dropped
   * unread: that closes it without I/O, and libsoup closes the
   * connection instead of reusing it. */
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      g_debug ("end of body not read: %s", error->message);
      return;
    }

  len = g_bytes_get_size (bytes);
  drain->n_read += len;
  confab_exchange_add_chunk (drain->exchange, bytes);
  if (drain->n_read > MAX_DRAIN_BYTES)
    {
      g_debug ("more than %d bytes after the end of the reply", MAX_DRAIN_BYTES);
      return;
    }

  if (len > 0)
    {
      g_input_stream_read_bytes_async (stream, READ_SIZE, G_PRIORITY_DEFAULT, cancellable,
                                       drain_read_cb, g_steal_pointer (&drain));
      return;
    }

  /* libsoup 3.2 marks the connection reusable only when the body was
   * read to its end, and gives it back to the pool only when the stream
   * is closed: then the message is finished. */
  g_debug ("%zu bytes after the end of the reply", drain->n_read);
  g_clear_handle_id (&drain->timeout_id, g_source_remove);
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, cancellable, drain_closed_cb,
                              g_steal_pointer (&drain));
}

/* Takes @stream. Nothing waits for the drain: the reply is already
 * complete, and the drain never sees the task or the message model. The
 * bytes it reads still go to @exchange, which records all of the body. */
static void
drain_start (ConfabClient   *self,
             GInputStream   *stream,
             ConfabExchange *exchange)
{
  Drain *drain;

  /* A disposed client has no pool to give the connection to. */
  if (self->drains == NULL)
    {
      g_object_unref (stream);
      return;
    }

  drain = g_new0 (Drain, 1);
  drain->client = self;
  drain->stream = stream;
  drain->cancellable = g_cancellable_new ();
  drain->exchange = confab_exchange_ref (exchange);
  drain->timeout_id = g_timeout_add (DRAIN_TIMEOUT_MS, drain_timeout_cb, drain);
  g_ptr_array_add (self->drains, drain);

  g_input_stream_read_bytes_async (stream, READ_SIZE, G_PRIORITY_DEFAULT, drain->cancellable,
                                   drain_read_cb, drain);
}

/* A server may quote the key back ("Incorrect API key provided: sk-…"),
 * in an error body, an error event or a reason phrase: it is hidden
 * before the text becomes part of a message, and before the text is
 * shortened, which could leave the key's beginning. */
static char *
hide_key (ConfabClient *self,
          const char   *text)
{
  g_autoptr(GString) out = NULL;

  if (text == NULL || !confab_client_has_api_key (self) || strstr (text, self->api_key) == NULL)
    return g_strdup (text);

  out = g_string_new (text);
  g_string_replace (out, self->api_key, HIDDEN_KEY, 0);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
quote_server_hiding_key (ConfabClient *self,
                         const char   *text)
{
  g_autofree char *hidden = hide_key (self, text);

  return confab_text_quote_server (hidden, -1);
}

/* A list of models may be an error that quotes the key, which the
 * parser shortens: the key goes before the body is parsed. */
static void
hide_key_in_body (ConfabClient  *self,
                  GBytes       **body)
{
  gsize len;
  const char *data = g_bytes_get_data (*body, &len);
  g_autoptr(GString) text = NULL;

  if (!confab_client_has_api_key (self) || len == 0 ||
      g_strstr_len (data, len, self->api_key) == NULL)
    return;

  text = g_string_new_len (data, len);
  g_string_replace (text, self->api_key, HIDDEN_KEY, 0);
  g_bytes_unref (*body);
  *body = g_string_free_to_bytes (g_steal_pointer (&text));
}

/* Finds the readable message in an error body: OpenAI's
 * {"error": {"message": ...}}, Ollama's {"error": "..."}, vLLM's and
 * FastAPI's {"message": ...} or {"detail": ...}. */
static char *
find_error_message (ConfabClient *self,
                    const guint8 *body,
                    gsize         len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *valid = NULL;
  JsonObject *object;
  JsonNode *node;
  static const char * const names[] = { "error", "message", "detail" };

  if (len == 0)
    return NULL;

  valid = g_utf8_make_valid ((const char *)body, len);
  if (!json_parser_load_from_data (parser, valid, -1, NULL))
    return NULL;

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  object = json_node_get_object (node);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonNode *member = json_object_get_member (object, names[i]);

      if (member == NULL)
        continue;

      if (JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
        return quote_server_hiding_key (self, json_node_get_string (member));

      if (JSON_NODE_HOLDS_OBJECT (member))
        {
          JsonObject *inner = json_node_get_object (member);
          JsonNode *message = json_object_get_member (inner, "message");

          if (message != NULL && JSON_NODE_HOLDS_VALUE (message) &&
              json_node_get_value_type (message) == G_TYPE_STRING)
            return quote_server_hiding_key (self, json_node_get_string (message));
        }
    }

  return NULL;
}

/* @not_found, when set, is what a 404 means for this request. */
static GError *
http_status_error (ConfabClient *self,
                   guint         status,
                   const char   *reason,
                   const char   *server_message,
                   const char   *not_found)
{
  g_autofree char *sentence = NULL;
  int code;

  if (reason == NULL || *reason == '\0')
    reason = soup_status_get_phrase (status);
  if (reason == NULL)
    reason = "";

  switch (status)
    {
    case 401:
      code = CONFAB_CLIENT_ERROR_UNAUTHORIZED;
      if (!confab_client_has_api_key (self))
        sentence = g_strdup (_("The server needs an API key, and none is set (HTTP 401). "
                               "Add it to the provider in Preferences, or set "
                               "OPENAI_API_KEY."));
      else
        sentence = g_strdup (_("The server rejected the API key (HTTP 401). Check the key "
                               "in Preferences, or OPENAI_API_KEY."));
      break;

    case 403:
      code = CONFAB_CLIENT_ERROR_UNAUTHORIZED;
      sentence = g_strdup (_("The server refused access (HTTP 403). The API key may not be "
                             "allowed to use this model."));
      break;

    case 404:
      code = CONFAB_CLIENT_ERROR_NOT_FOUND;
      if (not_found != NULL)
        sentence = g_strdup (not_found);
      else
        sentence = g_strdup (_("The server could not find the model or the endpoint "
                               "(HTTP 404). Check the model name and the base URL."));
      break;

    case 429:
      code = CONFAB_CLIENT_ERROR_RATE_LIMITED;
      sentence = g_strdup (_("The server is limiting requests or the quota is used up "
                             "(HTTP 429). Wait a moment and try again."));
      break;

    default:
      code = CONFAB_CLIENT_ERROR_HTTP_STATUS;
      if (status >= 500)
        sentence = g_strdup_printf (/* Translators: %u is an HTTP status code, %s its
                                     * reason phrase */
                                    _("The server had an internal error (HTTP %u %s). Try "
                                      "again later."), status, reason);
      else
        sentence = g_strdup_printf (/* Translators: %u is an HTTP status code, %s its
                                     * reason phrase */
                                    _("The server rejected the request (HTTP %u %s)."),
                                    status, reason);
      break;
    }

  if (server_message == NULL)
    return g_error_new_literal (CONFAB_CLIENT_ERROR, code, sentence);

  return g_error_new (CONFAB_CLIENT_ERROR, code,
                      /* Translators: the first %s is one of the sentences above, the
                       * second the server's own error text */
                      _("%s The server said: “%s”"), sentence, server_message);
}

static void
return_error (GTask  *task,
              GError *error)
{
  StreamData *data = g_task_get_task_data (task);
  char *hidden = hide_key (data->client, error->message);

  /* Whatever the sentence quotes, a reason phrase above all. */
  g_free (error->message);
  error->message = hidden;

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  if (data->exchange != NULL && confab_exchange_get_error (data->exchange) == NULL)
    confab_exchange_set_error (data->exchange, error->message);
  g_task_return_error (task, error);
}

static void
return_success (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_task_return_boolean (task, TRUE);
}

/* A server asked for one JSON answer sends nothing until the whole reply
 * is written, which a slow model takes minutes to do: the idle limit is
 * then at least this long, in seconds. */
#define WHOLE_ANSWER_MIN_IDLE 600

static double
idle_limit (StreamData *data)
{
  double limit = data->client->idle_timeout;

  if (data->request != NULL && !confab_request_get_stream (data->request) && limit > 0)
    limit = MAX (limit, WHOLE_ANSWER_MIN_IDLE);

  return limit;
}

/* Turns a failed I/O call into what the user reads. A cancellation that
 * the idle or connect timer caused is a time-out, not a Stop. */
static GError *
io_error (StreamData   *data,
          GError       *error,
          gboolean      reading_body)
{
  g_autoptr(GError) owned = error;

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED) && data->timed_out)
    {
      if (data->phase == PHASE_CONNECTING)
        return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TIMED_OUT,
                            /* Translators: %s is a host name, %g a number of seconds */
                            _("Could not connect to %s within %g seconds."),
                            data->host, data->client->connect_timeout);
      return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TIMED_OUT,
                          /* Translators: %s is a host name, %g a number of seconds */
                          ngettext ("The server %s sent nothing for %g second.",
                                    "The server %s sent nothing for %g seconds.",
                                    (gulong)idle_limit (data)),
                          data->host, idle_limit (data));
    }

  if (g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&owned);

  if (reading_body)
    return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TRUNCATED,
                        /* Translators: %s is the system's description of the failure */
                        _("The connection was lost before the reply was complete: %s"),
                        owned->message);

  return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CONNECT,
                      /* Translators: the first %s is a host name, the second the system's
                       * description of the failure */
                      _("Could not reach the server %s: %s"), data->host, owned->message);
}

static gboolean
timeout_cb (gpointer user_data)
{
  StreamData *data = user_data;
  double limit = data->phase == PHASE_CONNECTING
                 ? data->client->connect_timeout : idle_limit (data);
  gint64 deadline = data->last_activity + (gint64)(limit * G_USEC_PER_SEC);
  gint64 now = g_get_monotonic_time ();

  data->timeout_id = 0;

  if (now < deadline)
    {
      /* Activity moved the deadline: re-arm instead of restarting the
       * timer on every read. */
      data->timeout_id = g_timeout_add (MAX (1, (deadline - now) / 1000), timeout_cb, data);
      return G_SOURCE_REMOVE;
    }

  g_debug ("%s timeout after %g s", data->phase == PHASE_CONNECTING ? "connect" : "idle", limit);
  data->timed_out = TRUE;
  g_cancellable_cancel (data->cancellable);

  return G_SOURCE_REMOVE;
}

static void
touch (StreamData *data)
{
  double limit = data->phase == PHASE_CONNECTING
                 ? data->client->connect_timeout : idle_limit (data);

  data->last_activity = g_get_monotonic_time ();
  if (data->timeout_id == 0 && limit > 0)
    data->timeout_id = g_timeout_add (MAX (1, (guint)(limit * 1000)), timeout_cb, data);
}

static void
enter_waiting (StreamData *data)
{
  if (data->phase == PHASE_WAITING)
    return;

  data->phase = PHASE_WAITING;
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  touch (data);
}

static void
network_event_cb (SoupMessage        *message,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  StreamData         *data)
{
  /* Only a new connection sends network events. */
  data->fresh_connection = TRUE;
  if (event == G_SOCKET_CLIENT_COMPLETE)
    enter_waiting (data);
}

static void
wrote_headers_cb (SoupMessage *message,
                  StreamData  *data)
{
  /* A reused connection sends no network events. */
  data->request_sent = TRUE;
  enter_waiting (data);
}

static void
outer_cancelled_cb (GCancellable *cancellable,
                    StreamData   *data)
{
  g_cancellable_cancel (data->cancellable);
}

static void
apply_chunk (StreamData        *data,
             const ConfabChunk *chunk)
{
  switch (chunk->kind)
    {
    case CONFAB_CHUNK_KIND_DONE:
      data->done = TRUE;
      break;

    case CONFAB_CHUNK_KIND_ERROR:
      {
        g_autofree char *quoted = quote_server_hiding_key (data->client, chunk->error_message);

        if (quoted != NULL)
          data->stream_error = g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_SERVER,
                                            /* Translators: %s is the server's own error text */
                                            _("The server reported an error: “%s”."), quoted);
        else
          data->stream_error = g_error_new_literal (CONFAB_CLIENT_ERROR,
                                                    CONFAB_CLIENT_ERROR_SERVER,
                                                    _("The server reported an error without "
                                                      "saying what it was."));
        data->done = TRUE;
      }
      break;

    case CONFAB_CHUNK_KIND_DELTA:
      if (chunk->model != NULL && confab_message_get_model (data->reply) == NULL)
        confab_message_set_model (data->reply, chunk->model);
      if (chunk->reasoning != NULL)
        confab_message_append (data->reply, CONFAB_MESSAGE_PART_REASONING, chunk->reasoning, -1);
      if (chunk->content != NULL)
        confab_message_append (data->reply, CONFAB_MESSAGE_PART_CONTENT, chunk->content, -1);
      if (chunk->finish_reason != NULL)
        {
          data->got_finish = TRUE;
          confab_message_set_finish_reason (data->reply, chunk->finish_reason);
        }
      if (chunk->has_usage)
        confab_message_set_usage (data->reply, chunk->prompt_tokens, chunk->completion_tokens);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
event_cb (const ConfabSseEvent *event,
          gpointer              user_data)
{
  StreamData *data = user_data;
  g_auto(ConfabChunk) chunk = { 0 };
  g_autoptr(GError) error = NULL;

  /* Nothing after [DONE] or an error counts. */
  if (data->done)
    return;

  data->n_events++;

  if (!confab_chunk_parser_parse (data->chunks, event->type, event->data, event->data_len,
                                  &chunk, &error))
    {
      /* One unreadable event is reported and skipped, not fatal: the
       * rest of the reply is still worth having. */
      g_debug ("skipping unreadable event of %zu bytes", event->data_len);
      confab_message_add_skipped_event (data->reply);
      if (data->skipped_error == NULL)
        data->skipped_error = g_steal_pointer (&error);
      return;
    }

  apply_chunk (data, &chunk);
}

static void
finish_stream (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);

  if (data->stream_error != NULL)
    {
      return_error (task, g_steal_pointer (&data->stream_error));
      return;
    }

  if (data->done || data->got_finish)
    {
      g_debug ("stream complete after %u events", data->n_events);
      return_success (task);
      return;
    }

  if (data->skipped_error != NULL && confab_message_get_content_length (data->reply) == 0)
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_PROTOCOL,
                                       /* Translators: %s describes what was wrong */
                                       _("The server's reply could not be read: %s"),
                                       data->skipped_error->message));
      return;
    }

  if (data->n_events == 0)
    {
      return_error (task, g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TRUNCATED,
                                               _("The server closed the connection without "
                                                 "sending a reply.")));
      return;
    }

  return_error (task, g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_TRUNCATED,
                                           _("The connection closed before the reply was "
                                             "complete.")));
}

static void
read_stream_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *buffer;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      return_error (task, io_error (data, g_steal_pointer (&error), TRUE));
      return;
    }

  buffer = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      finish_stream (task);
      return;
    }

  touch (data);
  confab_exchange_add_chunk (data->exchange, bytes);

  if (!confab_sse_parser_feed (data->sse, buffer, len, &error))
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_PROTOCOL,
                                       /* Translators: %s describes what was wrong */
                                       _("The server's reply could not be read: %s"),
                                       error->message));
      return;
    }

  if (data->done)
    {
      drain_start (data->client, g_steal_pointer (&data->stream), data->exchange);
      finish_stream (task);
      return;
    }

  read_next (g_steal_pointer (&task));
}

static void
read_next (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   data->cancellable, read_stream_cb, task);
}

static void
read_body_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize limit = data->body_limit;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      return_error (task, io_error (data, g_steal_pointer (&error), TRUE));
      return;
    }

  len = g_bytes_get_size (bytes);
  if (len > 0)
    {
      touch (data);
      confab_exchange_add_chunk (data->exchange, bytes);
      g_byte_array_append (data->body, g_bytes_get_data (bytes, NULL),
                           MIN (len, limit - MIN (limit, data->body->len)));
    }

  if (len == 0 || data->body->len >= limit)
    {
      data->body_func (task);
      return;
    }

  g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   data->cancellable, read_body_cb, g_steal_pointer (&task));
}

/* Reads the whole body, up to @limit bytes, then calls @func with the
 * task borrowed. Takes the task's reference. */
static void
read_body (GTask    *task,
           gsize     limit,
           BodyFunc  func)
{
  StreamData *data = g_task_get_task_data (task);

  g_clear_pointer (&data->body, g_byte_array_unref);
  data->body = g_byte_array_new ();
  data->body_func = func;
  data->body_limit = limit;
  g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   data->cancellable, read_body_cb, task);
}

static void
error_body_read (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  g_autofree char *server_message = NULL;
  guint status = soup_message_get_status (data->message);

  server_message = find_error_message (data->client, data->body->data, data->body->len);
  g_debug ("HTTP %u, %u bytes of error body", status, data->body->len);

  /* Some servers (older Azure API versions, strict proxies) reject the
   * stream_options field: ask once more without it, and remember. */
  if (status == SOUP_STATUS_BAD_REQUEST && data->sent_stream_options && !data->retried)
    {
      g_debug ("retrying without stream_options");
      data->retried = TRUE;
      start_request (g_object_ref (task));
      return;
    }

  return_error (task, http_status_error (data->client, status,
                                         soup_message_get_reason_phrase (data->message),
                                         server_message, NULL));
}

static void
json_body_read (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  g_auto(ConfabChunk) chunk = { 0 };
  g_autoptr(GError) error = NULL;

  if (!confab_chunk_parser_parse (data->chunks, "message", (const char *)data->body->data,
                                  data->body->len, &chunk, &error))
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_PROTOCOL,
                                       /* Translators: %s describes what was wrong */
                                       _("The server's reply could not be read: %s"),
                                       error->message));
      return;
    }

  data->n_events = 1;
  apply_chunk (data, &chunk);
  /* A whole answer is complete even when it names no finish reason. */
  data->got_finish = TRUE;
  finish_stream (task);
}

static gboolean
is_json_answer (SoupMessage *message)
{
  const char *type;

  type = soup_message_headers_get_content_type (soup_message_get_response_headers (message),
                                                NULL);
  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

static const char *
http_version_name (SoupHTTPVersion version)
{
  switch (version)
    {
    case SOUP_HTTP_1_0:
      return "HTTP/1.0";

    case SOUP_HTTP_1_1:
      return "HTTP/1.1";

    case SOUP_HTTP_2_0:
      return "HTTP/2";

    default:
      return "HTTP";
    }
}

static void
record_header_cb (const char *name,
                  const char *value,
                  gpointer    user_data)
{
  confab_exchange_add_header (user_data, name, value);
}

static void
record_response (StreamData *data)
{
  SoupMessage *message = data->message;

  confab_exchange_set_status (data->exchange,
                              http_version_name (soup_message_get_http_version (message)),
                              soup_message_get_status (message),
                              soup_message_get_reason_phrase (message));
  soup_message_headers_foreach (soup_message_get_response_headers (message),
                                record_header_cb, data->exchange);
}

/* The SHA-256 of the DER encoding, as confab_profile_normalize_fingerprint()
 * writes it and `openssl x509 -fingerprint -sha256` shows it. */
static char *
certificate_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);

  return confab_profile_normalize_fingerprint (g_checksum_get_string (checksum));
}

static gboolean
is_pinned (ConfabClient *self,
           const char   *fingerprint)
{
  return self->pinned_certificate != NULL && fingerprint != NULL &&
         strcmp (self->pinned_certificate, fingerprint) == 0;
}

static void
refuse_certificate (StreamData           *data,
                    char                 *fingerprint,
                    GTlsCertificateFlags  errors)
{
  ConfabClient *self = data->client;

  g_free (data->certificate_fingerprint);
  data->certificate_fingerprint = fingerprint;
  data->certificate_errors = errors;
  data->certificate_refused = TRUE;
  g_free (self->last_certificate_fingerprint);
  self->last_certificate_fingerprint = g_strdup (fingerprint);
}

/* libsoup asks only when the certificate failed verification against
 * the system's authorities, and refuses it unless a handler accepts it.
 * The session keeps libsoup's default TLS database, and this is the one
 * handler: a failed certificate passes only when it is the pinned one. */
static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       StreamData           *data)
{
  g_autofree char *fingerprint = certificate_fingerprint (certificate);

  if (is_pinned (data->client, fingerprint))
    {
      g_debug ("accepting the pinned certificate of %s (flags 0x%x)", data->host, errors);
      return TRUE;
    }

  g_debug ("refusing the certificate of %s (flags 0x%x)", data->host, errors);
  refuse_certificate (data, g_steal_pointer (&fingerprint), errors);

  return FALSE;
}

/* A kept-alive connection is not verified again, and its certificate may
 * have passed for a pin that has changed since. */
static gboolean
connection_still_trusted (StreamData *data)
{
  GTlsCertificate *certificate = soup_message_get_tls_peer_certificate (data->message);
  GTlsCertificateFlags errors = soup_message_get_tls_peer_certificate_errors (data->message);
  g_autofree char *fingerprint = NULL;

  if (certificate == NULL || errors == 0)
    return TRUE;

  fingerprint = certificate_fingerprint (certificate);
  if (is_pinned (data->client, fingerprint))
    return TRUE;

  refuse_certificate (data, g_steal_pointer (&fingerprint), errors);
  return FALSE;
}

static GError *
certificate_error (StreamData *data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GTlsCertificateFlags errors = data->certificate_errors;

  /* Translators: %s is a host name */
  g_string_append_printf (text, _("The TLS certificate of %s cannot be trusted."), data->host);
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It is not signed by a known certificate authority."));
    }
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_string_append_c (text, ' ');
      /* Translators: %s is a host name */
      g_string_append_printf (text, _("It was issued for another name than %s."), data->host);
    }
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It is not valid yet."));
    }
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It has expired."));
    }
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It has been revoked."));
    }
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It uses an insecure algorithm."));
    }
  if ((errors & ~G_TLS_CERTIFICATE_GENERIC_ERROR) == 0)
    {
      g_string_append_c (text, ' ');
      g_string_append (text, _("It could not be verified."));
    }
  if (data->certificate_fingerprint != NULL)
    {
      g_string_append_c (text, ' ');
      /* Translators: %s is a certificate's SHA-256 fingerprint, hex pairs
       * joined by colons */
      g_string_append_printf (text, _("Its SHA-256 fingerprint is %s."),
                              data->certificate_fingerprint);
    }

  return g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE, text->str);
}

static gboolean
is_http_uri (GUri *uri)
{
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);

  /* "http:///v1" parses with an empty host, which libsoup refuses with a
   * critical warning. */
  return host != NULL && *host != '\0' &&
         (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0);
}

static gboolean
is_https_uri (GUri *uri)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0;
}

static int
uri_port (GUri *uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;

  return is_https_uri (uri) ? 443 : 80;
}

/* The origin of RFC 6454: scheme, host and port. "localhost" and
 * "127.0.0.1" are different hosts here, as they are to a browser. */
static gboolean
same_origin (GUri *a,
             GUri *b)
{
  return g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0 &&
         g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0 &&
         uri_port (a) == uri_port (b);
}

static gboolean
is_redirect (guint status)
{
  return status == SOUP_STATUS_MOVED_PERMANENTLY || status == SOUP_STATUS_FOUND ||
         status == SOUP_STATUS_SEE_OTHER || status == SOUP_STATUS_TEMPORARY_REDIRECT ||
         status == SOUP_STATUS_PERMANENT_REDIRECT;
}

static void
redirect_body_read (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);

  /* Read to its end, the body gives its connection back for the
   * request to the new address, when that is on the same server. */
  g_clear_object (&data->stream);
  data->restart (g_object_ref (task));
}

/* libsoup's own redirects are off (SOUP_MESSAGE_NO_REDIRECT): it turns a
 * POST into a GET after a 301, 302 or 303, which a chat endpoint answers
 * with 405, and it would take the key wherever the server points. Here
 * each redirect sends the same request again, and send_message () gives
 * the key to the configured origin only. Takes the task's reference. */
static void
follow_redirect (GTask *task)
{
  g_autoptr(GTask) owned = task;
  StreamData *data = g_task_get_task_data (task);
  GUri *from = soup_message_get_uri (data->message);
  guint status = soup_message_get_status (data->message);
  const char *location;
  g_autoptr(GUri) to = NULL;

  location = soup_message_headers_get_one (soup_message_get_response_headers (data->message),
                                           "Location");
  if (location != NULL)
    to = g_uri_parse_relative (from, location, SOUP_HTTP_URI_FLAGS, NULL);

  if (to == NULL || !is_http_uri (to))
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT,
                                       /* Translators: %s is a host name, %u an HTTP status
                                        * code */
                                       _("The server %s redirected the request (HTTP %u), but "
                                         "not to an http or https address."),
                                       data->host, status));
      return;
    }

  if (data->n_redirects >= CONFAB_CLIENT_MAX_REDIRECTS)
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT,
                                       /* Translators: %s is a host name, %d a number */
                                       ngettext ("The server %s redirected the request more "
                                                 "than %d time. Check the base URL.",
                                                 "The server %s redirected the request more "
                                                 "than %d times. Check the base URL.",
                                                 CONFAB_CLIENT_MAX_REDIRECTS),
                                       data->host, CONFAB_CLIENT_MAX_REDIRECTS));
      return;
    }

  if (is_https_uri (from) && !is_https_uri (to))
    {
      return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_REDIRECT,
                                       /* Translators: the first %s is a host name, the
                                        * second the host the request was sent to */
                                       _("The server %s redirected the request to an "
                                         "unencrypted address on %s. Confab does not follow "
                                         "it; check the base URL."),
                                       data->host, g_uri_get_host (to)));
      return;
    }

  g_debug ("HTTP %u from %s, redirected to %s", status, data->host, g_uri_get_host (to));
  data->n_redirects++;
  g_clear_pointer (&data->redirect_uri, g_uri_unref);
  data->redirect_uri = g_steal_pointer (&to);
  read_body (g_steal_pointer (&owned), MAX_ERROR_BODY, redirect_body_read);
}

/* Why soup_session_send_finish () failed, for the user. */
static GError *
send_error (StreamData *data,
            GError     *error)
{
  if (data->certificate_refused && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("certificate refused: %s", error->message);
      g_error_free (error);
      return certificate_error (data);
    }

  /* The server took the request, then closed, reset or garbled the
   * connection before its status line and headers were whole: it was
   * reached, and "could not reach" would send the user to check the
   * address. */
  if (data->request_sent && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr(GError) owned = error;
      int code = g_error_matches (owned, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING)
                 ? CONFAB_CLIENT_ERROR_PROTOCOL : CONFAB_CLIENT_ERROR_TRUNCATED;

      return g_error_new (CONFAB_CLIENT_ERROR, code,
                          /* Translators: the first %s is a host name, the second the
                           * system's description of the failure */
                          _("The server %s took the request but sent no readable answer: %s"),
                          data->host, owned->message);
    }

  return io_error (data, error, FALSE);
}

/* What every request does once its status line and headers are in: note
 * them, check the connection's certificate and follow a redirect.
 * Returns %TRUE when the caller goes on with the response; otherwise the
 * task was returned or passed on. */
static gboolean
response_arrived (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);

  enter_waiting (data);
  touch (data);
  record_response (data);

  if (!connection_still_trusted (data))
    {
      return_error (task, certificate_error (data));
      return FALSE;
    }

  if (is_redirect (soup_message_get_status (data->message)))
    {
      follow_redirect (g_object_ref (task));
      return FALSE;
    }

  return TRUE;
}

/* A server may close a kept-alive connection just as a request goes
 * out on it. libsoup resends only idempotent methods by itself, so a
 * request that failed on a reused connection before any answer is sent
 * once more, on a new one. */
static gboolean
is_stale_connection (StreamData   *data,
                     const GError *error)
{
  if (data->fresh_connection || data->resent || data->timed_out)
    return FALSE;

  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;

  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL && is_stale_connection (data, error))
    {
      g_debug ("kept-alive connection to %s was closed (%s), sending again", data->host,
               error->message);
      confab_exchange_set_error (data->exchange, error->message);
      data->resent = TRUE;
      start_request (g_steal_pointer (&task));
      return;
    }
  if (data->stream == NULL)
    {
      return_error (task, send_error (data, g_steal_pointer (&error)));
      return;
    }

  if (!response_arrived (task))
    return;

  status = soup_message_get_status (data->message);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      read_body (g_steal_pointer (&task), MAX_ERROR_BODY, error_body_read);
      return;
    }

  g_debug ("HTTP %u from %s on a %s connection", status, data->host,
           data->fresh_connection ? "new" : "reused");

  if (data->retried)
    g_hash_table_add (data->client->no_stream_options, g_strdup (data->base_url));

  confab_message_set_state (data->reply, CONFAB_MESSAGE_STATE_STREAMING);

  /* Asked for one answer, or a server that ignores `stream: true`:
   * one JSON object. */
  if (!confab_request_get_stream (data->request) || is_json_answer (data->message))
    {
      read_body (g_steal_pointer (&task), MAX_JSON_BODY, json_body_read);
      return;
    }

  read_next (g_steal_pointer (&task));
}

static char *
endpoint_url (const char *base_url,
              const char *path)
{
  g_autofree char *trimmed = g_strdup (base_url);
  gsize len = strlen (trimmed);

  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';

  return g_strconcat (trimmed, path, NULL);
}

/* The configured base URL with @path after it, and its host noted for
 * the error messages. */
static GUri *
endpoint_uri (StreamData  *data,
              const char  *path,
              GError     **error)
{
  g_autofree char *url = endpoint_url (data->base_url, path);
  g_autoptr(GUri) uri = NULL;

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || !is_http_uri (uri))
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_INVALID_URL,
                   /* Translators: %s is the URL as configured */
                   _("The base URL “%s” is not an http or https address."),
                   data->base_url);
      return NULL;
    }

  g_free (data->host);
  data->host = g_strdup (g_uri_get_host (uri));

  return g_steal_pointer (&uri);
}

/* Where the request goes: the configured endpoint, or where the last
 * redirect sent it. */
static GUri *
request_uri (StreamData  *data,
             const char  *path,
             GError     **error)
{
  if (data->redirect_uri == NULL)
    return endpoint_uri (data, path, error);

  g_free (data->host);
  data->host = g_strdup (g_uri_get_host (data->redirect_uri));

  return g_uri_ref (data->redirect_uri);
}

/* Whether @uri is where the key may go: the configured base URL's
 * scheme, host and port. */
static gboolean
is_configured_origin (StreamData *data,
                      GUri       *uri)
{
  g_autoptr(GUri) base = g_uri_parse (data->base_url, SOUP_HTTP_URI_FLAGS, NULL);

  return base != NULL && is_http_uri (base) && same_origin (base, uri);
}

/* A new record for each request sent, also kept by the client and, for
 * a chat request, by the reply. */
static void
start_exchange (StreamData  *data,
                SoupMessage *message)
{
  ConfabClient *self = data->client;
  g_autofree char *url = g_uri_to_string (soup_message_get_uri (message));

  g_clear_pointer (&data->exchange, confab_exchange_unref);
  data->exchange = confab_exchange_new (soup_message_get_method (message), url,
                                        self->max_exchange_body);
  confab_exchange_set_secret (data->exchange, self->api_key);

  g_queue_push_tail (self->exchanges, confab_exchange_ref (data->exchange));
  while (self->exchanges->length > self->max_exchanges)
    confab_exchange_unref (g_queue_pop_head (self->exchanges));

  if (data->reply != NULL)
    confab_message_set_exchange (data->reply, data->exchange);
}

/* Sends @message in place of any earlier one, with what every request
 * has: the key and the connect and idle timers. Takes @message and the
 * task's reference. */
static void
send_message (GTask               *task,
              SoupMessage         *message,
              GAsyncReadyCallback  callback)
{
  StreamData *data = g_task_get_task_data (task);
  ConfabClient *self = data->client;
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);

  /* An error body read to its end closes without I/O here, and its
   * connection can carry the request sent again. */
  if (data->message != NULL)
    g_signal_handlers_disconnect_by_data (data->message, data);
  g_clear_object (&data->message);
  g_clear_object (&data->stream);
  data->message = message;
  data->certificate_refused = FALSE;
  data->certificate_errors = 0;
  g_clear_pointer (&data->certificate_fingerprint, g_free);

  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  start_exchange (data, message);

  /* The key goes only to the configured endpoint, only in this header:
   * never to another host, port or scheme that a redirect names. */
  if (confab_client_has_api_key (self) &&
      is_configured_origin (data, soup_message_get_uri (message)))
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->api_key, NULL);

      soup_message_headers_replace (headers, "Authorization", authorization);
    }

  g_signal_connect (data->message, "network-event", G_CALLBACK (network_event_cb), data);
  g_signal_connect (data->message, "wrote-headers", G_CALLBACK (wrote_headers_cb), data);
  g_signal_connect (data->message, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                    data);

  data->phase = PHASE_CONNECTING;
  data->timed_out = FALSE;
  data->request_sent = FALSE;
  data->fresh_connection = FALSE;
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  touch (data);

  soup_session_send_async (self->session, data->message, G_PRIORITY_DEFAULT,
                           data->cancellable, callback, task);
}

/* The profile's options, where the caller left the request as it was
 * made. A request streams unless told otherwise, so only "no stream"
 * can be told from the default. */
static void
apply_options (ConfabClient  *self,
               ConfabRequest *request)
{
  if (!self->streaming)
    confab_request_set_stream (request, FALSE);
  if (self->temperature >= 0 && !confab_request_has_temperature (request))
    confab_request_set_temperature (request, self->temperature);
  if (self->max_tokens > 0 && confab_request_get_max_tokens (request) == 0)
    confab_request_set_max_tokens (request, self->max_tokens);
}

static void
start_request (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  ConfabClient *self = data->client;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message;
  SoupMessageHeaders *headers;

  uri = request_uri (data, "/chat/completions", &error);
  if (uri == NULL)
    {
      return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  apply_options (self, data->request);
  if (data->retried || g_hash_table_contains (self->no_stream_options, data->base_url))
    confab_request_set_include_usage (data->request, FALSE);
  data->sent_stream_options = confab_request_get_stream (data->request) &&
                              confab_request_get_include_usage (data->request);
  body = confab_request_to_bytes (data->request);

  confab_sse_parser_reset (data->sse);

  message = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
  /* libsoup sends a POST only on a new connection, because it cannot
   * resend one safely, unless the message is marked idempotent; then a
   * kept-alive connection saves the TCP and TLS handshakes. A chat
   * request may be sent again: is_stale_connection () does it once. */
  soup_message_add_flags (message,
                          data->resent ? SOUP_MESSAGE_NEW_CONNECTION : SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (message);
  soup_message_headers_replace (headers, "Accept",
                                confab_request_get_stream (data->request)
                                ? "text/event-stream" : "application/json");
  soup_message_set_request_body_from_bytes (message, "application/json", body);

  g_debug ("POST to %s, %zu bytes", data->host, g_bytes_get_size (body));
  send_message (task, message, send_cb);
}

/* Takes the task's reference. */
static void
start_models_request (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessage *message;

  uri = request_uri (data, "/models", &error);
  if (uri == NULL)
    {
      return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  message = soup_message_new_from_uri (SOUP_METHOD_GET, uri);
  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept",
                                "application/json");

  g_debug ("GET models from %s", data->host);
  send_message (task, message, models_send_cb);
}

static void
models_error_body_read (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  g_autofree char *server_message = NULL;
  guint status = soup_message_get_status (data->message);

  /* Read to its end, the body gives its connection back to the pool as
   * soon as it goes, not when the caller drops the result. */
  g_clear_object (&data->stream);
  server_message = find_error_message (data->client, data->body->data, data->body->len);
  g_debug ("HTTP %u, %u bytes of error body", status, data->body->len);

  /* Servers that list no models answer 404: llama.cpp before it had
   * the endpoint, proxies that pass on chat requests only. */
  return_error (task, http_status_error (data->client, status,
                                         soup_message_get_reason_phrase (data->message),
                                         server_message,
                                         _("This server does not list its models; type the "
                                           "model's name instead.")));
}

static void
models_body_read (GTask *task)
{
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&data->body));
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  /* As for an error body: the connection can carry the next request. */
  g_clear_object (&data->stream);
  hide_key_in_body (data->client, &body);
  ids = confab_models_parse (body, &error);
  if (ids == NULL)
    {
      if (g_error_matches (error, CONFAB_MODELS_ERROR, CONFAB_MODELS_ERROR_SERVER))
        return_error (task, g_error_new_literal (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_SERVER,
                                                 error->message));
      else
        return_error (task, g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_PROTOCOL,
                                         /* Translators: %s describes what was wrong */
                                         _("The server's reply could not be read: %s"),
                                         error->message));
      return;
    }

  g_debug ("%u models from %s", ids->len, data->host);
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_task_return_pointer (task, g_steal_pointer (&ids), (GDestroyNotify)g_ptr_array_unref);
}

static void
models_send_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StreamData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;

  /* A GET is idempotent: libsoup itself sends it again when a kept-alive
   * connection turns out to be closed. */
  data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (data->stream == NULL)
    {
      return_error (task, send_error (data, g_steal_pointer (&error)));
      return;
    }

  if (!response_arrived (task))
    return;

  status = soup_message_get_status (data->message);
  g_debug ("HTTP %u from %s", status, data->host);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      read_body (g_steal_pointer (&task), MAX_ERROR_BODY, models_error_body_read);
      return;
    }

  /* One byte over the bound is enough to refuse the list. */
  read_body (g_steal_pointer (&task), CONFAB_MODELS_MAX_SIZE + 1, models_body_read);
}

static void
confab_client_dispose (GObject *object)
{
  ConfabClient *self = (ConfabClient *)object;
  g_autoptr(GPtrArray) drains = g_steal_pointer (&self->drains);

  /* Each drain ends in its cancelled callback, which then no longer
   * sees the client. */
  for (guint i = 0; drains != NULL && i < drains->len; i++)
    {
      Drain *drain = g_ptr_array_index (drains, i);

      drain->client = NULL;
      g_clear_handle_id (&drain->timeout_id, g_source_remove);
      g_cancellable_cancel (drain->cancellable);
    }

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (confab_client_parent_class)->dispose (object);
}

static void
confab_client_finalize (GObject *object)
{
  ConfabClient *self = (ConfabClient *)object;

  g_clear_pointer (&self->base_url, g_free);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_clear_pointer (&self->api_key, g_free);
  g_clear_pointer (&self->no_stream_options, g_hash_table_unref);
  g_queue_free_full (g_steal_pointer (&self->exchanges), (GDestroyNotify)confab_exchange_unref);
  g_clear_pointer (&self->pinned_certificate, g_free);
  g_clear_pointer (&self->last_certificate_fingerprint, g_free);

  G_OBJECT_CLASS (confab_client_parent_class)->finalize (object);
}

static void
confab_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_IDLE_TIMEOUT:
      g_value_set_double (value, self->idle_timeout);
      break;

    case PROP_CONNECT_TIMEOUT:
      g_value_set_double (value, self->connect_timeout);
      break;

    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;

    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;

    case PROP_MAX_TOKENS:
      g_value_set_int64 (value, self->max_tokens);
      break;

    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      confab_client_set_base_url (self, g_value_get_string (value));
      break;

    case PROP_API_KEY:
      confab_client_set_api_key (self, g_value_get_string (value));
      break;

    case PROP_IDLE_TIMEOUT:
      confab_client_set_idle_timeout (self, g_value_get_double (value));
      break;

    case PROP_CONNECT_TIMEOUT:
      confab_client_set_connect_timeout (self, g_value_get_double (value));
      break;

    case PROP_STREAMING:
      confab_client_set_streaming (self, g_value_get_boolean (value));
      break;

    case PROP_TEMPERATURE:
      confab_client_set_temperature (self, g_value_get_double (value));
      break;

    case PROP_MAX_TOKENS:
      confab_client_set_max_tokens (self, g_value_get_int64 (value));
      break;

    case PROP_PINNED_CERTIFICATE:
      confab_client_set_pinned_certificate (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_class_init (ConfabClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_client_dispose;
  object_class->finalize = confab_client_finalize;
  object_class->get_property = confab_client_get_property;
  object_class->set_property = confab_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, CONFAB_CLIENT_DEFAULT_BASE_URL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Write-only, so the key never shows up in a property dump. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_double ("idle-timeout", NULL, NULL, 0, 3600, 120,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_double ("connect-timeout", NULL, NULL, 0, 3600, 20,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STREAMING] =
    g_param_spec_boolean ("streaming", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Negative: the server's default. */
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, -1,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* 0: the server's default. */
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int64 ("max-tokens", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabClient:pinned-certificate:
   *
   * The SHA-256 fingerprint of a certificate accepted although it fails
   * verification, as confab_profile_normalize_fingerprint() writes it, or
   * %NULL.
   */
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_client_init (ConfabClient *self)
{
  g_autofree char *user_agent = g_strdup_printf ("Confab/%s ", PACKAGE_VERSION);

  /* Time-outs are ours (idle and connect), so libsoup's own are off.
   * Nothing else is set on purpose: the default TLS database verifies
   * every certificate (only accept_certificate_cb () lets a pinned one
   * pass), and the default GProxyResolver follows the system's proxy
   * settings. The tests set GIO_USE_PROXY_RESOLVER=dummy to reach
   * 127.0.0.1 directly. */
  self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                 "timeout", 0,
                                                 NULL);
  self->base_url = g_strdup (CONFAB_CLIENT_DEFAULT_BASE_URL);
  self->no_stream_options = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->drains = g_ptr_array_new ();
  self->exchanges = g_queue_new ();
  self->max_exchanges = CONFAB_CLIENT_DEFAULT_MAX_EXCHANGES;
  self->max_exchange_body = CONFAB_EXCHANGE_DEFAULT_MAX_BODY;
  self->idle_timeout = 120;
  self->connect_timeout = 20;
  self->streaming = TRUE;
  self->temperature = -1;
}

/**
 * confab_client_new:
 * @base_url: (nullable): the endpoint, such as `http://localhost:11434/v1`
 * @api_key: (nullable): the key, or %NULL for servers that need none
 *
 * Returns: (transfer full): a new client
 */
ConfabClient *
confab_client_new (const char *base_url,
                   const char *api_key)
{
  return g_object_new (CONFAB_TYPE_CLIENT,
                       "base-url", base_url ? base_url : CONFAB_CLIENT_DEFAULT_BASE_URL,
                       "api-key", api_key,
                       NULL);
}

/**
 * confab_client_get_base_url:
 * @self: a #ConfabClient
 *
 * Returns: (transfer none): the endpoint
 */
const char *
confab_client_get_base_url (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  return self->base_url;
}

/**
 * confab_client_set_base_url:
 * @self: a #ConfabClient
 * @base_url: (nullable): the endpoint; %NULL means OpenAI's
 */
void
confab_client_set_base_url (ConfabClient *self,
                            const char   *base_url)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (base_url == NULL || *base_url == '\0')
    base_url = CONFAB_CLIENT_DEFAULT_BASE_URL;
  if (g_strcmp0 (self->base_url, base_url) == 0)
    return;

  g_free (self->base_url);
  self->base_url = g_strdup (base_url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

/**
 * confab_client_set_api_key:
 * @self: a #ConfabClient
 * @api_key: (nullable): the key, or %NULL or "" for none
 */
void
confab_client_set_api_key (ConfabClient *self,
                           const char   *api_key)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_clear_pointer (&self->api_key, g_free);
  if (api_key != NULL && *api_key != '\0')
    {
      char *out;

      self->api_key = g_strstrip (g_strdup (api_key));
      /* A header value cannot hold a line break (libsoup refuses it with a
       * critical warning), so a key pasted across lines is read joined. */
      out = self->api_key;
      for (const char *in = self->api_key; *in != '\0'; in++)
        {
          if (*in != '\r' && *in != '\n')
            *out++ = *in;
        }
      *out = '\0';
    }
}

gboolean
confab_client_has_api_key (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);

  return self->api_key != NULL && *self->api_key != '\0';
}

double
confab_client_get_idle_timeout (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);

  return self->idle_timeout;
}

/**
 * confab_client_set_idle_timeout:
 * @self: a #ConfabClient
 * @seconds: how long the server may send nothing, 0 for no limit
 */
void
confab_client_set_idle_timeout (ConfabClient *self,
                                double        seconds)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (self->idle_timeout == seconds)
    return;

  self->idle_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IDLE_TIMEOUT]);
}

double
confab_client_get_connect_timeout (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);

  return self->connect_timeout;
}

/**
 * confab_client_set_connect_timeout:
 * @self: a #ConfabClient
 * @seconds: how long connecting may take, 0 for no limit
 */
void
confab_client_set_connect_timeout (ConfabClient *self,
                                   double        seconds)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (self->connect_timeout == seconds)
    return;

  self->connect_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECT_TIMEOUT]);
}

gboolean
confab_client_get_streaming (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), TRUE);

  return self->streaming;
}

/**
 * confab_client_set_streaming:
 * @self: a #ConfabClient
 * @streaming: %FALSE to ask each chat request for one JSON answer
 *
 * Streaming is on by default. Off, each request sends `"stream": false`
 * and no `stream_options`, for servers and proxies that cannot stream.
 */
void
confab_client_set_streaming (ConfabClient *self,
                             gboolean      streaming)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;

  self->streaming = streaming;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

double
confab_client_get_temperature (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), -1);

  return self->temperature;
}

/**
 * confab_client_set_temperature:
 * @self: a #ConfabClient
 * @temperature: the sampling temperature for each chat request that sets
 *   none itself, or a negative number for the server's default
 */
void
confab_client_set_temperature (ConfabClient *self,
                               double        temperature)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  /* Also refuses NaN and infinity, which JSON cannot write. */
  g_return_if_fail (temperature >= -G_MAXDOUBLE && temperature <= G_MAXDOUBLE);

  /* Every "not sent" is the same value, so it notifies once. */
  if (temperature < 0)
    temperature = -1;
  if (self->temperature == temperature)
    return;

  self->temperature = temperature;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPERATURE]);
}

gint64
confab_client_get_max_tokens (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);

  return self->max_tokens;
}

/**
 * confab_client_set_max_tokens:
 * @self: a #ConfabClient
 * @max_tokens: the most tokens to generate for each chat request that
 *   sets none itself, or 0 for the server's default
 */
void
confab_client_set_max_tokens (ConfabClient *self,
                              gint64        max_tokens)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (max_tokens >= 0);

  if (self->max_tokens == max_tokens)
    return;

  self->max_tokens = max_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_TOKENS]);
}

static StreamData *
stream_data_new (ConfabClient *self,
                 GCancellable *cancellable)
{
  StreamData *data = g_new0 (StreamData, 1);

  data->client = g_object_ref (self);
  data->base_url = g_strdup (self->base_url);
  data->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      data->outer_cancellable = g_object_ref (cancellable);
      data->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (outer_cancelled_cb),
                                                  data, NULL);
    }

  return data;
}

/**
 * confab_client_stream_async:
 * @self: a #ConfabClient
 * @request: what to ask; the client applies its streaming, temperature
 *   and max-tokens options to it where the caller set none, and may turn
 *   its include-usage off for servers that reject `stream_options`
 * @reply: the assistant message that receives the deltas as they arrive
 * @cancellable: (nullable): cancels the request; the text so far stays
 * @callback: called once, when the reply is complete, failed or stopped
 * @user_data: data for @callback
 *
 * Sends @request and streams the answer into @reply. The deltas are
 * signals on @reply; the task completes once.
 */
void
confab_client_stream_async (ConfabClient        *self,
                            ConfabRequest       *request,
                            ConfabMessage       *reply,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(StreamData) data = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (CONFAB_IS_MESSAGE (reply));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_stream_async);

  data = stream_data_new (self, cancellable);
  data->request = confab_request_ref (request);
  data->reply = g_object_ref (reply);
  data->sse = confab_sse_parser_new (event_cb, data);
  data->chunks = confab_chunk_parser_new ();
  data->restart = start_request;
  g_task_set_task_data (task, g_steal_pointer (&data), (GDestroyNotify)stream_data_free);

  start_request (g_steal_pointer (&task));
}

/**
 * confab_client_stream_finish:
 * @self: a #ConfabClient
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the reply is complete; on error, the text received so
 *   far stays in the reply. %G_IO_ERROR_CANCELLED means it was stopped.
 */
gboolean
confab_client_stream_finish (ConfabClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_client_list_models_async:
 * @self: a #ConfabClient
 * @cancellable: (nullable): cancels the request
 * @callback: called once, with the list or an error
 * @user_data: data for @callback
 *
 * Asks `GET {base-url}/models` for the models the server offers, with
 * the key when one is set, and the connect and idle time-outs of a chat
 * request.
 */
void
confab_client_list_models_async (ConfabClient        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  StreamData *data;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_list_models_async);
  data = stream_data_new (self, cancellable);
  data->restart = start_models_request;
  g_task_set_task_data (task, data, (GDestroyNotify)stream_data_free);

  start_models_request (g_steal_pointer (&task));
}

/**
 * confab_client_list_models_finish:
 * @self: a #ConfabClient
 * @result: the result
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type utf8): the model names, each
 *   once, sorted without regard to case, maybe none; %NULL on error.
 *   A server that lists no models gives %CONFAB_CLIENT_ERROR_NOT_FOUND.
 */
GPtrArray *
confab_client_list_models_finish (ConfabClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_client_get_pinned_certificate:
 * @self: a #ConfabClient
 *
 * Returns: (transfer none) (nullable): the pinned SHA-256 fingerprint, or
 *   %NULL
 */
const char *
confab_client_get_pinned_certificate (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  return self->pinned_certificate;
}

/**
 * confab_client_set_pinned_certificate:
 * @self: a #ConfabClient
 * @fingerprint: (nullable): a SHA-256 fingerprint in any form that
 *   confab_profile_normalize_fingerprint() reads, or %NULL or "" for none
 *
 * A certificate that fails verification (unknown authority, wrong host,
 * expired) is accepted only when its fingerprint is @fingerprint; one
 * that passes verification is accepted as always. Any other is refused
 * with %CONFAB_CLIENT_ERROR_CERTIFICATE. A kept-alive connection whose
 * certificate passed for an earlier pin is refused too.
 */
void
confab_client_set_pinned_certificate (ConfabClient *self,
                                      const char   *fingerprint)
{
  g_autofree char *normal = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (fingerprint != NULL)
    {
      normal = confab_profile_normalize_fingerprint (fingerprint);
      g_return_if_fail (normal != NULL);
      if (*normal == '\0')
        g_clear_pointer (&normal, g_free);
    }

  if (g_strcmp0 (self->pinned_certificate, normal) == 0)
    return;

  g_free (self->pinned_certificate);
  self->pinned_certificate = g_steal_pointer (&normal);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_CERTIFICATE]);
}

/**
 * confab_client_get_last_certificate_fingerprint:
 * @self: a #ConfabClient
 *
 * After a request failed with %CONFAB_CLIENT_ERROR_CERTIFICATE, this is
 * the fingerprint of the certificate that was refused, to show and to
 * pin once the user has checked it. It stays until the next refusal.
 *
 * Returns: (transfer none) (nullable): lowercase hex pairs joined by ":",
 *   as confab_profile_normalize_fingerprint() writes them, or %NULL when
 *   no certificate was refused
 */
const char *
confab_client_get_last_certificate_fingerprint (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  return self->last_certificate_fingerprint;
}

/**
 * confab_client_dup_exchanges:
 * @self: a #ConfabClient
 *
 * The records of the last requests, chat and models alike, including
 * those sent again after a redirect or a rejected option. A reply holds
 * its own (confab_message_get_exchange()).
 *
 * Returns: (transfer full) (element-type ConfabExchange): the records,
 *   oldest first
 */
GPtrArray *
confab_client_dup_exchanges (ConfabClient *self)
{
  GPtrArray *exchanges;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  exchanges = g_ptr_array_new_full (self->exchanges->length,
                                    (GDestroyNotify)confab_exchange_unref);
  for (GList *l = self->exchanges->head; l != NULL; l = l->next)
    g_ptr_array_add (exchanges, confab_exchange_ref (l->data));

  return exchanges;
}

/**
 * confab_client_set_exchange_limits:
 * @self: a #ConfabClient
 * @max_exchanges: how many records the client keeps, at least 1
 * @max_body: how many bytes of each response body a new record keeps
 *
 * Bounds the memory the records take: by default
 * %CONFAB_CLIENT_DEFAULT_MAX_EXCHANGES records of at most
 * %CONFAB_EXCHANGE_DEFAULT_MAX_BODY bytes of body each.
 */
void
confab_client_set_exchange_limits (ConfabClient *self,
                                   guint         max_exchanges,
                                   gsize         max_body)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (max_exchanges > 0);

  self->max_exchanges = max_exchanges;
  self->max_exchange_body = max_body;
  while (self->exchanges->length > self->max_exchanges)
    confab_exchange_unref (g_queue_pop_head (self->exchanges));
}
