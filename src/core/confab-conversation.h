/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-client.h"
#include "confab-message.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION (confab_conversation_get_type ())

G_DECLARE_FINAL_TYPE (ConfabConversation, confab_conversation, CONFAB, CONVERSATION, GObject)

ConfabConversation *confab_conversation_new                (ConfabClient         *client,
                                                            const char           *model) G_GNUC_WARN_UNUSED_RESULT;
ConfabConversation *confab_conversation_new_with_store     (ConfabClient         *client,
                                                            ConfabStore          *store,
                                                            const char           *model) G_GNUC_WARN_UNUSED_RESULT;
void                confab_conversation_load_async         (ConfabClient         *client,
                                                            ConfabStore          *store,
                                                            gint64                id,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
ConfabConversation *confab_conversation_load_finish        (GAsyncResult         *result,
                                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void                confab_conversation_load_latest_async  (ConfabClient         *client,
                                                            ConfabStore          *store,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
ConfabConversation *confab_conversation_load_latest_finish (GAsyncResult         *result,
                                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GListModel         *confab_conversation_get_messages       (ConfabConversation   *self);
ConfabClient       *confab_conversation_get_client         (ConfabConversation   *self);
ConfabStore        *confab_conversation_get_store          (ConfabConversation   *self);
gint64              confab_conversation_get_id             (ConfabConversation   *self);
const char         *confab_conversation_get_title          (ConfabConversation   *self);
const char         *confab_conversation_get_model          (ConfabConversation   *self);
void                confab_conversation_set_model          (ConfabConversation   *self,
                                                            const char           *model);
const char         *confab_conversation_get_system_prompt  (ConfabConversation   *self);
void                confab_conversation_set_system_prompt  (ConfabConversation   *self,
                                                            const char           *system_prompt);
gboolean            confab_conversation_get_is_streaming   (ConfabConversation   *self);
gboolean            confab_conversation_get_save_failing   (ConfabConversation   *self);
ConfabMessage      *confab_conversation_get_last_reply     (ConfabConversation   *self);
gboolean            confab_conversation_find_message       (ConfabConversation   *self,
                                                            gint64                message_id,
                                                            guint                *position);
gboolean            confab_conversation_send               (ConfabConversation   *self,
                                                            const char           *text);
gboolean            confab_conversation_retry              (ConfabConversation   *self);
gboolean            confab_conversation_regenerate         (ConfabConversation   *self);
gboolean            confab_conversation_select_variant     (ConfabConversation   *self,
                                                            ConfabMessage        *message,
                                                            guint                 index);
gboolean            confab_conversation_edit_and_resend    (ConfabConversation   *self,
                                                            ConfabMessage        *user_message,
                                                            const char           *new_text);
gboolean            confab_conversation_can_continue       (ConfabConversation   *self);
gboolean            confab_conversation_continue           (ConfabConversation   *self);
void                confab_conversation_stop               (ConfabConversation   *self);

G_END_DECLS
