/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-server.h"

#include <string.h>
#include <sys/socket.h>

/* Sizes that share no factor with the lines of the responses, so the
 * writes end inside lines, fields and characters. */
static const gsize odd_sizes[] = { 7, 13, 61 };

typedef struct
{
  /* borrowed */
  TestServer     *server;
  const Response *response;

  /* owned */
  SoupServerMessage *msg;

  /* source ids and handlers */
  guint  source_id;
  gulong finished_id;

  /* plain state */
  guint part;
  gsize offset;
  guint n_writes;
} Writer;

static void writer_step (Writer *writer);

static void
writer_free (Writer *writer)
{
  writer->server->writers = g_list_remove (writer->server->writers, writer);
  g_clear_handle_id (&writer->source_id, g_source_remove);
  g_clear_signal_handler (&writer->finished_id, writer->msg);
  g_clear_object (&writer->msg);
  g_free (writer);
}

static void
writer_finished_cb (SoupServerMessage *msg,
                    Writer            *writer)
{
  writer_free (writer);
}

static gboolean
writer_step_cb (gpointer user_data)
{
  Writer *writer = user_data;

  writer->source_id = 0;
  writer_step (writer);

  return G_SOURCE_REMOVE;
}

/* A zero linger time makes the close send a TCP reset instead of a FIN. */
static void
reset_connection (Writer *writer)
{
  g_autoptr(SoupServerMessage) msg = g_object_ref (writer->msg);
  g_autoptr(GIOStream) stream = NULL;
  GSocket *socket = soup_server_message_get_socket (msg);
  struct linger linger = { .l_onoff = 1, .l_linger = 0 };
  struct sockaddr unspec = { .sa_family = AF_UNSPEC };

  g_assert_nonnull (socket);
  g_assert_cmpint (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
                               &linger, sizeof linger), ==, 0);
  /* Linux: connecting a TCP socket to AF_UNSPEC drops the connection at
   * once, with a reset. Without it, libsoup ends the chunked body
   * properly as it gives the connection up below, and the client sees a
   * clean end of the body instead of a reset. */
  g_assert_cmpint (connect (g_socket_get_fd (socket), &unspec, sizeof unspec), ==, 0);

  writer_free (writer);
  stream = soup_server_message_steal_connection (msg);
  g_assert_nonnull (stream);
  g_io_stream_close (stream, NULL, NULL);
}

static void
writer_step (Writer *writer)
{
  const Response *response = writer->response;
  SoupMessageBody *body = soup_server_message_get_response_body (writer->msg);
  const char *part = response->parts[writer->part];
  gint64 now = g_get_monotonic_time ();
  gsize remaining;
  gsize size;

  if (part == NULL)
    {
      switch (response->ending)
        {
        case END_COMPLETE:
          /* The writer goes when the message is finished. */
          soup_message_body_complete (body);
          soup_server_message_unpause (writer->msg);
          break;

        case END_STALL:
          break;

        case END_RESET:
          reset_connection (writer);
          break;

        default:
          g_assert_not_reached ();
        }
      return;
    }

  remaining = strlen (part) - writer->offset;
  switch (writer->server->mode)
    {
    case WRITE_BYTES:
      size = 1;
      break;

    case WRITE_ODD:
      size = odd_sizes[writer->n_writes % G_N_ELEMENTS (odd_sizes)];
      break;

    case WRITE_WHOLE:
      size = remaining;
      break;

    default:
      g_assert_not_reached ();
    }
  size = MIN (size, remaining);

  soup_message_body_append (body, SOUP_MEMORY_COPY, part + writer->offset, size);
  soup_server_message_unpause (writer->msg);
  writer->offset += size;
  writer->n_writes++;

  /* An idle runs only once the server has written and the client has read
   * what was ready, so each write tends to be a read of its own. */
  if (writer->offset < strlen (part))
    {
      writer->source_id = g_idle_add (writer_step_cb, writer);
      return;
    }

  g_array_append_val (writer->server->part_times, now);
  writer->part++;
  writer->offset = 0;
  if (response->delay_ms > 0)
    writer->source_id = g_timeout_add (response->delay_ms, writer_step_cb, writer);
  else
    writer->source_id = g_idle_add (writer_step_cb, writer);
}

