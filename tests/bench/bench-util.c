/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include "bench-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>

/* Replies mix the founding example's languages. Each language's deltas
 * walk through its sample in order, so the text reads like text and
 * shapes like text, not like random code points. No sample holds a
 * character that JSON must escape: the escapes come from the table. */
static const char * const samples[] = {
  "다음을 일본어로 번역하세요. 안녕하세요? 오늘 날씨가 참 좋군요! 공원에 산책하러 "
  "갈까요? 저는 서울에서 온 학생입니다. 한국어와 일본어는 어순이 비슷합니다. ",
  "こんにちは！今日はとても良い天気ですね。公園へ散歩に行きましょうか？私はソウルから"
  "来た学生です。韓国語と日本語は語順が似ています。",
  "Translate the following into Japanese. Hello? The weather is really nice today! "
  "Shall we go for a walk in the park? I'm a student from Seoul. ",
};

#define N_LANGUAGES G_N_ELEMENTS (samples)

typedef struct
{
  const char *json;
  const char *text;
} Escape;

/* The newline must stay last: only BENCH_NEWLINES_RANDOM uses it. */
static const Escape escapes[] = {
  { "\\\"", "\"" },
  { "\\\\", "\\" },
  { "\\t", "\t" },
  { "\\/", "/" },
  { "\\u00e9", "\xC3\xA9" },
  { "\\u3042", "\xE3\x81\x82" },
  { "\\ud83d\\ude00", "\xF0\x9F\x98\x80" },
  { "\\n", "\n" },
};

struct BenchTextGen
{
  /* owned */
  GRand *rand;

  /* plain state */
  BenchNewlines newlines;
  const char   *cursor[N_LANGUAGES];
  gsize         line_bytes;
  gsize         line_limit;
  gboolean      in_code;
};

/**
 * bench_text_gen_new:
 * @seed: the same seed gives the same text
 * @newlines: where lines break
 *
 * Returns: (transfer full): a generator of deltas of 1–12 characters of
 *   mixed Korean, Japanese and English, about one in 16 with a JSON escape
 */
BenchTextGen *
bench_text_gen_new (guint32       seed,
                    BenchNewlines newlines)
{
  BenchTextGen *self = g_new0 (BenchTextGen, 1);

  self->rand = g_rand_new_with_seed (seed);
  self->newlines = newlines;
  for (guint i = 0; i < N_LANGUAGES; i++)
    self->cursor[i] = samples[i];
  self->line_limit = g_rand_int_range (self->rand, 200, 401);

  return self;
}

void
bench_text_gen_free (BenchTextGen *self)
{
  if (self == NULL)
    return;

  g_rand_free (self->rand);
  g_free (self);
}

/**
 * bench_text_gen_next:
 * @self: a generator
 * @text: the decoded delta is appended here
 * @json: the delta as a JSON string body (escaped, no quotes) is appended here
 *
 * Returns: the length of the decoded delta in bytes
 */
