/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The real window while a reply streams in at a given rate: how many
 * deltas it absorbs, how regular and how costly its frames are, how long
 * the main loop stalls, and whether the end of the reply stays in view.
 * It prints figures and fails only when the text that arrived is wrong.
 * Runs named on the command line ("5000/s") run alone.
 *
 * For scale, the 1000/s, 5000/s and 20000/s runs are repeated in a naive
 * window, in the same process after Confab's: one GtkTextView in a
 * scrolled window, with each delta inserted at the end of its buffer as
 * it arrives and the view scrolled to the end, as a chat client does
 * without thinking about frames. It gets the same replies from the same
 * server through the same client. */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include <adwaita.h>
#include <libsoup/soup.h>
#include <string.h>

#include "bench-util.h"
#include "bench-window.h"
#include "confab-application.h"
#include "confab-conversation.h"
#include "confab-markdown.h"
#include "confab-message-row.h"
#include "confab-message.h"
#include "confab-window.h"

#define SEED 20260102
#define REPLY_BYTES (1024 * 1024)
#define PARAGRAPH_BYTES (50 * 1024)
/* The server writes every event that is due, each millisecond, so the
 * rate holds on average even when a tick comes late. */
#define SERVER_TICK_MS 1
/* The first event waits until the stack's crossfade to the chat is over,
 * so the figures are those of streaming alone. */
#define START_DELAY_US (300 * G_TIME_SPAN_MILLISECOND)
/* An estimate, for the deadlines only. */
#define BYTES_PER_DELTA 14
#define PROMPT "다음을 일본어로 번역하세요: 안녕하세요? 오늘 날씨가 참 좋군요!"

typedef struct
{
  const char   *name;
  guint         rate;
  /* The reply ends after this many bytes of text, or else after
   * n_deltas deltas. */
  gsize         bytes;
  guint         n_deltas;
  BenchNewlines newlines;
  /* repeated in the naive window */
  gboolean      compare;
  /* shown as written, with render-markdown off for this run */
  gboolean      as_written;
} RunSpec;

static const RunSpec specs[] = {
  { "100/s (5 s)", 100, 0, 500, BENCH_NEWLINES_PARAGRAPHS, FALSE },
  { "1000/s", 1000, REPLY_BYTES, 0, BENCH_NEWLINES_PARAGRAPHS, TRUE },
  { "5000/s", 5000, REPLY_BYTES, 0, BENCH_NEWLINES_PARAGRAPHS, TRUE },
  { "20000/s", 20000, REPLY_BYTES, 0, BENCH_NEWLINES_PARAGRAPHS, TRUE },
  { "50 KB para 5000/s", 5000, PARAGRAPH_BYTES, 0, BENCH_NEWLINES_NONE, FALSE },
  { "markdown 5000/s", 5000, REPLY_BYTES, 0, BENCH_NEWLINES_MARKDOWN, FALSE },
  { "md as text 5000/s", 5000, REPLY_BYTES, 0, BENCH_NEWLINES_MARKDOWN, FALSE, TRUE },
};

/* Shared by the main thread, which says what the next reply is, and the
 * server thread, which publishes what it sent. */
typedef struct
{
  GMutex         mutex;
  const RunSpec *spec;
  guint32        seed;
  GString       *sent;
  guint          n_sent;
} Plan;

/* One reply being written, in the server thread. */
typedef struct
{
  /* borrowed */
  Plan          *plan;
  const RunSpec *spec;
  GSource       *timer;

  /* owned */
  SoupServerMessage *msg;
  BenchTextGen      *gen;
  GString           *text;
  GString           *json;

  /* plain state */
  gint64  start;
  guint   n_deltas;
  gulong  finished_id;
} Writer;

typedef struct
{
  double seconds;
  double achieved;
  guint  n_deltas;
  gsize  bytes;
  guint  n_frames;
  double interval_median;
  double interval_p99;
  double interval_max;
  double cost_median;
  double cost_p99;
  double cost_max;
  double stall;
  guint  off_bottom;
  double max_behind;
  guint  painted_off_bottom;
  double painted_max_behind;
  double cost_first;
  double cost_first_max;
  double cost_last;
  double cost_last_max;
  double rss;
} RunResult;