static void
writer_start (TestServer        *server,
              SoupServerMessage *msg,
              const Response    *response)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Writer *writer = g_new0 (Writer, 1);

  writer->server = server;
  writer->response = response;
  writer->msg = g_object_ref (msg);
  writer->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (writer_finished_cb),
                                          writer);
  server->writers = g_list_prepend (server->writers, writer);
  g_array_set_size (server->part_times, 0);

  soup_server_message_set_status (msg, response->status != 0 ? response->status : 200, NULL);
  soup_message_headers_set_content_type (headers,
                                         response->content_type != NULL
                                         ? response->content_type : "text/event-stream",
                                         NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  for (guint i = 0; response->headers != NULL && response->headers[i] != NULL; i += 2)
    soup_message_headers_append (headers, response->headers[i], response->headers[i + 1]);
  soup_server_message_pause (msg);

  writer->source_id = g_idle_add (writer_step_cb, writer);
}

/* Chat requests are POSTed, the list of models is got. */
static void
request_cb (SoupServer        *soup_server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  g_autoptr(GBytes) bytes = NULL;
  TestServer *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
  const Response *response;
  char *body;
  guint n_responses = 0;
  guint port;

  const char *method = g_str_has_suffix (path, "/models") ? SOUP_METHOD_GET : SOUP_METHOD_POST;

  if (strcmp (soup_server_message_get_method (msg), method) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }

  server->n_requests++;
  g_ptr_array_add (server->requests, g_strconcat (method, " ", path, NULL));
  bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_ptr_array_add (server->bodies, body);
  g_ptr_array_add (server->authorizations,
                   g_strdup (soup_message_headers_get_one (headers, "Authorization")));
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (address));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  g_array_append_val (server->ports, port);

  if (server->request_func != NULL)
    server->request_func (server, msg, server->request_data);

  while (server->responses[n_responses] != NULL)
    n_responses++;
  g_assert_cmpuint (n_responses, >, 0);

  if (server->reject_stream_options != NULL && strstr (body, "\"stream_options\"") != NULL)
    response = server->reject_stream_options;
  else
    response = server->responses[MIN (server->n_requests, n_responses) - 1];

  writer_start (server, msg, response);
}

/**
 * test_server_new:
 * @mode: how each part of a response is cut into writes
 * @responses: (array zero-terminated=1): the answers, borrowed for the
 *   life of the server
 *
 * Returns: (transfer full): a server listening on a free port of 127.0.0.1
 */
TestServer *
test_server_new (WriteMode               mode,
                 const Response * const *responses)
{
  return test_server_new_tls (mode, responses, NULL);
}

/**
 * test_server_new_tls:
 * @mode: how each part of a response is cut into writes
 * @responses: (array zero-terminated=1): the answers, borrowed for the
 *   life of the server
 * @certificate: (nullable): the certificate, with its private key, to
 *   answer https with; %NULL for http
 *
 * Returns: (transfer full): a server listening on a free port of 127.0.0.1
 */