gsize
bench_text_gen_next (BenchTextGen *self,
                     GString      *text,
                     GString      *json)
{
  gsize start = text->len;
  guint n_chars = g_rand_int_range (self->rand, 1, 13);
  guint language = g_rand_int_range (self->rand, 0, N_LANGUAGES);
  gboolean escape = g_rand_int_range (self->rand, 0, 16) == 0;

  if (escape)
    n_chars--;

  for (guint i = 0; i < n_chars; i++)
    {
      const char *c = self->cursor[language];
      const char *next = g_utf8_next_char (c);

      g_string_append_len (text, c, next - c);
      g_string_append_len (json, c, next - c);
      self->cursor[language] = *next != '\0' ? next : samples[language];
    }

  if (escape)
    {
      guint n_escapes = G_N_ELEMENTS (escapes) - (self->newlines == BENCH_NEWLINES_RANDOM ? 0 : 1);
      const Escape *e = &escapes[g_rand_int_range (self->rand, 0, n_escapes)];

      g_string_append (text, e->text);
      g_string_append (json, e->json);
    }

  if (self->newlines == BENCH_NEWLINES_MARKDOWN)
    {
      self->line_bytes += text->len - start;
      if (self->line_bytes >= self->line_limit)
        {
          /* What comes after the line: Markdown's constructs, as a model
           * mixes them, with a code block open about one line in six. */
          static const char *next[] = {
            "\n\n## ", "\n- ", "\n1. ", "\n\n", "\n> ", NULL, "\n  - ", " **bold** ",
          };
          guint pick = g_rand_int_range (self->rand, 0, G_N_ELEMENTS (next));
          const char *markup = next[pick];
          g_autofree char *json_markup = NULL;

          if (self->in_code)
            markup = "\n```\n\n";
          else if (markup == NULL)
            markup = "\n\n```c\n";
          self->in_code = markup != NULL && strstr (markup, "```c") != NULL;

          json_markup = g_strescape (markup, NULL);
          g_string_append (text, markup);
          g_string_append (json, json_markup);
          self->line_bytes = 0;
          self->line_limit = g_rand_int_range (self->rand, 200, 401);
        }
    }

  if (self->newlines == BENCH_NEWLINES_PARAGRAPHS)
    {
      self->line_bytes += text->len - start;
      if (self->line_bytes >= self->line_limit)
        {
          g_string_append_c (text, '\n');
          g_string_append (json, "\\n");
          self->line_bytes = 0;
          self->line_limit = g_rand_int_range (self->rand, 200, 401);
        }
    }

  return text->len - start;
}

#define EVENT_HEAD \
  "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":\"m\"," \
  "\"choices\":[{\"index\":0,\"delta\":{"

/* Appends one OpenAI-style event whose delta content is @json, which must
 * be escaped already. */
void
bench_append_delta_event (GString    *out,
                          const char *json,
                          gsize       len)
{
  g_string_append (out, EVENT_HEAD "\"content\":\"");
  g_string_append_len (out, json, len);
  g_string_append (out, "\"},\"finish_reason\":null}]}\n\n");
}

void
bench_append_finish_event (GString *out)
{
  g_string_append (out, EVENT_HEAD "},\"finish_reason\":\"stop\"}]}\n\n");
}

void
bench_append_done_event (GString *out)
{
  g_string_append (out, "data: [DONE]\n\n");
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* Nearest rank: the median of 5 runs is the third. 0 when empty. */
double
bench_percentile (GArray *values,
                  double  percent)
{
  g_autoptr(GArray) sorted = NULL;
  gssize rank;

  if (values->len == 0)
    return 0;

  sorted = g_array_copy (values);
  g_array_sort (sorted, compare_doubles);
  rank = (gssize)ceil (percent / 100 * sorted->len) - 1;
  rank = CLAMP (rank, 0, (gssize)sorted->len - 1);

  return g_array_index (sorted, double, rank);
}

double
bench_max (GArray *values)
{
  double max = 0;

  for (guint i = 0; i < values->len; i++)
    max = i == 0 ? g_array_index (values, double, i) : MAX (max, g_array_index (values, double, i));

  return max;
}

double
bench_min (GArray *values)
{
  double min = 0;

  for (guint i = 0; i < values->len; i++)
    min = i == 0 ? g_array_index (values, double, i) : MIN (min, g_array_index (values, double, i));

  return min;
}

/* A SoupServer on 127.0.0.1 in a thread of its own, with its own main
 * context, so serving never competes with the client's main loop. */
struct BenchServer
{
  /* owned */
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  char         *base_url;
  GMutex        mutex;
  GCond         cond;

  /* borrowed */
  SoupServerCallback callback;
  gpointer           user_data;
};

static gpointer
server_thread (gpointer user_data)
{
  BenchServer *self = user_data;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  GSList *uris;

  /* Before the server exists: it attaches its sources to the
   * thread-default context of the thread that creates it. */
  g_main_context_push_thread_default (self->context);

  server = soup_server_new ("server-header", "confab-bench ", NULL);
  soup_server_add_handler (server, "/v1/chat/completions", self->callback, self->user_data, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("Cannot listen on 127.0.0.1: %s", error->message);

  uris = soup_server_get_uris (server);
  g_mutex_lock (&self->mutex);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  g_main_loop_run (self->loop);

  soup_server_disconnect (server);
  g_clear_object (&server);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);

  return NULL;
}

/**
 * bench_server_start:
 * @callback: the handler of `/v1/chat/completions`, run in the server thread
 * @user_data: data for @callback
 *
 * Returns: (transfer full): a running server; stop it with bench_server_stop()
 */
BenchServer *
bench_server_start (SoupServerCallback callback,
                    gpointer           user_data)
{
  BenchServer *self = g_new0 (BenchServer, 1);

  self->callback = callback;
  self->user_data = user_data;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);

  self->thread = g_thread_new ("bench-server", server_thread, self);

  g_mutex_lock (&self->mutex);
  while (self->base_url == NULL)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  return self;
}

