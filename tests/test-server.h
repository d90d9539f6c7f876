/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How the server cuts each part of a response into writes. */
typedef enum
{
  WRITE_BYTES,
  WRITE_ODD,
  WRITE_WHOLE,
  N_WRITE_MODES
} WriteMode;

typedef enum
{
  /* The body ends properly: the last chunk of the chunked encoding. */
  END_COMPLETE,
  /* Nothing more is written and the connection stays open. */
  END_STALL,
  /* The connection is closed with a TCP reset, in the middle of the body. */
  END_RESET,
} Ending;

typedef struct
{
  /* 0 means 200 */
  guint               status;
  /* NULL means text/event-stream */
  const char         *content_type;
  /* The body, NULL-terminated; the server waits delay_ms after each part. */
  const char * const *parts;
  guint               delay_ms;
  Ending              ending;
  /* NULL, or more headers as name, value, ..., NULL, such as a Location */
  const char * const *headers;
} Response;

typedef struct TestServer TestServer;

typedef void (*TestServerRequestFunc) (TestServer        *server,
                                       SoupServerMessage *msg,
                                       gpointer           user_data);

/* A fake OpenAI-compatible server on 127.0.0.1 that answers POST
 * /v1/chat/completions and GET /v1/models in the main context, over
 * http or, given a certificate, https. The
 * tests read what it recorded from the fields directly. */
struct TestServer
{
  /* owned */
  SoupServer *server;
  char       *base_url;
  /* char *: the method and path of each request, "GET /v1/models" */
  GPtrArray  *requests;
  /* char *: the body of each request */
  GPtrArray  *bodies;
  /* char *: the Authorization header of each request, or NULL */
  GPtrArray  *authorizations;
  /* guint: the client's port of each request, which names its connection */
  GArray     *ports;
  /* gint64: the monotonic time each part of the last response was written in full */
  GArray     *part_times;
  GList      *writers;

  /* borrowed: answered in order, the last one again for any further request */
  const Response * const *responses;
  /* borrowed, nullable: the answer to any request that asks for
   * stream_options, as servers that do not know the field give */
  const Response         *reject_stream_options;

  /* called with each request before it is answered */
  TestServerRequestFunc request_func;
  gpointer              request_data;
  GDestroyNotify        request_data_destroy;

  /* plain state */
  WriteMode mode;
  /* since the last test_server_set_responses () */
  guint     n_requests;
};

TestServer *test_server_new              (WriteMode               mode,
                                          const Response * const *responses) G_GNUC_WARN_UNUSED_RESULT;
TestServer *test_server_new_tls          (WriteMode               mode,
                                          const Response * const *responses,
                                          GTlsCertificate        *certificate) G_GNUC_WARN_UNUSED_RESULT;
guint       test_server_get_port         (TestServer             *server);
void        test_server_free             (TestServer             *server);
void        test_server_set_responses    (TestServer             *server,
                                          const Response * const *responses);
void        test_server_set_request_func (TestServer             *server,
                                          TestServerRequestFunc   func,
                                          gpointer                user_data,
                                          GDestroyNotify          destroy);
void        test_server_clear_records    (TestServer             *server);

/* Returns the bytes a raw server writes next at @offset of its answer on
 * one connection, or %NULL to close the connection. */
typedef GBytes *(*RawServerWriteFunc) (guint64  offset,
                                       gpointer user_data);

/* A server on 127.0.0.1 that reads each request, then writes whatever
 * its function returns, byte for byte, with no HTTP framing of its own:
 * for answers that SoupServer cannot give, such as a connection closed
 * in the middle of the headers, a body shorter than its Content-Length
 * or a gigabyte made on the fly. Each connection carries one request. */
typedef struct
{
  /* owned */
  GSocketService *service;
  char           *base_url;
  GList          *connections;
  /* the head and body of the last request read in full, or NULL */
  char           *last_request;

  /* borrowed */
  RawServerWriteFunc write_func;
  gpointer           write_data;

  /* plain state */
  /* close each connection with a TCP reset instead of a FIN */
  gboolean reset;
  guint    n_requests;
  /* connections closed, by the function or by a failed write */
  guint    n_closed;
  /* on all connections */
  guint64  n_written;
} RawServer;

RawServer  *raw_server_new               (RawServerWriteFunc      func,
                                          gpointer                user_data) G_GNUC_WARN_UNUSED_RESULT;
void        raw_server_free              (RawServer              *server);

G_END_DECLS