TestServer *
test_server_new_tls (WriteMode               mode,
                     const Response * const *responses,
                     GTlsCertificate        *certificate)
{
  g_autoptr(GError) error = NULL;
  TestServer *server = g_new0 (TestServer, 1);
  SoupServerListenOptions options = SOUP_SERVER_LISTEN_IPV4_ONLY;
  GSList *uris;

  server->mode = mode;
  server->responses = responses;
  server->requests = g_ptr_array_new_with_free_func (g_free);
  server->bodies = g_ptr_array_new_with_free_func (g_free);
  server->authorizations = g_ptr_array_new_with_free_func (g_free);
  server->ports = g_array_new (FALSE, FALSE, sizeof (guint));
  server->part_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  server->server = soup_server_new ("server-header", "confab-test ",
                                    "tls-certificate", certificate,
                                    NULL);
  soup_server_add_handler (server->server, "/v1/chat/completions", request_cb, server, NULL);
  soup_server_add_handler (server->server, "/v1/models", request_cb, server, NULL);

  if (certificate != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;
  soup_server_listen_local (server->server, 0, options, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (server->server);
  g_assert_nonnull (uris);
  server->base_url = g_strdup_printf ("%s://127.0.0.1:%d/v1",
                                      certificate != NULL ? "https" : "http",
                                      g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  return server;
}

/**
 * test_server_free:
 * @server: (transfer full): a server
 *
 * Drops the responses being written, then asserts that the server goes.
 */
void
test_server_free (TestServer *server)
{
  while (server->writers != NULL)
    writer_free (server->writers->data);

  soup_server_disconnect (server->server);
  g_assert_finalize_object (server->server);

  if (server->request_data_destroy != NULL)
    server->request_data_destroy (server->request_data);
  g_ptr_array_unref (server->requests);
  g_ptr_array_unref (server->bodies);
  g_ptr_array_unref (server->authorizations);
  g_array_unref (server->ports);
  g_array_unref (server->part_times);
  g_free (server->base_url);
  g_free (server);
}

/**
 * test_server_set_responses:
 * @server: a server
 * @responses: (array zero-terminated=1): the answers, borrowed for the
 *   life of the server
 *
 * Answers the next request with the first of @responses, and so on.
 */
void
test_server_set_responses (TestServer             *server,
                           const Response * const *responses)
{
  server->responses = responses;
  server->n_requests = 0;
}

/**
 * test_server_set_request_func:
 * @server: a server
 * @func: (nullable): called with each request, before it is answered
 * @user_data: data for @func
 * @destroy: (nullable): frees @user_data with the server
 *
 * Lets a test note what else holds when a request arrives.
 */
void
test_server_set_request_func (TestServer            *server,
                              TestServerRequestFunc  func,
                              gpointer               user_data,
                              GDestroyNotify         destroy)
{
  g_assert_null (server->request_func);

  server->request_func = func;
  server->request_data = user_data;
  server->request_data_destroy = destroy;
}

/**
 * test_server_clear_records:
 * @server: a server
 *
 * Forgets the requests recorded so far, for a test that sends so many
 * that the records would show in the memory it measures.
 */
void
test_server_clear_records (TestServer *server)
{
  g_ptr_array_set_size (server->requests, 0);
  g_ptr_array_set_size (server->bodies, 0);
  g_ptr_array_set_size (server->authorizations, 0);
  g_array_set_size (server->ports, 0);
}

/**
 * test_server_get_port:
 * @server: a server
 *
 * Returns: the port it listens on, on 127.0.0.1
 */
guint
test_server_get_port (TestServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (server->base_url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);

  return g_uri_get_port (uri);
}

/* The raw server */

typedef struct
{
  /* borrowed */
  RawServer *server;

  /* owned */
  GSocketConnection *connection;
  GCancellable      *cancellable;
  GByteArray        *request;
  GBytes            *pending;

  /* plain state */
  guint64 offset;
} RawConnection;

static void raw_write_next (RawConnection *raw);

static void
raw_connection_close (RawConnection *raw)
{
  RawServer *server = raw->server;

  if (server->reset)
    {
      GSocket *socket = g_socket_connection_get_socket (raw->connection);
      struct linger linger = { .l_onoff = 1, .l_linger = 0 };

      g_assert_cmpint (setsockopt (g_socket_get_fd (socket), SOL_SOCKET, SO_LINGER,
                                   &linger, sizeof linger), ==, 0);
    }

  server->connections = g_list_remove (server->connections, raw);
  server->n_closed++;
  g_cancellable_cancel (raw->cancellable);
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
  g_clear_object (&raw->connection);
  g_clear_object (&raw->cancellable);
  g_clear_pointer (&raw->request, g_byte_array_unref);
  g_clear_pointer (&raw->pending, g_bytes_unref);
  g_free (raw);
}

static void
raw_write_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  RawConnection *raw = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  /* A cancelled write means the server has gone, and @raw with it. */
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  raw->offset += written;
  raw->server->n_written += written;
  g_clear_pointer (&raw->pending, g_bytes_unref);

  /* The client went away, as it should from a hostile answer. */
  if (error != NULL)
    {
      raw_connection_close (raw);
      return;
    }

  raw_write_next (raw);
}

static void
raw_write_next (RawConnection *raw)
{
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (raw->connection));
  RawServer *server = raw->server;

  raw->pending = server->write_func (raw->offset, server->write_data);
  if (raw->pending == NULL)
    {
      raw_connection_close (raw);
      return;
    }

  g_output_stream_write_all_async (output, g_bytes_get_data (raw->pending, NULL),
                                   g_bytes_get_size (raw->pending), G_PRIORITY_DEFAULT,
                                   raw->cancellable, raw_write_cb, raw);
}

/* Whether @request holds the head and the Content-Length bytes of body
 * that follow it. */
static gboolean
raw_request_is_complete (GByteArray *request)
{
  const char *data = (const char *)request->data;
  const char *end = g_strstr_len (data, request->len, "\r\n\r\n");
  g_autofree char *head = NULL;
  const char *length;
  gsize head_len;

  if (end == NULL)
    return FALSE;

  head_len = end + 4 - data;
  head = g_ascii_strdown (data, head_len);
  length = strstr (head, "\r\ncontent-length:");
  if (length == NULL)
    return TRUE;

  return request->len - head_len >= g_ascii_strtoull (length + 17, NULL, 10);
}

static void
raw_read_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RawConnection *raw = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      raw_connection_close (raw);
      return;
    }

  g_byte_array_append (raw->request, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  /* The whole request is read before anything is written or closed:
   * closing a socket with unread input sends a reset instead of a FIN. */
  if (raw_request_is_complete (raw->request))
    {
      raw->server->n_requests++;
      g_free (raw->server->last_request);
      raw->server->last_request = g_strndup ((const char *)raw->request->data,
                                             raw->request->len);
      raw_write_next (raw);
      return;
    }

  g_input_stream_read_bytes_async (G_INPUT_STREAM (object), 4096, G_PRIORITY_DEFAULT,
                                   raw->cancellable, raw_read_cb, raw);
}

