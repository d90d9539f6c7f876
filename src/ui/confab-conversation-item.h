/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_ITEM (confab_conversation_item_get_type ())

G_DECLARE_FINAL_TYPE (ConfabConversationItem, confab_conversation_item, CONFAB,
                      CONVERSATION_ITEM, GObject)

ConfabConversationItem *confab_conversation_item_new (const ConfabStoredConversation *stored)
  G_GNUC_WARN_UNUSED_RESULT;

gint64      confab_conversation_item_get_id         (ConfabConversationItem         *self);
const char *confab_conversation_item_get_title      (ConfabConversationItem         *self);
gboolean    confab_conversation_item_get_pinned     (ConfabConversationItem         *self);
gint64      confab_conversation_item_get_updated_at (ConfabConversationItem         *self);
void        confab_conversation_item_update         (ConfabConversationItem         *self,
                                                     const ConfabStoredConversation *stored);

G_END_DECLS
