/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "confab-sse-parser.h"

G_BEGIN_DECLS

/* Inputs up to this size are also fed in three parts at every pair of
 * split points; longer ones in random pieces instead. */
#define SPLITS_MAX_PAIRWISE_LEN 200

/* One way to feed an input: in pieces that end at each of @cuts, in
 * order, then at the end of the input. */
typedef void (*SplitFunc) (const size_t *cuts,
                           size_t        n_cuts,
                           gpointer      user_data);

void      for_each_split (size_t           len,
                          SplitFunc        func,
                          gpointer         user_data);
char     *describe_cuts  (const size_t    *cuts,
                          size_t           n_cuts) G_GNUC_WARN_UNUSED_RESULT;
gboolean  feed_pieces    (ConfabSseParser *parser,
                          const char      *input,
                          size_t           len,
                          const size_t    *cuts,
                          size_t           n_cuts,
                          GError         **error);

G_END_DECLS