typedef struct
{
  /* borrowed */
  Plan              *plan;
  GtkWidget         *window;
  GtkScrolledWindow *scroller;
  ConfabMessage     *reply;

  /* owned */
  BenchFrameProbe *frames;
  /* owned, per run: milliseconds, and the reply's bytes at each frame */
  GArray *intervals;
  GArray *costs;
  GArray *lengths;
  /* how much of the reply had arrived at the end of each interval */
  GArray *interval_at;

  /* plain state */
  gboolean recording;
  gboolean finished;
  gboolean failed;
  guint    n_paints;
  guint    n_deltas;
  gint64   first_delta;
  gint64   last_delta;
  gint64   last_paint;
  gint64   last_tick;
  gint64   max_gap;
  guint    off_bottom;
  double   max_behind;
  guint    painted_off_bottom;
  double   painted_max_behind;
  gboolean selected[G_N_ELEMENTS (specs)];
  RunResult results[G_N_ELEMENTS (specs)];

  /* the naive window: borrowed, and how much of the reply its buffer
   * shows */
  GtkWidget   *naive_window;
  GtkTextView *naive_view;
  gsize        naive_shown;
  RunResult    naive_results[G_N_ELEMENTS (specs)];
} Bench;

/* The server */

static void
writer_free (Writer *writer)
{
  if (writer->timer != NULL)
    g_source_destroy (writer->timer);
  g_clear_signal_handler (&writer->finished_id, writer->msg);
  g_clear_object (&writer->msg);
  g_clear_pointer (&writer->gen, bench_text_gen_free);
  if (writer->text != NULL)
    g_string_free (writer->text, TRUE);
  g_string_free (writer->json, TRUE);
  g_free (writer);
}

static void
writer_finished_cb (SoupServerMessage *msg,
                    Writer            *writer)
{
  writer_free (writer);
}

static gboolean
writer_is_done (Writer *writer)
{
  if (writer->spec->bytes > 0)
    return writer->text->len >= writer->spec->bytes;

  return writer->n_deltas >= writer->spec->n_deltas;
}

static gboolean
writer_tick_cb (gpointer user_data)
{
  Writer *writer = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (writer->msg);
  g_autoptr(GString) out = NULL;
  gint64 now = g_get_monotonic_time ();
  guint64 due;
  gboolean done = FALSE;
  gsize len;

  if (now < writer->start)
    return G_SOURCE_CONTINUE;

  /* The first event is due at once, the next 1/rate s later, and so on. */
  due = (guint64)(now - writer->start) * writer->spec->rate / G_USEC_PER_SEC + 1;
  out = g_string_new (NULL);
  while (writer->n_deltas < due && !done)
    {
      g_string_truncate (writer->json, 0);
      bench_text_gen_next (writer->gen, writer->text, writer->json);
      bench_append_delta_event (out, writer->json->str, writer->json->len);
      writer->n_deltas++;
      done = writer_is_done (writer);
    }

  if (done)
    {
      bench_append_finish_event (out);
      bench_append_done_event (out);

      /* Published before the client can read [DONE]. */
      g_mutex_lock (&writer->plan->mutex);
      if (writer->plan->sent != NULL)
        g_string_free (writer->plan->sent, TRUE);
      writer->plan->sent = g_steal_pointer (&writer->text);
      writer->plan->n_sent = writer->n_deltas;
      g_mutex_unlock (&writer->plan->mutex);
    }

  len = out->len;
  if (len > 0)
    soup_message_body_append (body, SOUP_MEMORY_TAKE, g_string_free (g_steal_pointer (&out), FALSE),
                              len);
  if (done)
    soup_message_body_complete (body);
  soup_server_message_unpause (writer->msg);

  if (done)
    {
      writer->timer = NULL;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
completions_cb (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Plan *plan = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Writer *writer = g_new0 (Writer, 1);
  guint32 seed;

  g_mutex_lock (&plan->mutex);
  writer->spec = plan->spec;
  seed = plan->seed;
  g_mutex_unlock (&plan->mutex);

  writer->plan = plan;
  writer->msg = g_object_ref (msg);
  writer->gen = bench_text_gen_new (seed, writer->spec->newlines);
  writer->text = g_string_new (NULL);
  writer->json = g_string_new (NULL);
  writer->start = g_get_monotonic_time () + START_DELAY_US;

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  /* Written chunks are dropped: libsoup looks a chunk up by walking the
   * list, which would cost the server O(n) a write. */
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  soup_server_message_pause (msg);
  writer->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (writer_finished_cb), writer);

  writer->timer = g_timeout_source_new (SERVER_TICK_MS);
  g_source_set_callback (writer->timer, writer_tick_cb, writer, NULL);
  g_source_attach (writer->timer, g_main_context_get_thread_default ());
  g_source_unref (writer->timer);
}

/* Measuring */

/* The adjustment can say "bottom" while the frame still shows the content
 * where the last allocation put it: how far the end of the content was
 * below the viewport's bottom edge in the frame just painted. */
static double
painted_behind (Bench *self)
{
  GtkWidget *viewport = gtk_scrolled_window_get_child (self->scroller);
  GtkWidget *content = GTK_IS_VIEWPORT (viewport)
                       ? gtk_viewport_get_child (GTK_VIEWPORT (viewport)) : NULL;
  graphene_rect_t bounds;

  if (GTK_IS_TEXT_VIEW (viewport))
    {
      /* The naive window scrolls the text view itself: what it paints is
       * what its adjustment says. */
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

      return gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment) -
             gtk_adjustment_get_value (adjustment);
    }
  if (content == NULL || !gtk_widget_compute_bounds (content, viewport, &bounds))
    return 0;

  return bounds.origin.y + bounds.size.height - gtk_widget_get_height (viewport);
}

