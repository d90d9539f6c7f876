/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The body kept for one exchange; the rest is counted, not kept. */
#define CONFAB_EXCHANGE_DEFAULT_MAX_BODY (1024 * 1024)
/* The body kept for all the records alive together: each reply keeps its
 * record for as long as its chat is open, so the bound on one record
 * alone would let a long session grow without end. Past it, the oldest
 * records lose their bodies first. */
#define CONFAB_EXCHANGE_DEFAULT_SESSION_BUDGET (16 * 1024 * 1024)
/* The reads kept for one exchange, whatever their size: a record costs
 * some 80 bytes more than its data, so a server that sends a byte at a
 * time must not make a million of them out of the byte bound. */
#define CONFAB_EXCHANGE_MAX_CHUNKS 16384

/**
 * ConfabExchangeChunk:
 * @time_us: when the bytes arrived, in µs of the monotonic clock after the
 *   request started
 * @bytes: the bytes of one read, exactly as received
 *
 * One read of a response body.
 */
typedef struct
{
  gint64  time_us;
  GBytes *bytes;
} ConfabExchangeChunk;

typedef struct ConfabExchange ConfabExchange;

#define CONFAB_TYPE_EXCHANGE (confab_exchange_get_type ())

GType                      confab_exchange_get_type          (void) G_GNUC_CONST;

ConfabExchange            *confab_exchange_new               (const char      *method,
                                                              const char      *url,
                                                              gsize            max_body) G_GNUC_WARN_UNUSED_RESULT;
ConfabExchange            *confab_exchange_ref               (ConfabExchange  *self);
void                       confab_exchange_unref             (ConfabExchange  *self);
const char                *confab_exchange_get_method        (ConfabExchange  *self);
const char                *confab_exchange_get_url           (ConfabExchange  *self);
void                       confab_exchange_set_secret        (ConfabExchange  *self,
                                                              const char      *secret);
void                       confab_exchange_set_status        (ConfabExchange  *self,
                                                              const char      *http_version,
                                                              guint            status,
                                                              const char      *reason);
const char                *confab_exchange_get_http_version  (ConfabExchange  *self);
guint                      confab_exchange_get_status        (ConfabExchange  *self);
const char                *confab_exchange_get_reason        (ConfabExchange  *self);
gint64                     confab_exchange_get_status_time_us (ConfabExchange *self);
void                       confab_exchange_add_header        (ConfabExchange  *self,
                                                              const char      *name,
                                                              const char      *value);
guint                      confab_exchange_get_n_headers     (ConfabExchange  *self);
void                       confab_exchange_get_header        (ConfabExchange  *self,
                                                              guint            index,
                                                              const char     **name,
                                                              const char     **value);
void                       confab_exchange_add_chunk         (ConfabExchange  *self,
                                                              GBytes          *bytes);
guint                      confab_exchange_get_n_chunks      (ConfabExchange  *self);
const ConfabExchangeChunk *confab_exchange_get_chunk         (ConfabExchange  *self,
                                                              guint            index);
GBytes                    *confab_exchange_dup_body          (ConfabExchange  *self) G_GNUC_WARN_UNUSED_RESULT;
guint64                    confab_exchange_get_total_bytes   (ConfabExchange  *self);
guint64                    confab_exchange_get_dropped_bytes (ConfabExchange  *self);
gboolean                   confab_exchange_get_truncated     (ConfabExchange  *self);
gboolean                   confab_exchange_get_body_dropped  (ConfabExchange  *self);
void                       confab_exchange_set_session_budget (gsize           budget);
gsize                      confab_exchange_get_session_bytes (void);
void                       confab_exchange_set_error         (ConfabExchange  *self,
                                                              const char      *message);
const char                *confab_exchange_get_error         (ConfabExchange  *self);
char                      *confab_exchange_to_text           (ConfabExchange  *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabExchange, confab_exchange_unref)

G_END_DECLS
