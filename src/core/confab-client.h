/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-exchange.h"
#include "confab-message.h"
#include "confab-request.h"

G_BEGIN_DECLS

#define CONFAB_CLIENT_ERROR (confab_client_error_quark ())

typedef enum
{
  CONFAB_CLIENT_ERROR_INVALID_URL,
  CONFAB_CLIENT_ERROR_CONNECT,
  CONFAB_CLIENT_ERROR_TIMED_OUT,
  CONFAB_CLIENT_ERROR_HTTP_STATUS,
  CONFAB_CLIENT_ERROR_UNAUTHORIZED,
  CONFAB_CLIENT_ERROR_NOT_FOUND,
  CONFAB_CLIENT_ERROR_RATE_LIMITED,
  CONFAB_CLIENT_ERROR_SERVER,
  CONFAB_CLIENT_ERROR_TRUNCATED,
  CONFAB_CLIENT_ERROR_PROTOCOL,
  /* Known only by its message, as the history keeps a failed reply. */
  CONFAB_CLIENT_ERROR_FAILED,
  /* The server's TLS certificate failed verification and is not pinned. */
  CONFAB_CLIENT_ERROR_CERTIFICATE,
  /* A redirect that is not followed: too many, a downgrade to http, no
   * readable Location. */
  CONFAB_CLIENT_ERROR_REDIRECT,
} ConfabClientError;

/* The records a client keeps, the oldest dropped first. */
#define CONFAB_CLIENT_DEFAULT_MAX_EXCHANGES 50
/* The redirects followed for one request. */
#define CONFAB_CLIENT_MAX_REDIRECTS 5

#define CONFAB_CLIENT_DEFAULT_BASE_URL "https://api.openai.com/v1"

#define CONFAB_TYPE_CLIENT (confab_client_get_type ())

G_DECLARE_FINAL_TYPE (ConfabClient, confab_client, CONFAB, CLIENT, GObject)

GQuark        confab_client_error_quark       (void);

ConfabClient *confab_client_new               (const char          *base_url,
                                               const char          *api_key) G_GNUC_WARN_UNUSED_RESULT;
const char   *confab_client_get_base_url      (ConfabClient        *self);
void          confab_client_set_base_url      (ConfabClient        *self,
                                               const char          *base_url);
void          confab_client_set_api_key       (ConfabClient        *self,
                                               const char          *api_key);
gboolean      confab_client_has_api_key       (ConfabClient        *self);
double        confab_client_get_idle_timeout  (ConfabClient        *self);
void          confab_client_set_idle_timeout  (ConfabClient        *self,
                                               double               seconds);
double        confab_client_get_connect_timeout (ConfabClient      *self);
void          confab_client_set_connect_timeout (ConfabClient      *self,
                                               double               seconds);
gboolean      confab_client_get_streaming     (ConfabClient        *self);
void          confab_client_set_streaming     (ConfabClient        *self,
                                               gboolean             streaming);
double        confab_client_get_temperature   (ConfabClient        *self);
void          confab_client_set_temperature   (ConfabClient        *self,
                                               double               temperature);
gint64        confab_client_get_max_tokens    (ConfabClient        *self);
void          confab_client_set_max_tokens    (ConfabClient        *self,
                                               gint64               max_tokens);
void          confab_client_stream_async      (ConfabClient        *self,
                                               ConfabRequest       *request,
                                               ConfabMessage       *reply,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean      confab_client_stream_finish     (ConfabClient        *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void          confab_client_list_models_async (ConfabClient        *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
GPtrArray    *confab_client_list_models_finish (ConfabClient       *self,
                                               GAsyncResult        *result,
                                               GError             **error) G_GNUC_WARN_UNUSED_RESULT;
const char   *confab_client_get_pinned_certificate (ConfabClient   *self);
void          confab_client_set_pinned_certificate (ConfabClient   *self,
                                                    const char     *fingerprint);
const char   *confab_client_get_last_certificate_fingerprint
                                              (ConfabClient        *self);
GPtrArray    *confab_client_dup_exchanges     (ConfabClient        *self) G_GNUC_WARN_UNUSED_RESULT;
void          confab_client_set_exchange_limits (ConfabClient      *self,
                                               guint                max_exchanges,
                                               gsize                max_body);

G_END_DECLS