static void
painted_cb (gint64   now,
            gint64   start,
            gpointer user_data)
{
  Bench *self = user_data;
  GtkAdjustment *adjustment;
  double behind;
  double value;

  self->n_paints++;
  if (!self->recording)
    {
      self->last_paint = 0;
      return;
    }

  if (start != 0)
    {
      value = (now - start) / 1000.0;
      g_array_append_val (self->costs, value);
      value = confab_message_get_content_length (self->reply);
      g_array_append_val (self->lengths, value);
    }
  if (self->last_paint != 0)
    {
      value = (now - self->last_paint) / 1000.0;
      g_array_append_val (self->intervals, value);
      value = confab_message_get_content_length (self->reply);
      g_array_append_val (self->interval_at, value);
    }
  self->last_paint = now;

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  behind = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment) -
           gtk_adjustment_get_value (adjustment);
  if (behind > 1)
    {
      self->off_bottom++;
      self->max_behind = MAX (self->max_behind, behind);
    }

  behind = painted_behind (self);
  if (behind > 1)
    {
      self->painted_off_bottom++;
      self->painted_max_behind = MAX (self->painted_max_behind, behind);
    }

  /* The frame after the reply finished shows its last text: it is the
   * last one measured. */
  if (self->finished)
    self->recording = FALSE;
}

/* A high-priority 1 ms timer: the longest gap between two of its
 * dispatches, less the millisecond, is the worst stall of the loop. */
static gboolean
stall_tick_cb (gpointer user_data)
{
  Bench *self = user_data;
  gint64 now = g_get_monotonic_time ();

  if (self->recording && self->last_tick != 0)
    self->max_gap = MAX (self->max_gap, now - self->last_tick);
  self->last_tick = now;

  return G_SOURCE_CONTINUE;
}

static double
rss_mb (void)
{
  double rss;

  bench_read_memory (&rss, NULL);

  return rss;
}

/* The naive window's whole rendering: insert, scroll to the end. */
static void
naive_delta_cb (ConfabMessage *message,
                int            part,
                Bench         *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->naive_view);
  gsize len = confab_message_get_content_length (message);
  GtkTextIter end;

  if (len == self->naive_shown)
    return;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, confab_message_get_content (message) + self->naive_shown,
                          len - self->naive_shown);
  self->naive_shown = len;
  gtk_text_view_scroll_to_mark (self->naive_view, gtk_text_buffer_get_insert (buffer), 0,
                                FALSE, 0, 0);
}

static void
delta_appended_cb (ConfabMessage *message,
                   int            part,
                   Bench         *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->n_deltas == 0)
    {
      self->first_delta = now;
      self->recording = TRUE;
    }
  self->n_deltas++;
  self->last_delta = now;
}

static void
reply_finished_cb (ConfabConversation *conversation,
                   ConfabMessage      *reply,
                   Bench              *self)
{
  self->finished = TRUE;
}

/* Conditions to wait for */

static gboolean
has_painted (gpointer user_data)
{
  Bench *self = user_data;

  return self->n_paints > 0;
}

/* Probes the naive window's frames once it is realized. */
static gboolean
has_painted_naive (gpointer user_data)
{
  Bench *self = user_data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (self->naive_window);

  if (clock != NULL && self->frames == NULL)
    self->frames = bench_frame_probe_new (clock, BENCH_FRAME_FROM_UPDATE, painted_cb, self);

  return self->n_paints > 0;
}

static gboolean
has_finished (gpointer user_data)
{
  Bench *self = user_data;

  return self->finished;
}

