/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Where the generated text breaks its lines. */
typedef enum
{
  /* Now and then a delta holds an escaped "\n", like any other escape. */
  BENCH_NEWLINES_RANDOM,
  /* A newline every 200–400 bytes, as paragraphs of prose have. */
  BENCH_NEWLINES_PARAGRAPHS,
  /* Never: one endless paragraph. */
  BENCH_NEWLINES_NONE,
  /* Paragraphs as Markdown: headings, lists, quotes, code blocks and
   * bold words between them. */
  BENCH_NEWLINES_MARKDOWN,
} BenchNewlines;

typedef struct BenchTextGen BenchTextGen;

BenchTextGen *bench_text_gen_new           (guint32        seed,
                                            BenchNewlines  newlines) G_GNUC_WARN_UNUSED_RESULT;
void          bench_text_gen_free          (BenchTextGen  *self);
gsize         bench_text_gen_next          (BenchTextGen  *self,
                                            GString       *text,
                                            GString       *json);

void          bench_append_delta_event     (GString       *out,
                                            const char    *json,
                                            gsize          len);
void          bench_append_finish_event    (GString       *out);
void          bench_append_done_event      (GString       *out);

double        bench_percentile             (GArray        *values,
                                            double         percent);
double        bench_max                    (GArray        *values);
double        bench_min                    (GArray        *values);

char         *bench_strip_spaces           (const char    *text);

typedef struct BenchServer BenchServer;

BenchServer  *bench_server_start           (SoupServerCallback  callback,
                                            gpointer            user_data) G_GNUC_WARN_UNUSED_RESULT;
const char   *bench_server_get_base_url    (BenchServer        *self);
void          bench_server_stop            (BenchServer        *self);

typedef gboolean (*BenchCondition) (gpointer user_data);

gboolean      bench_wait_until             (BenchCondition      condition,
                                            gpointer            user_data,
                                            guint               seconds);

char         *bench_isolate_dirs           (void) G_GNUC_WARN_UNUSED_RESULT;
char         *bench_make_dir               (const char         *parent,
                                            const char         *name) G_GNUC_WARN_UNUSED_RESULT;
void          bench_remove_tree            (const char         *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchTextGen, bench_text_gen_free)

G_END_DECLS
