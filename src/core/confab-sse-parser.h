/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_SSE_ERROR (confab_sse_error_quark ())

typedef enum
{
  CONFAB_SSE_ERROR_LINE_TOO_LONG,
} ConfabSseError;

/* The default bound on one line, in bytes, terminator excluded. */
#define CONFAB_SSE_DEFAULT_MAX_LINE (4 * 1024 * 1024)

/**
 * ConfabSseEvent:
 * @type: the event type; "message" when the event had no `event` field
 * @data: the data, all `data` lines joined by "\n", NUL-terminated; raw bytes,
 *   not validated as UTF-8
 * @data_len: the length of @data in bytes
 * @id: the last event id seen so far (WHATWG: it persists across events), or ""
 *
 * One dispatched event. Every pointer is borrowed and valid only during the
 * callback.
 */
typedef struct
{
  const char *type;
  const char *data;
  size_t      data_len;
  const char *id;
} ConfabSseEvent;

typedef void (*ConfabSseEventFunc) (const ConfabSseEvent *event,
                                    gpointer              user_data);

typedef struct ConfabSseParser ConfabSseParser;

GQuark           confab_sse_error_quark        (void);

ConfabSseParser *confab_sse_parser_new         (ConfabSseEventFunc  func,
                                                gpointer            user_data) G_GNUC_WARN_UNUSED_RESULT;
void             confab_sse_parser_free        (ConfabSseParser    *self);
void             confab_sse_parser_set_max_line (ConfabSseParser   *self,
                                                size_t              max_line);
gboolean         confab_sse_parser_feed        (ConfabSseParser    *self,
                                                const guint8       *data,
                                                size_t              len,
                                                GError            **error);
gint64           confab_sse_parser_get_retry   (ConfabSseParser    *self);
void             confab_sse_parser_reset       (ConfabSseParser    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabSseParser, confab_sse_parser_free)

G_END_DECLS