static gboolean
has_stopped_recording (gpointer user_data)
{
  Bench *self = user_data;

  return !self->recording;
}

/* Finding widgets without changing src/ */

static gboolean
shows_message (GtkWidget *widget,
               gpointer   message)
{
  return CONFAB_IS_MESSAGE_ROW (widget) &&
         confab_message_row_get_message (CONFAB_MESSAGE_ROW (widget)) == message;
}

/* Running */

static void
reset_probe (Bench *self)
{
  g_clear_pointer (&self->intervals, g_array_unref);
  g_clear_pointer (&self->costs, g_array_unref);
  g_clear_pointer (&self->lengths, g_array_unref);
  g_clear_pointer (&self->interval_at, g_array_unref);
  self->intervals = g_array_new (FALSE, FALSE, sizeof (double));
  self->costs = g_array_new (FALSE, FALSE, sizeof (double));
  self->lengths = g_array_new (FALSE, FALSE, sizeof (double));
  self->interval_at = g_array_new (FALSE, FALSE, sizeof (double));
  self->recording = FALSE;
  self->finished = FALSE;
  self->n_deltas = 0;
  self->first_delta = 0;
  self->last_delta = 0;
  self->last_paint = 0;
  self->last_tick = 0;
  self->max_gap = 0;
  self->off_bottom = 0;
  self->max_behind = 0;
  self->painted_off_bottom = 0;
  self->painted_max_behind = 0;
}

/* The mean and the largest cost of the frames painted while the reply
 * was between @from and @to of its final length. The mean, not the
 * median: frames that scroll the view alternate with frames that do
 * little, so a median swings between the two kinds. */
static void
cost_between (Bench  *self,
              double  from,
              double  to,
              gsize   total,
              double *mean,
              double *max)
{
  double sum = 0;
  guint n = 0;

  *max = 0;
  for (guint i = 0; i < self->costs->len; i++)
    {
      double len = g_array_index (self->lengths, double, i);
      double cost = g_array_index (self->costs, double, i);

      if (len < from * total || len > to * total)
        continue;

      sum += cost;
      n++;
      *max = MAX (*max, cost);
    }

  *mean = n > 0 ? sum / n : 0;
}

static gboolean
check_reply (Bench         *self,
             const RunSpec *spec)
{
  g_autofree char *shown = NULL;
  ConfabMessageRow *row;
  const char *content = confab_message_get_content (self->reply);
  gsize len = confab_message_get_content_length (self->reply);
  gboolean ok = TRUE;

  if (confab_message_get_state (self->reply) != CONFAB_MESSAGE_STATE_COMPLETE)
    {
      const GError *error = confab_message_get_error (self->reply);

      g_printerr ("stream: %s: the reply did not complete: %s\n", spec->name,
                  error != NULL ? error->message : "stopped");
      return FALSE;
    }

  g_mutex_lock (&self->plan->mutex);
  if (self->plan->sent == NULL || self->plan->sent->len != len ||
      memcmp (self->plan->sent->str, content, len) != 0)
    {
      g_printerr ("stream: %s: the reply (%zu bytes) differs from what the server sent "
                  "(%zu bytes)\n", spec->name, len,
                  self->plan->sent != NULL ? self->plan->sent->len : 0);
      ok = FALSE;
    }
  if (self->n_deltas != self->plan->n_sent)
    {
      g_printerr ("stream: %s: %u deltas arrived, the server sent %u\n", spec->name,
                  self->n_deltas, self->plan->n_sent);
      ok = FALSE;
    }
  g_mutex_unlock (&self->plan->mutex);

  if (self->naive_view != NULL)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->naive_view);
      GtkTextIter start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      shown = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (strcmp (shown, content) != 0)
        {
          g_printerr ("stream: naive %s: the view shows %zu bytes, not the reply's %zu\n",
                      spec->name, strlen (shown), len);
          ok = FALSE;
        }
      return ok;
    }

  row = (ConfabMessageRow *)bench_find_widget (self->window, shows_message, self->reply);
  if (row == NULL)
    {
      g_printerr ("stream: %s: no row shows the reply\n", spec->name);
      return FALSE;
    }

  shown = confab_message_row_dup_shown_text (row);
  if (confab_message_row_get_render_markdown (row))
    {
      /* As Markdown, the view shows the text without its markup, with
       * its own breaks: the characters other than spaces must be those. */
      g_autofree char *plain = confab_markdown_to_plain_text (content, len);
      g_autofree char *a = bench_strip_spaces (plain);
      g_autofree char *b = bench_strip_spaces (shown);

      if (strcmp (a, b) != 0)
        {
          g_printerr ("stream: %s: the view shows %zu characters, not the reply's %zu\n",
                      spec->name, strlen (b), strlen (a));
          ok = FALSE;
        }
    }
  else if (strcmp (shown, content) != 0)
    {
      g_printerr ("stream: %s: the view shows %zu bytes, not the reply's %zu\n", spec->name,
                  strlen (shown), len);
      ok = FALSE;
    }

  return ok;
}

