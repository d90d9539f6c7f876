/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-message.h"

G_BEGIN_DECLS

/* No wait in a test takes more than this, even under a sanitizer. */
#define DEADLINE_SECONDS 10

typedef gboolean (*Condition) (gpointer user_data);

typedef struct
{
  ConfabMessage *reply;
  const char    *text;
} TextWait;

void          wait_until         (Condition      condition,
                                  gpointer       user_data);
void          wait_until_seconds (Condition      condition,
                                  gpointer       user_data,
                                  guint          seconds);
void          wait_ms            (guint          ms);
void          wait_for_text      (ConfabMessage *reply,
                                  const char    *text);
GAsyncResult *wait_for_result    (GAsyncResult **slot) G_GNUC_WARN_UNUSED_RESULT;
void          result_cb          (GObject       *object,
                                  GAsyncResult  *result,
                                  gpointer       user_data);
gboolean      flag_is_set        (gpointer       user_data);
gboolean      reply_has_text     (gpointer       user_data);
int           run_tests_and_settle (void);

G_END_DECLS
