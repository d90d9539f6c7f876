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

  /* What was imported can be exported again. */
  json = confab_transfer_to_json (conversation, messages);
  if (json == NULL || !g_utf8_validate (json, -1, NULL))
    abort ();

  return 0;
}