static void
print_result (const RunSpec   *spec,
              const RunResult *r)
{
  g_print ("stream: %s: achieved %.0f deltas/s (%.1f%% of %u), %u deltas, %zu bytes in %.2f s\n",
           spec->name, r->achieved, 100 * r->achieved / spec->rate, spec->rate, r->n_deltas,
           r->bytes, r->seconds);
  g_print ("stream: %s: frame interval median %.1f / p99 %.1f / max %.1f ms (%u frames)\n",
           spec->name, r->interval_median, r->interval_p99, r->interval_max, r->n_frames);
  g_print ("stream: %s: frame cost median %.1f / p99 %.1f / max %.1f ms\n",
           spec->name, r->cost_median, r->cost_p99, r->cost_max);
  g_print ("stream: %s: worst main-loop stall %.1f ms\n", spec->name, r->stall);
  if (r->off_bottom == 0)
    g_print ("stream: %s: adjustment at the bottom in every frame\n", spec->name);
  else
    g_print ("stream: %s: adjustment NOT at the bottom in %u of %u frames (up to %.0f px)\n",
             spec->name, r->off_bottom, r->n_frames, r->max_behind);
  if (r->painted_off_bottom == 0)
    g_print ("stream: %s: end of the reply painted in view in every frame\n", spec->name);
  else
    g_print ("stream: %s: end of the reply painted out of view in %u of %u frames "
             "(up to %.0f px below)\n",
             spec->name, r->painted_off_bottom, r->n_frames, r->painted_max_behind);
  g_print ("stream: %s: frame cost in the first 10%% of the reply mean %.1f / max %.1f ms, "
           "in the last 10%% mean %.1f / max %.1f ms\n",
           spec->name, r->cost_first, r->cost_first_max, r->cost_last, r->cost_last_max);
}

/* Where in the reply the longest frame intervals came: a p99 over a few
 * hundred frames is the second or third longest, and the frames that
 * begin and end a reply do work once. */
static void
print_longest (Bench         *self,
               const RunSpec *spec,
               gsize          bytes)
{
  g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < self->intervals->len; i++)
    g_array_append_val (order, i);
  for (guint n = 0; n < MIN (3, order->len); n++)
    for (guint i = n + 1; i < order->len; i++)
      if (g_array_index (self->intervals, double, g_array_index (order, guint, i)) >
          g_array_index (self->intervals, double, g_array_index (order, guint, n)))
        {
          guint t = g_array_index (order, guint, i);

          g_array_index (order, guint, i) = g_array_index (order, guint, n);
          g_array_index (order, guint, n) = t;
        }

  g_print ("stream: %s: longest frame intervals", spec->name);
  for (guint n = 0; n < MIN (3, order->len); n++)
    {
      guint i = g_array_index (order, guint, n);

      g_print ("%s %.1f ms at %.0f%% of the reply (frame %u of %u)", n > 0 ? "," : "",
               g_array_index (self->intervals, double, i),
               bytes > 0 ? 100 * g_array_index (self->interval_at, double, i) / bytes : 0,
               i + 1, self->intervals->len);
    }
  g_print ("\n");
}