static gboolean
raw_incoming_cb (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source_object,
                 gpointer           user_data)
{
  RawServer *server = user_data;
  RawConnection *raw = g_new0 (RawConnection, 1);

  raw->server = server;
  raw->connection = g_object_ref (connection);
  raw->cancellable = g_cancellable_new ();
  raw->request = g_byte_array_new ();
  server->connections = g_list_prepend (server->connections, raw);

  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   4096, G_PRIORITY_DEFAULT, raw->cancellable, raw_read_cb,
                                   raw);

  return TRUE;
}

/**
 * raw_server_new:
 * @func: what to write on each connection
 * @user_data: data for @func
 *
 * Returns: (transfer full): a server listening on a free port of 127.0.0.1
 */
RawServer *
raw_server_new (RawServerWriteFunc func,
                gpointer           user_data)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  RawServer *server = g_new0 (RawServer, 1);

  server->write_func = func;
  server->write_data = user_data;
  server->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (server->service, "incoming", G_CALLBACK (raw_incoming_cb), server);
  g_socket_service_start (server->service);

  server->base_url = g_strdup_printf ("http://127.0.0.1:%u/v1",
                                      g_inet_socket_address_get_port (
                                        G_INET_SOCKET_ADDRESS (effective)));

  return server;
}

/**
 * raw_server_free:
 * @server: (transfer full): a server
 *
 * Closes the connections still open and stops listening.
 */
void
raw_server_free (RawServer *server)
{
  while (server->connections != NULL)
    raw_connection_close (server->connections->data);

  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_signal_handlers_disconnect_by_data (server->service, server);
  g_clear_object (&server->service);
  g_free (server->last_request);
  g_free (server->base_url);
  g_free (server);
}
