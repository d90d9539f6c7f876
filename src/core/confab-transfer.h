/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TRANSFER_ERROR (confab_transfer_error_quark ())

/* The most confab_transfer_parse_json () reads. A long conversation is a few
 * MB, and the parsed tree takes several times its size in memory. */
#define CONFAB_TRANSFER_MAX_SIZE (64 * 1024 * 1024)
#define CONFAB_TRANSFER_MAX_MESSAGES 100000

/**
 * ConfabTransferError:
 * @CONFAB_TRANSFER_ERROR_INVALID: the data is not UTF-8 JSON, or not shaped
 *   like a list of Chat Completions messages
 * @CONFAB_TRANSFER_ERROR_EMPTY: the data has no message from the user or
 *   the assistant
 * @CONFAB_TRANSFER_ERROR_TOO_LARGE: the data is larger than
 *   %CONFAB_TRANSFER_MAX_SIZE bytes, or has more than
 *   %CONFAB_TRANSFER_MAX_MESSAGES messages
 */
typedef enum
{
  CONFAB_TRANSFER_ERROR_INVALID,
  CONFAB_TRANSFER_ERROR_EMPTY,
  CONFAB_TRANSFER_ERROR_TOO_LARGE,
} ConfabTransferError;

GQuark    confab_transfer_error_quark (void);

char     *confab_transfer_to_markdown (const ConfabStoredConversation  *conversation,
                                       GPtrArray                       *messages) G_GNUC_WARN_UNUSED_RESULT;
char     *confab_transfer_to_json     (const ConfabStoredConversation  *conversation,
                                       GPtrArray                       *messages) G_GNUC_WARN_UNUSED_RESULT;
gboolean  confab_transfer_parse_json  (const char                      *data,
                                       gssize                           len,
                                       ConfabStoredConversation       **out_conversation,
                                       GPtrArray                      **out_messages,
                                       GError                         **error);

G_END_DECLS