static gboolean
run_one (Bench         *self,
         const RunSpec *spec,
         RunResult     *r)
{
  g_autoptr(ConfabConversation) naive_conversation = NULL;
  ConfabConversation *conversation;
  guint expected_deltas;
  guint deadline;
  gulong finished_id;
  gulong delta_id;
  gulong naive_id = 0;
  gboolean ok;

  if (self->naive_view != NULL)
    {
      GApplication *app = g_application_get_default ();

      naive_conversation = confab_conversation_new (
        confab_application_get_client (CONFAB_APPLICATION (app)), "m");
      conversation = naive_conversation;
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->naive_view), "", 0);
      self->naive_shown = 0;
    }
  else
    {
      GSettings *settings =
        confab_application_get_settings (CONFAB_APPLICATION (g_application_get_default ()));

      /* Markdown on unless BENCH_MARKDOWN=0 or the run is the one shown
       * as written; set before the new chat's rows are made. */
      if (settings != NULL)
        g_settings_set_boolean (settings, "render-markdown",
                                !spec->as_written &&
                                g_strcmp0 (g_getenv ("BENCH_MARKDOWN"), "0") != 0);
      gtk_widget_activate_action (self->window, "chat.new", NULL);
      conversation = confab_window_get_conversation (CONFAB_WINDOW (self->window));
    }

  g_mutex_lock (&self->plan->mutex);
  self->plan->spec = spec;
  self->plan->seed++;
  if (self->plan->sent != NULL)
    g_string_free (self->plan->sent, TRUE);
  self->plan->sent = NULL;
  g_mutex_unlock (&self->plan->mutex);

  reset_probe (self);
  finished_id = g_signal_connect (conversation, "reply-finished",
                                  G_CALLBACK (reply_finished_cb), self);
  if (!confab_conversation_send (conversation, PROMPT))
    g_error ("stream: %s: the conversation did not send", spec->name);
  self->reply = confab_conversation_get_last_reply (conversation);
  delta_id = g_signal_connect (self->reply, "delta-appended", G_CALLBACK (delta_appended_cb), self);
  if (self->naive_view != NULL)
    naive_id = g_signal_connect (self->reply, "delta-appended", G_CALLBACK (naive_delta_cb), self);

  if (self->scroller == NULL)
    self->scroller = bench_find_scroller (self->window);
  if (self->scroller == NULL)
    g_error ("stream: the conversation's scrolled window was not found");

  expected_deltas = spec->n_deltas > 0 ? spec->n_deltas : spec->bytes / BYTES_PER_DELTA;
  deadline = 30 + 3 * expected_deltas / spec->rate;
  if (!bench_wait_until (has_finished, self, deadline))
    {
      g_printerr ("stream: %s: the reply did not finish within %u s\n", spec->name, deadline);
      self->recording = FALSE;
      g_signal_handler_disconnect (self->reply, delta_id);
      g_clear_signal_handler (&naive_id, self->reply);
      g_signal_handler_disconnect (conversation, finished_id);
      return FALSE;
    }

  /* The frame that shows the last text ends the measurement; a window
   * that paints no more frames ends it too. */
  if (!bench_wait_until (has_stopped_recording, self, 5))
    self->recording = FALSE;

  ok = check_reply (self, spec);
  g_signal_handler_disconnect (self->reply, delta_id);
  g_clear_signal_handler (&naive_id, self->reply);
  g_signal_handler_disconnect (conversation, finished_id);
  r->rss = rss_mb ();

  r->n_deltas = self->n_deltas;
  r->bytes = confab_message_get_content_length (self->reply);
  r->seconds = (self->last_delta - self->first_delta) / (double)G_USEC_PER_SEC;
  r->achieved = r->seconds > 0 ? (r->n_deltas - 1) / r->seconds : 0;
  r->n_frames = self->costs->len;
  r->interval_median = bench_percentile (self->intervals, 50);
  r->interval_p99 = bench_percentile (self->intervals, 99);
  r->interval_max = bench_max (self->intervals);
  r->cost_median = bench_percentile (self->costs, 50);
  r->cost_p99 = bench_percentile (self->costs, 99);
  r->cost_max = bench_max (self->costs);
  r->stall = MAX (0, self->max_gap / 1000.0 - SERVER_TICK_MS);
  r->off_bottom = self->off_bottom;
  r->max_behind = self->max_behind;
  r->painted_off_bottom = self->painted_off_bottom;
  r->painted_max_behind = self->painted_max_behind;
  cost_between (self, 0, 0.1, r->bytes, &r->cost_first, &r->cost_first_max);
  cost_between (self, 0.9, 1, r->bytes, &r->cost_last, &r->cost_last_max);
  self->reply = NULL;

  if (self->naive_view != NULL)
    g_print ("stream: (naive window)\n");
  print_result (spec, r);
  print_longest (self, spec, r->bytes);
  if (self->naive_view == NULL)
    g_print ("stream: %s: RSS %.1f MB after the reply\n", spec->name, r->rss);

  return ok;
}