const char *
bench_server_get_base_url (BenchServer *self)
{
  return self->base_url;
}

static gboolean
quit_cb (gpointer user_data)
{
  BenchServer *self = user_data;

  g_main_loop_quit (self->loop);

  return G_SOURCE_REMOVE;
}

void
bench_server_stop (BenchServer *self)
{
  g_main_context_invoke (self->context, quit_cb, self);
  g_thread_join (self->thread);

  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self->base_url);
  g_free (self);
}

/* Waiting on the main loop, which benchmarks may do against a deadline. A
 * timer wakes the loop, so conditions on the time are seen too. */

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/**
 * bench_wait_until:
 * @condition: what to wait for
 * @user_data: data for @condition
 * @seconds: how long to wait at most
 *
 * Runs the main loop until @condition holds or @seconds have passed.
 *
 * Returns: whether @condition holds
 */
gboolean
bench_wait_until (BenchCondition condition,
                  gpointer       user_data,
                  guint          seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;
  guint wake_id = g_timeout_add (20, wake_cb, NULL);

  while (!condition (user_data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (wake_id);

  return condition (user_data);
}

/**
 * bench_make_dir:
 * @parent: an existing directory
 * @name: the name of the new one
 *
 * Returns: (transfer full): the path of @name in @parent, created if need be
 */
char *
bench_make_dir (const char *parent,
                const char *name)
{
  char *path = g_build_filename (parent, name, NULL);

  if (g_mkdir_with_parents (path, 0700) != 0)
    g_error ("Cannot create %s", path);

  return path;
}

/**
 * bench_isolate_dirs:
 *
 * Points HOME and the XDG directories into a new temporary directory.
 * Call it before anything reads them: nothing a benchmark does may touch
 * the user's files.
 *
 * Returns: (transfer full): the temporary directory, for bench_remove_tree()
 */
char *
bench_isolate_dirs (void)
{
  static const char * const xdg_dirs[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };
  char *root = g_dir_make_tmp ("confab-bench-XXXXXX", NULL);

  if (root == NULL)
    g_error ("Cannot create a temporary directory");
  for (guint i = 0; i < G_N_ELEMENTS (xdg_dirs); i++)
    {
      g_autofree char *dir = bench_make_dir (root, xdg_dirs[i][1]);

      g_setenv (xdg_dirs[i][0], dir, TRUE);
    }

  return root;
}

/**
 * bench_remove_tree:
 * @path: a directory
 *
 * Removes @path and everything in it, without following links.
 */
void
bench_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        bench_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/**
 * bench_strip_spaces:
 * @text: a string
 *
 * A reply shown as Markdown breaks its lines where the view does, so the
 * benchmarks compare what it shows with its text without white space.
 *
 * Returns: (transfer full): @text without its white space
 */
char *
bench_strip_spaces (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);

  return g_string_free (out, FALSE);
}
