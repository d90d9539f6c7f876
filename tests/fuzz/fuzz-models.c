/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "confab-models.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

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
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = confab_models_parse (body, &error);
  if (ids == NULL)
    {
      if (error == NULL || error->domain != CONFAB_MODELS_ERROR)
        abort ();
      return 0;
    }

  /* Each name once, valid UTF-8 and not empty. */
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (id == NULL || id[0] == '\0' || !g_utf8_validate (id, -1, NULL))
        abort ();
      for (guint j = 0; j < i; j++)
        {
          if (strcmp (id, g_ptr_array_index (ids, j)) == 0)
            abort ();
        }
    }

  return 0;
}