static void
print_summary (Bench *self)
{
  g_print ("\nstream summary (GTK %u.%u.%u, GSK_RENDERER=%s; times in ms)\n",
           gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
           g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default");
  g_print ("  %-18s %7s %8s %6s %20s %17s %6s %9s %9s %18s\n",
           "run", "target", "achieved", "abs%", "interval med/p99/max",
           "cost med/p99/max", "stall", "bottom", "painted", "mean cost 10%/90%");
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      const RunResult *r = &self->results[i];
      g_autofree char *interval = g_strdup_printf ("%.1f/%.1f/%.1f", r->interval_median,
                                                   r->interval_p99, r->interval_max);
      g_autofree char *cost = g_strdup_printf ("%.1f/%.1f/%.1f", r->cost_median, r->cost_p99,
                                               r->cost_max);
      g_autofree char *bottom = g_strdup_printf ("%u/%u", r->n_frames - r->off_bottom,
                                                 r->n_frames);
      g_autofree char *painted = g_strdup_printf ("%u/%u", r->n_frames - r->painted_off_bottom,
                                                  r->n_frames);
      g_autofree char *flat = g_strdup_printf ("%.1f/%.1f", r->cost_first, r->cost_last);

      if (!self->selected[i])
        continue;

      g_print ("  %-18s %7u %8.0f %6.1f %20s %17s %6.1f %9s %9s %18s\n",
               specs[i].name, specs[i].rate, r->achieved, 100 * r->achieved / specs[i].rate,
               interval, cost, r->stall, bottom, painted, flat);
    }

  /* The targets: each 5000/s run against the 100/s one. */
  if (self->selected[0] && self->results[0].n_frames > 0)
    {
      g_print ("\nstream: targets against 100/s (p99 interval %.1f ms): p99 within +10 ms, "
               "no stall over 50 ms, mean cost of the last 10%% within 1.5x of the first\n",
               self->results[0].interval_p99);
      for (guint i = 1; i < G_N_ELEMENTS (specs); i++)
        {
          const RunResult *r = &self->results[i];
          gboolean p99 = r->interval_p99 <= self->results[0].interval_p99 + 10;
          gboolean stall = r->stall <= 50;
          gboolean flat = r->cost_last <= 1.5 * MAX (r->cost_first, 1.0);

          if (!self->selected[i] || specs[i].rate != 5000 || r->n_frames == 0)
            continue;
          g_print ("  %-18s p99 %5.1f ms %-4s  stall %5.1f ms %-4s  cost %4.1f -> %4.1f ms %s\n",
                   specs[i].name, r->interval_p99, p99 ? "ok" : "MISS", r->stall,
                   stall ? "ok" : "MISS", r->cost_first, r->cost_last, flat ? "ok" : "MISS");
        }
    }

  g_print ("\nstream: Confab against the naive window (same replies, same client)\n");
  g_print ("  %-10s %-7s %8s %13s %13s %8s %9s %12s\n", "run", "window", "achieved",
           "interval p99", "cost med/p99", "stall", "mean 90%", "end in view");
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      const RunResult *r = &self->results[i];
      const RunResult *n = &self->naive_results[i];

      if (!self->selected[i] || !specs[i].compare || n->n_frames == 0)
        continue;

      for (guint k = 0; k < 2; k++)
        {
          const RunResult *x = k == 0 ? r : n;
          g_autofree char *cost = g_strdup_printf ("%.1f/%.1f", x->cost_median, x->cost_p99);
          g_autofree char *in_view = g_strdup_printf ("%u/%u",
                                                      x->n_frames - x->painted_off_bottom,
                                                      x->n_frames);

          g_print ("  %-10s %-7s %8.0f %13.1f %13s %8.1f %9.1f %12s\n", specs[i].name,
                   k == 0 ? "confab" : "naive", x->achieved, x->interval_p99, cost, x->stall,
                   x->cost_last, in_view);
        }
      g_print ("  %-10s ratio naive/confab: worst stall %.1fx, frame interval p99 %.1fx, "
               "mean frame cost in the last 10%% %.1fx\n", specs[i].name,
               r->stall > 0 ? n->stall / r->stall : 0,
               r->interval_p99 > 0 ? n->interval_p99 / r->interval_p99 : 0,
               r->cost_last > 0 ? n->cost_last / r->cost_last : 0);
    }
}

/* The naive window: a text view in a scrolled window, as big as
 * Confab's. */
static void
make_naive_window (Bench *self)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *view = g_object_new (GTK_TYPE_TEXT_VIEW,
                                  "editable", FALSE,
                                  "cursor-visible", FALSE,
                                  "wrap-mode", GTK_WRAP_WORD_CHAR,
                                  NULL);

  self->naive_window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (self->naive_window), 1040, 720);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_window_set_child (GTK_WINDOW (self->naive_window), scroller);
  gtk_window_set_application (GTK_WINDOW (self->naive_window),
                              GTK_APPLICATION (g_application_get_default ()));
  gtk_window_present (GTK_WINDOW (self->naive_window));
  self->naive_view = GTK_TEXT_VIEW (view);
  self->scroller = GTK_SCROLLED_WINDOW (scroller);
}

