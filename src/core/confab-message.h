/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-exchange.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_MESSAGE_ROLE_USER,
  CONFAB_MESSAGE_ROLE_ASSISTANT,
  CONFAB_MESSAGE_ROLE_SYSTEM,
} ConfabMessageRole;

typedef enum
{
  CONFAB_MESSAGE_STATE_COMPLETE,
  CONFAB_MESSAGE_STATE_PENDING,
  CONFAB_MESSAGE_STATE_STREAMING,
  CONFAB_MESSAGE_STATE_STOPPED,
  CONFAB_MESSAGE_STATE_FAILED,
  CONFAB_MESSAGE_STATE_INTERRUPTED,
} ConfabMessageState;

typedef enum
{
  CONFAB_MESSAGE_PART_CONTENT,
  CONFAB_MESSAGE_PART_REASONING,
} ConfabMessagePart;

#define CONFAB_TYPE_MESSAGE_ROLE (confab_message_role_get_type ())
#define CONFAB_TYPE_MESSAGE_STATE (confab_message_state_get_type ())
#define CONFAB_TYPE_MESSAGE (confab_message_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessage, confab_message, CONFAB, MESSAGE, GObject)

GType               confab_message_role_get_type         (void);
GType               confab_message_state_get_type        (void);

ConfabMessage      *confab_message_new                   (ConfabMessageRole  role,
                                                          const char        *content) G_GNUC_WARN_UNUSED_RESULT;
ConfabMessageRole   confab_message_get_role              (ConfabMessage     *self);
const char         *confab_message_get_role_name         (ConfabMessage     *self);
const char         *confab_message_get_content           (ConfabMessage     *self);
gsize               confab_message_get_content_length    (ConfabMessage     *self);
const char         *confab_message_get_reasoning         (ConfabMessage     *self);
void                confab_message_append                (ConfabMessage     *self,
                                                          ConfabMessagePart  part,
                                                          const char        *text,
                                                          gssize             len);
void                confab_message_clear_text            (ConfabMessage     *self);
ConfabExchange     *confab_message_get_exchange          (ConfabMessage     *self);
void                confab_message_set_exchange          (ConfabMessage     *self,
                                                          ConfabExchange    *exchange);
ConfabMessageState  confab_message_get_state             (ConfabMessage     *self);
void                confab_message_set_state             (ConfabMessage     *self,
                                                          ConfabMessageState state);
const GError       *confab_message_get_error             (ConfabMessage     *self);
void                confab_message_set_error             (ConfabMessage     *self,
                                                          const GError      *error);
const char         *confab_message_get_finish_reason     (ConfabMessage     *self);
void                confab_message_set_finish_reason     (ConfabMessage     *self,
                                                          const char        *finish_reason);
const char         *confab_message_get_model             (ConfabMessage     *self);
void                confab_message_set_model             (ConfabMessage     *self,
                                                          const char        *model);
void                confab_message_set_usage             (ConfabMessage     *self,
                                                          gint64             prompt_tokens,
                                                          gint64             completion_tokens);
gint64              confab_message_get_prompt_tokens     (ConfabMessage     *self);
gint64              confab_message_get_completion_tokens (ConfabMessage     *self);
void                confab_message_set_timings           (ConfabMessage     *self,
                                                          gint64             first_token_us,
                                                          gint64             generation_us);
gint64              confab_message_get_first_token_us    (ConfabMessage     *self);
gint64              confab_message_get_generation_us     (ConfabMessage     *self);
guint               confab_message_get_skipped_events    (ConfabMessage     *self);
void                confab_message_add_skipped_event     (ConfabMessage     *self);
guint               confab_message_get_n_variants        (ConfabMessage     *self);
guint               confab_message_get_variant_index     (ConfabMessage     *self);
void                confab_message_add_variant           (ConfabMessage     *self);
gboolean            confab_message_select_variant        (ConfabMessage     *self,
                                                          guint              index);
void                confab_message_insert_variant        (ConfabMessage     *self,
                                                          guint              index,
                                                          ConfabMessage     *variant);
ConfabMessage      *confab_message_dup_variant           (ConfabMessage     *self,
                                                          guint              index) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
