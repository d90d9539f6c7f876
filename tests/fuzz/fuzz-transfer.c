/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

#include "confab-store.h"
#include "confab-transfer.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* The user and assistant messages, which every import keeps. */
static GPtrArray *
chat_messages (GPtrArray *messages)
{
  GPtrArray *chat = g_ptr_array_new ();

  for (guint i = 0; i < messages->len; i++)
    {
      ConfabStoredMessage *message = g_ptr_array_index (messages, i);

      if (message->role != CONFAB_MESSAGE_ROLE_SYSTEM)
        g_ptr_array_add (chat, message);
    }

  return chat;
}

static void
check_utf8 (const char *str)
{
  if (str != NULL && !g_utf8_validate (str, -1, NULL))
    abort ();
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical is a broken contract, and GLib's default only logs it. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoredConversation) again_conversation = NULL;
  g_autoptr(GPtrArray) again_messages = NULL;
  g_autoptr(GPtrArray) chat = NULL;
  g_autoptr(GPtrArray) again_chat = NULL;
  g_autofree char *json = NULL;

  if (!confab_transfer_parse_json ((const char *) data, (gssize) size,
                                   &conversation, &messages, &error))
    {
      if (error == NULL || error->domain != CONFAB_TRANSFER_ERROR ||
          conversation != NULL || messages != NULL)
        abort ();
      return 0;
    }

  check_utf8 (conversation->title);
  check_utf8 (conversation->model);
  check_utf8 (conversation->system_prompt);
  for (guint i = 0; i < messages->len; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (messages, i);

      check_utf8 (message->content);
    }

  /* What was imported is exported, and reads back to the same chat. */
  json = confab_transfer_to_json (conversation, messages);
  if (json == NULL || !g_utf8_validate (json, -1, NULL))
    abort ();
  if (!confab_transfer_parse_json (json, -1, &again_conversation, &again_messages, NULL))
    abort ();

  chat = chat_messages (messages);
  again_chat = chat_messages (again_messages);
  if (chat->len != again_chat->len)
    abort ();
  for (guint i = 0; i < chat->len; i++)
    {
      const ConfabStoredMessage *message = g_ptr_array_index (chat, i);
      const ConfabStoredMessage *again = g_ptr_array_index (again_chat, i);

      if (message->role != again->role || g_strcmp0 (message->content, again->content) != 0)
        abort ();
    }

  return 0;
}