static gboolean
run_all_cb (gpointer user_data)
{
  Bench *self = user_data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (self->window);
  GSource *stall_timer;

  if (clock == NULL)
    g_error ("stream: the window has no frame clock");

  /* A frame's cost counts from its update phase, where the rows insert
   * the text that arrived. */
  self->frames = bench_frame_probe_new (clock, BENCH_FRAME_FROM_UPDATE, painted_cb, self);

  stall_timer = g_timeout_source_new (1);
  g_source_set_priority (stall_timer, G_PRIORITY_HIGH);
  g_source_set_callback (stall_timer, stall_tick_cb, self, NULL);
  g_source_attach (stall_timer, NULL);

  if (!bench_wait_until (has_painted, self, 10))
    g_error ("stream: the window never painted");

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      if (self->selected[i] && !run_one (self, &specs[i], &self->results[i]))
        self->failed = TRUE;
    }

  /* The same in the naive window, measured the same way. */
  g_application_hold (g_application_get_default ());
  gtk_window_destroy (GTK_WINDOW (self->window));
  self->window = NULL;
  g_clear_pointer (&self->frames, bench_frame_probe_free);
  make_naive_window (self);
  g_application_release (g_application_get_default ());
  self->window = self->naive_window;
  self->n_paints = 0;
  if (!bench_wait_until (has_painted_naive, self, 10))
    g_error ("stream: the naive window never painted");
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      if (self->selected[i] && specs[i].compare &&
          !run_one (self, &specs[i], &self->naive_results[i]))
        self->failed = TRUE;
    }

  print_summary (self);

  g_source_destroy (stall_timer);
  g_source_unref (stall_timer);
  g_clear_pointer (&self->frames, bench_frame_probe_free);
  gtk_window_destroy (GTK_WINDOW (self->window));
  self->window = NULL;

  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app,
             Bench        *self)
{
  if (self->window != NULL)
    return;

  self->window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  if (self->window == NULL)
    g_error ("stream: the application has no window");

  /* BENCH_MARKDOWN=0 measures the replies shown as written. */
  if (g_strcmp0 (g_getenv ("BENCH_MARKDOWN"), "0") == 0 &&
      confab_application_get_settings (CONFAB_APPLICATION (app)) != NULL)
    g_settings_set_boolean (confab_application_get_settings (CONFAB_APPLICATION (app)),
                            "render-markdown", FALSE);
  g_print ("stream: replies shown %s\n",
           g_strcmp0 (g_getenv ("BENCH_MARKDOWN"), "0") == 0 ? "as written" : "as Markdown");

  g_idle_add (run_all_cb, self);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabApplication) app = NULL;
  g_autofree char *root = NULL;
  BenchServer *server;
  Plan plan = { 0 };
  Bench bench = { 0 };
  int status;

  /* Runs named on the command line, or all of them. */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      bench.selected[i] = argc < 2;
      for (int j = 1; j < argc; j++)
        bench.selected[i] |= strcmp (argv[j], specs[i].name) == 0;
    }

  root = bench_isolate_dirs ();

  g_mutex_init (&plan.mutex);
  plan.seed = SEED;
  bench.plan = &plan;
  server = bench_server_start (completions_cb, &plan);

  g_setenv ("OPENAI_BASE_URL", bench_server_get_base_url (server), TRUE);
  g_setenv ("OPENAI_DEFAULT_MODEL", "m", TRUE);
  g_unsetenv ("OPENAI_API_KEY");

  app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (activate_cb), &bench);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_clear_object (&app);

  bench_server_stop (server);
  if (plan.sent != NULL)
    g_string_free (plan.sent, TRUE);
  g_mutex_clear (&plan.mutex);
  g_clear_pointer (&bench.frames, bench_frame_probe_free);
  g_clear_pointer (&bench.intervals, g_array_unref);
  g_clear_pointer (&bench.costs, g_array_unref);
  g_clear_pointer (&bench.lengths, g_array_unref);
  g_clear_pointer (&bench.interval_at, g_array_unref);
  bench_remove_tree (root);

  if (status == 0 && bench.failed)
    status = 1;

  return status;
}
