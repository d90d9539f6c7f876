/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-splits.h"

/* A stream arrives in reads of any size: the tests feed the same bytes
 * in every way below and expect the same result each time. */

/* Random piece lists for the inputs too long for every pair of split
 * points; --seed repeats a run. */
#define RANDOM_ROUNDS 64

static void
split_randomly (size_t     len,
                size_t    *cuts,
                SplitFunc  func,
                gpointer   user_data)
{
  for (guint round = 0; round < RANDOM_ROUNDS; round++)
    {
      /* From single bytes to a few KB, as a network gives them. */
      gint32 max_piece = round % 2 == 0 ? 17 : 4099;
      size_t n_cuts = 0;
      size_t at = 0;

      for (;;)
        {
          at += (size_t) g_test_rand_int_range (1, max_piece + 1);
          if (at >= len)
            break;
          cuts[n_cuts++] = at;
        }
      func (cuts, n_cuts, user_data);
    }
}

/**
 * for_each_split:
 * @len: the length of the input
 * @func: called once for each way of feeding it
 * @user_data: data for @func
 *
 * Calls @func for the input whole, one byte at a time, in two parts at
 * every split point (empty parts included), and in three parts at every
 * pair of split points when @len is at most %SPLITS_MAX_PAIRWISE_LEN, in
 * random pieces otherwise.
 */
void
for_each_split (size_t    len,
                SplitFunc func,
                gpointer  user_data)
{
  g_autofree size_t *cuts = g_new (size_t, len + 2);

  func (NULL, 0, user_data);

  for (size_t i = 0; i < len; i++)
    cuts[i] = i + 1;
  func (cuts, len > 0 ? len - 1 : 0, user_data);

  for (size_t i = 0; i <= len; i++)
    {
      cuts[0] = i;
      func (cuts, 1, user_data);
    }

  if (len > SPLITS_MAX_PAIRWISE_LEN)
    {
      split_randomly (len, cuts, func, user_data);
      return;
    }

  for (size_t i = 0; i <= len; i++)
    {
      for (size_t j = i; j <= len; j++)
        {
          cuts[0] = i;
          cuts[1] = j;
          func (cuts, 2, user_data);
        }
    }
}

/**
 * describe_cuts:
 * @cuts: (array length=n_cuts): where the pieces end
 * @n_cuts: the number of @cuts
 *
 * Says where an input was split, for the message of a failed test.
 *
 * Returns: (transfer full): "split at 3 17", or "split at nothing"
 */
char *
describe_cuts (const size_t *cuts,
               size_t        n_cuts)
{
  GString *out = g_string_new ("split at");

  for (size_t i = 0; i < n_cuts; i++)
    g_string_append_printf (out, " %zu", cuts[i]);
  if (n_cuts == 0)
    g_string_append (out, " nothing");

  return g_string_free (out, FALSE);
}

/**
 * feed_pieces:
 * @parser: a parser
 * @input: (array length=len): the stream
 * @len: its length
 * @cuts: (array length=n_cuts): where the pieces end, in order
 * @n_cuts: the number of @cuts
 * @error: return location for the parser's error
 *
 * Feeds @input to @parser in pieces, as the reads of a stream give it,
 * until the parser fails.
 *
 * Returns: what the last call to confab_sse_parser_feed () returned
 */
gboolean
feed_pieces (ConfabSseParser  *parser,
             const char       *input,
             size_t            len,
             const size_t     *cuts,
             size_t            n_cuts,
             GError          **error)
{
  size_t start = 0;

  for (size_t i = 0; i <= n_cuts; i++)
    {
      size_t stop = i < n_cuts ? cuts[i] : len;

      g_assert_cmpuint (start, <=, stop);
      g_assert_cmpuint (stop, <=, len);
      if (!confab_sse_parser_feed (parser, (const guint8 *) input + start, stop - start, error))
        return FALSE;
      start = stop;
    }

  return TRUE;
}
