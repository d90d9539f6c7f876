/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A long history: the real application started over 1,001 stored
 * conversations, then opening the one of 10,000 messages (about 5 MB of
 * text) and scrolling it up from the end and back down. It prints the
 * time to the first frames, memory, and how regular and how costly the
 * frames are while scrolling, and fails only when what it reads or shows
 * is wrong.
 *
 * The history is written once, through ConfabStore, in a temporary
 * XDG_DATA_HOME. Each run is then a new process of this program, with a
 * cache folder of its own, so that nothing GTK, the store or malloc kept
 * from one run helps the next, and each run's peak RSS is its own.
 * "--runs", "--step" and "--budget" change what the runs do; "--budget=0"
 * scrolls all the way, however long that takes. */

#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "bench-util.h"
#include "bench-window.h"
#include "confab-application.h"
#include "confab-conversation.h"
#include "confab-markdown.h"
#include "confab-message-row.h"
#include "confab-message.h"
#include "confab-sidebar.h"
#include "confab-store.h"
#include "confab-window.h"

#define SEED 20260103
#define N_RUNS 5
#define N_SHORT 1000
#define N_LONG_MESSAGES 10000
/* Lengths are uniform in these ranges, in bytes: the long conversation
 * averages 500 bytes a message, about 5 MB in all. */
#define LONG_MIN_BYTES 60
#define LONG_MAX_BYTES 940
#define SHORT_MIN_BYTES 40
#define SHORT_MAX_BYTES 400
#define SHORT_MIN_MESSAGES 2
#define SHORT_MAX_MESSAGES 4
/* The first message was written at 2026-01-01 00:00 UTC, the others a
 * minute apart, and each short conversation an hour after the one before. */
#define FIXTURE_EPOCH (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
/* A scroll step, in pages: a third of a page each frame is a brisk
 * flick of the wheel held down. */
#define DEFAULT_STEP_PAGES (1.0 / 3)
/* Each way, in seconds. At a third of a page a frame and 60 frames a
 * second, 10,000 messages take well over 100 s to scroll through, at
 * best: the runs would not end in the few minutes a benchmark may take.
 * Scrolling up stops at the top or after this long, and scrolling down
 * from there stops at the bottom or after as long. */
#define DEFAULT_BUDGET_SECONDS 10
/* A scroll is over when the view has been at its end, over as many rows
 * and as tall, for this many frames: a window that creates rows lazily
 * adds them when the view comes near the top, a frame or a store read
 * later. */
#define SETTLE_FRAMES 30
/* The layout of an opened conversation has settled when its height has
 * not changed for this long, in ms. */
#define SETTLE_MS 1000
/* Start-up has settled when no frame was painted for this long, in ms:
 * the stack's crossfade to the latest conversation is over. */
#define QUIET_MS 300
#define SLOW_FRAME_MS 33
/* After scrolling, this many short conversations are opened in turn, and
 * then the same again: memory that grows in the second round is memory
 * each conversation leaves behind. */
#define N_CYCLED 100
/* For the waits only: no figure is compared with a time. */
#define DEADLINE_SECONDS 120

/* The fixture */

typedef struct
{
  /* borrowed */
  ConfabStore *store;

  /* owned: the ids of the conversations stored, in order */
  GArray *ids;

  /* plain state */
  guint pending;
} Fixture;

static const char * const titles[] = {
  "일본어 번역 연습",
  "日本語の練習",
  "Weekend plans",
  "서울 여행 계획",
  "今日の天気について",
  "Grammar questions",
};

/* A message of @min_bytes to @max_bytes of the generator's mixed Korean,
 * Japanese and English text, with a line break every 200–400 bytes. */
static char *
make_text (GRand        *rand,
           BenchTextGen *gen,
           gsize         min_bytes,
           gsize         max_bytes)
{
  g_autoptr(GString) json = g_string_new (NULL);
  GString *text = g_string_new (NULL);
  gsize target = g_rand_int_range (rand, min_bytes, max_bytes + 1);

  while (text->len < target)
    {
      g_string_truncate (json, 0);
      bench_text_gen_next (gen, text, json);
    }

  return g_string_free (text, FALSE);
}

static void
imported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(ConfabStoredConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  fixture->pending--;
  conversation = confab_store_import_conversation_finish (CONFAB_STORE (object), result, &error);
  if (conversation == NULL)
    g_error ("history: the fixture could not be written: %s", error->message);

  g_array_append_val (fixture->ids, conversation->id);
}

static void
wait_for_store (Fixture *fixture)
{
  while (fixture->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

/* Message @index of a conversation, user and assistant in turn, one
 * minute after the one before it. */
static ConfabStoredMessage *
new_message (guint       index,
             const char *text,
             gint64      time)
{
  ConfabStoredMessage *message;

  message = confab_stored_message_new (index % 2 == 0 ? CONFAB_MESSAGE_ROLE_USER
                                                      : CONFAB_MESSAGE_ROLE_ASSISTANT, text);
  if (index % 2 == 1)
    message->model = g_strdup ("m");
  message->created_at = message->updated_at = time;

  return message;
}

/* Stores @messages as a new conversation, in one transaction. */
static void
import (Fixture    *fixture,
        const char *title,
        GPtrArray  *messages)
{
  g_autoptr(ConfabStoredConversation) conversation = g_new0 (ConfabStoredConversation, 1);
  const ConfabStoredMessage *first = messages->pdata[0];
  const ConfabStoredMessage *last = messages->pdata[messages->len - 1];

  conversation->title = g_strdup (title);
  conversation->model = g_strdup ("m");
  conversation->created_at = first->created_at;
  conversation->updated_at = last->updated_at;
  fixture->pending++;
  confab_store_import_conversation_async (fixture->store, conversation, messages, NULL,
                                          imported_cb, fixture);
}

/* Whether @row, which shows @shown, shows @text: as written, or, as the
 * app does by default, as Markdown, its markup gone and its lines broken
 * where the view breaks them. */
static gboolean
row_shows (const char       *shown,
           ConfabMessageRow *row,
           const char       *text)
{
  g_autofree char *plain = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (strcmp (shown, text) == 0)
    return TRUE;
  if (!confab_message_row_get_render_markdown (row))
    return FALSE;

  plain = confab_markdown_to_plain_text (text, strlen (text));
  a = bench_strip_spaces (shown);
  b = bench_strip_spaces (plain);
  return strcmp (a, b) == 0;
}

/* Writes the history through the store's public API, with times that do
 * not depend on the clock. The long conversation is the oldest: start-up
 * opens the latest, a short one, and the long one is opened on purpose.
 * What the runs check goes to @key_file. */
static void
write_fixture (const char *path,
               GKeyFile   *key_file)
{
  g_autoptr(ConfabStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(BenchTextGen) gen = bench_text_gen_new (SEED, BENCH_NEWLINES_PARAGRAPHS);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) messages = NULL;
  const ConfabStoredMessage *last;
  Fixture fixture = { 0 };
  gint64 start = g_get_monotonic_time ();
  gint64 time = FIXTURE_EPOCH;
  gsize long_bytes = 0;
  gsize all_bytes = 0;
  guint n_messages = 0;
  GStatBuf buf;

  store = confab_store_new_for_path (path, &error);
  if (store == NULL)
    g_error ("history: cannot create %s: %s", path, error->message);
  fixture.store = store;
  fixture.ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
  for (guint i = 0; i < N_LONG_MESSAGES; i++)
    {
      g_autofree char *text = make_text (rand, gen, LONG_MIN_BYTES, LONG_MAX_BYTES);
      gsize len = strlen (text);

      /* The NUL separates the messages, so text moved across a boundary
       * changes the sum. */
      g_checksum_update (checksum, (const guchar *)text, len + 1);
      long_bytes += len;
      g_ptr_array_add (messages, new_message (i, text, time += G_TIME_SPAN_MINUTE));
    }
  last = messages->pdata[N_LONG_MESSAGES - 1];
  g_key_file_set_string (key_file, "fixture", "long-last-text", last->content);
  import (&fixture, "긴 대화 · 長い会話 · A long conversation", messages);
  g_clear_pointer (&messages, g_ptr_array_unref);
  all_bytes += long_bytes;
  n_messages += N_LONG_MESSAGES;

  for (guint i = 0; i < N_SHORT; i++)
    {
      g_autofree char *title = g_strdup_printf ("%s %u", titles[i % G_N_ELEMENTS (titles)], i + 1);
      guint n = g_rand_int_range (rand, SHORT_MIN_MESSAGES, SHORT_MAX_MESSAGES + 1);

      messages = g_ptr_array_new_with_free_func ((GDestroyNotify)confab_stored_message_free);
      time += G_TIME_SPAN_HOUR;
      for (guint j = 0; j < n; j++)
        {
          g_autofree char *text = make_text (rand, gen, SHORT_MIN_BYTES, SHORT_MAX_BYTES);

          all_bytes += strlen (text);
          g_ptr_array_add (messages, new_message (j, text, time += G_TIME_SPAN_MINUTE));
        }
      n_messages += n;
      import (&fixture, title, messages);
      g_clear_pointer (&messages, g_ptr_array_unref);
    }
  wait_for_store (&fixture);
  g_assert_cmpuint (fixture.ids->len, ==, N_SHORT + 1);

  /* The worker runs the imports in the order they were queued. */
  g_key_file_set_int64 (key_file, "fixture", "long-id", g_array_index (fixture.ids, gint64, 0));
  {
    gint cycled[N_CYCLED];

    for (guint i = 0; i < N_CYCLED; i++)
      cycled[i] = (gint)g_array_index (fixture.ids, gint64, 1 + i);
    g_key_file_set_integer_list (key_file, "fixture", "cycled-ids", cycled, N_CYCLED);
  }
  g_key_file_set_integer (key_file, "fixture", "conversations", N_SHORT + 1);
  g_key_file_set_integer (key_file, "fixture", "long-messages", N_LONG_MESSAGES);
  g_key_file_set_string (key_file, "fixture", "long-sha256", g_checksum_get_string (checksum));
  g_array_unref (fixture.ids);

  /* Closing the store checkpoints the log into the file the runs open. */
  g_clear_object (&store);

  if (g_stat (path, &buf) != 0)
    buf.st_size = 0;
  g_print ("history: fixture: %u conversations, %u messages, %.1f MB of text; the long one "
           "%u messages, %.2f MB (%.0f bytes a message); %.1f MB on disk, written in %.1f s\n",
           N_SHORT + 1, n_messages, all_bytes / 1e6, N_LONG_MESSAGES, long_bytes / 1e6,
           (double)long_bytes / N_LONG_MESSAGES, buf.st_size / 1e6,
           (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
}

/* A run, in its own process */

typedef enum
{
  SCROLL_UP,
  SCROLL_DOWN,
} Direction;

typedef struct
{
  /* borrowed */
  GtkWidget         *window;
  ConfabSidebar     *sidebar;
  GtkScrolledWindow *scroller;

  /* owned */
  GKeyFile *fixture;
  GKeyFile *results;
  /* per scroll: when each frame was painted and what it cost, in ms */
  GArray   *paints;
  GArray   *costs;
  /* owned: times every frame of the window once it is realized */
  BenchFrameProbe *frames;

  /* plain state: the fixture and the options */
  gint64 long_id;
  /* owned: the short conversations opened in turn */
  gint  *cycled_ids;
  gsize  n_cycled;
  guint  n_conversations;
  guint  n_messages;
  double step_pages;
  double budget_seconds;
  guint  run;

  /* plain state: times in µs of the monotonic clock */
  gint64 app_created;
  gint64 activated;
  gint64 first_paint;
  gint64 sidebar_filled;
  gint64 sidebar_painted;
  gint64 last_paint;
  /* the conversation being opened */
  gint64 open_id;
  gint64 open_called;
  gint64 open_shown;
  gint64 open_painted;
  gint64 open_cost;
  gint64 upper_changed;

  /* plain state: the height of the conversation in the last frame */
  double last_upper;

  /* plain state: the scroll under way */
  Direction direction;
  guint     scroll_tick_id;
  gboolean  scrolling;
  guint     n_steps;
  guint     stable_frames;
  guint     active_frames;
  double    prev_value;
  double    prev_upper;
  guint     prev_rows;
  gint64    scroll_started;
  gboolean  reached_end;

  gboolean failed;
} Run;

static double
ms_between (gint64 from,
            gint64 to)
{
  return (to - from) / 1000.0;
}

static void
set_result (Run        *self,
            const char *key,
            double      value)
{
  g_key_file_set_double (self->results, "run", key, value);
}

/* Finding widgets without changing src/ */

static gboolean
is_sidebar (GtkWidget *widget,
            gpointer   user_data)
{
  return CONFAB_IS_SIDEBAR (widget);
}

/* The rows under @widget; a row's own children are not looked at. */
static guint
count_rows (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += CONFAB_IS_MESSAGE_ROW (child) ? 1 : count_rows (child);

  return n;
}

/* The last row under @widget, which shows the end of the conversation. */
static ConfabMessageRow *
find_last_row (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_last_child (widget);
       child != NULL;
       child = gtk_widget_get_prev_sibling (child))
    {
      ConfabMessageRow *found = CONFAB_IS_MESSAGE_ROW (child) ? CONFAB_MESSAGE_ROW (child)
                                                              : find_last_row (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Measuring */

static void
painted_cb (gint64   now,
            gint64   start,
            gpointer user_data)
{
  Run *self = user_data;

  self->last_paint = now;
  if (self->first_paint == 0)
    self->first_paint = now;
  if (self->sidebar_filled != 0 && self->sidebar_painted == 0)
    self->sidebar_painted = now;
  if (self->open_shown != 0 && self->open_painted == 0)
    {
      self->open_painted = now;
      self->open_cost = start != 0 ? now - start : 0;
    }

  if (self->scroller != NULL)
    {
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
      double upper = gtk_adjustment_get_upper (adjustment);

      if (upper != self->last_upper)
        {
          self->last_upper = upper;
          self->upper_changed = now;
        }
    }

  if (self->scrolling)
    {
      double value = now / 1000.0;

      g_array_append_val (self->paints, value);
      value = start != 0 ? (now - start) / 1000.0 : 0;
      g_array_append_val (self->costs, value);
    }
}

static void
realize_cb (GtkWidget *window,
            Run       *self)
{
  self->frames = bench_frame_probe_new (gtk_widget_get_frame_clock (window),
                                        BENCH_FRAME_FROM_BEFORE_PAINT, painted_cb, self);
}

static void
items_changed_cb (GListModel *items,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Run        *self)
{
  if (self->sidebar_filled == 0 && g_list_model_get_n_items (items) == self->n_conversations)
    self->sidebar_filled = g_get_monotonic_time ();
}

static void
conversation_cb (GtkWidget  *window,
                 GParamSpec *pspec,
                 Run        *self)
{
  ConfabConversation *conversation = confab_window_get_conversation (CONFAB_WINDOW (window));

  if (self->open_called != 0 && self->open_shown == 0 &&
      confab_conversation_get_id (conversation) == self->open_id)
    self->open_shown = g_get_monotonic_time ();
}

/* Before the default handler, which creates the window. */
static void
activate_cb (GApplication *app,
             Run          *self)
{
  if (self->activated != 0)
    return;

  self->activated = g_get_monotonic_time ();
  /* A blinking cursor paints a frame every few hundred ms for 10 s, and
   * no frame would tell when start-up is over. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
}

/* The window is hooked before it is shown, so its first frame counts. */
static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 Run            *self)
{
  GListModel *items;

  if (self->window != NULL)
    return;

  self->window = GTK_WIDGET (window);
  self->sidebar = (ConfabSidebar *)bench_find_widget (self->window, is_sidebar, NULL);
  if (self->sidebar == NULL)
    g_error ("history: the window has no sidebar");

  items = confab_sidebar_get_items (self->sidebar);
  g_signal_connect (items, "items-changed", G_CALLBACK (items_changed_cb), self);
  items_changed_cb (items, 0, 0, 0, self);
  g_signal_connect (window, "notify::conversation", G_CALLBACK (conversation_cb), self);
  g_signal_connect_after (window, "realize", G_CALLBACK (realize_cb), self);
}

/* Conditions to wait for */

static gboolean
has_started (gpointer user_data)
{
  Run *self = user_data;
  ConfabConversation *conversation;

  if (self->window == NULL || self->first_paint == 0 || self->sidebar_painted == 0)
    return FALSE;

  /* The latest conversation has been read and shown. */
  conversation = confab_window_get_conversation (CONFAB_WINDOW (self->window));

  return confab_conversation_get_id (conversation) > 0;
}

static gboolean
is_quiet (gpointer user_data)
{
  Run *self = user_data;

  return g_get_monotonic_time () - self->last_paint >= QUIET_MS * 1000;
}

static gboolean
has_painted_open (gpointer user_data)
{
  Run *self = user_data;

  return self->open_painted != 0;
}

static gboolean
has_settled (gpointer user_data)
{
  Run *self = user_data;

  return g_get_monotonic_time () - MAX (self->upper_changed, self->open_painted) >=
         SETTLE_MS * 1000;
}

static gboolean
has_scrolled (gpointer user_data)
{
  Run *self = user_data;

  return !self->scrolling;
}

/* Checking */

static gboolean
check_conversation (Run *self)
{
  ConfabConversation *conversation = confab_window_get_conversation (CONFAB_WINDOW (self->window));
  GListModel *messages = confab_conversation_get_messages (conversation);
  guint n = g_list_model_get_n_items (messages);
  guint expected = g_key_file_get_integer (self->fixture, "fixture", "long-messages", NULL);
  g_autofree char *last_text = g_key_file_get_string (self->fixture, "fixture", "long-last-text",
                                                      NULL);
  g_autofree char *sum = g_key_file_get_string (self->fixture, "fixture", "long-sha256", NULL);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(ConfabMessage) last = NULL;
  g_autofree char *shown = NULL;
  ConfabMessageRow *row;
  gboolean ok = TRUE;

  if (n != expected)
    {
      g_printerr ("history: run %u: the conversation has %u messages, not %u\n", self->run, n,
                  expected);
      return FALSE;
    }

  last = g_list_model_get_item (messages, n - 1);
  if (g_strcmp0 (confab_message_get_content (last), last_text) != 0)
    {
      g_printerr ("history: run %u: the last message (%zu bytes) differs from the one stored "
                  "(%zu bytes)\n", self->run, confab_message_get_content_length (last),
                  strlen (last_text));
      ok = FALSE;
    }

  row = find_last_row (GTK_WIDGET (self->scroller));
  if (row == NULL || confab_message_row_get_message (row) != last)
    {
      g_printerr ("history: run %u: the last row does not show the last message\n", self->run);
      ok = FALSE;
    }
  else if (!row_shows ((shown = confab_message_row_dup_shown_text (row)), row, last_text))
    {
      g_printerr ("history: run %u: the last row shows %zu bytes, not the last message's %zu\n",
                  self->run, strlen (shown), strlen (last_text));
      ok = FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (messages, i);

      g_checksum_update (checksum, (const guchar *)confab_message_get_content (message),
                         confab_message_get_content_length (message) + 1);
    }
  if (g_strcmp0 (g_checksum_get_string (checksum), sum) != 0)
    {
      g_printerr ("history: run %u: the messages read differ from the ones stored\n", self->run);
      ok = FALSE;
    }

  return ok;
}

/* Scrolling */

static gboolean
at_end (Run           *self,
        GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);

  if (self->direction == SCROLL_UP)
    return value <= gtk_adjustment_get_lower (adjustment) + 0.5;

  return value >= gtk_adjustment_get_upper (adjustment) -
                  gtk_adjustment_get_page_size (adjustment) - 0.5;
}

/* One step a frame, in the update phase, so that the frame it is in lays
 * the step out and paints it. */
static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Run *self = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  double value = gtk_adjustment_get_value (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);
  double step = self->step_pages * gtk_adjustment_get_page_size (adjustment);
  guint rows = count_rows (GTK_WIDGET (self->scroller));

  if (value != self->prev_value || upper != self->prev_upper || rows != self->prev_rows)
    self->stable_frames = 0;
  else
    self->stable_frames++;
  self->prev_value = value;
  self->prev_upper = upper;
  self->prev_rows = rows;

  if (at_end (self, adjustment) && self->stable_frames >= SETTLE_FRAMES)
    {
      self->reached_end = TRUE;
      self->scrolling = FALSE;
      self->scroll_tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  if (self->budget_seconds > 0 &&
      g_get_monotonic_time () - self->scroll_started >= self->budget_seconds * G_USEC_PER_SEC)
    {
      self->scrolling = FALSE;
      self->scroll_tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  if (at_end (self, adjustment))
    return G_SOURCE_CONTINUE;

  gtk_adjustment_set_value (adjustment, value + (self->direction == SCROLL_UP ? -step : step));
  self->n_steps++;
  /* This frame paints the step: the frames after the last step, spent
   * waiting at the end, paint nothing new and are not counted. */
  self->active_frames = self->costs->len + 1;

  return G_SOURCE_CONTINUE;
}

/* The mean cost of the frames from @from to @to of the way, in ms: rows
 * that come in as the view scrolls can make the frames dearer. */
static double
mean_cost (GArray *costs,
           double  from,
           double  to)
{
  guint first = from * costs->len;
  guint last = MAX (first + 1, to * costs->len);
  double sum = 0;

  last = MIN (last, costs->len);
  for (guint i = first; i < last; i++)
    sum += g_array_index (costs, double, i);

  return last > first ? sum / (last - first) : 0;
}

static void
set_scroll_result (Run        *self,
                   const char *name,
                   const char *what,
                   double      value)
{
  g_autofree char *key = g_strconcat (name, "-", what, NULL);

  set_result (self, key, value);
}

static gboolean
scroll (Run        *self,
        Direction   direction,
        const char *name)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (double));
  guint rows_before = count_rows (GTK_WIDGET (self->scroller));
  double value_before = gtk_adjustment_get_value (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  guint rows;
  double upper;
  guint n_slow = 0;
  double seconds;
  double step_ms;
  double p50;
  double p99;
  double max;
  double covered;
  guint deadline = self->budget_seconds > 0 ? (guint)self->budget_seconds + DEADLINE_SECONDS
                                             : 24 * 3600;

  g_array_set_size (self->paints, 0);
  g_array_set_size (self->costs, 0);
  self->direction = direction;
  self->n_steps = 0;
  self->stable_frames = 0;
  self->active_frames = 0;
  self->reached_end = FALSE;
  self->prev_value = value_before;
  self->prev_upper = gtk_adjustment_get_upper (adjustment);
  self->prev_rows = rows_before;
  self->scroll_started = g_get_monotonic_time ();
  self->scrolling = TRUE;
  self->scroll_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->scroller),
                                                       scroll_tick_cb, self, NULL);

  if (!bench_wait_until (has_scrolled, self, deadline))
    {
      g_printerr ("history: run %u: scrolling %s did not end (%u steps, at %.0f of %.0f px)\n",
                  self->run, name, self->n_steps, gtk_adjustment_get_value (adjustment),
                  gtk_adjustment_get_upper (adjustment));
      gtk_widget_remove_tick_callback (GTK_WIDGET (self->scroller), self->scroll_tick_id);
      self->scroll_tick_id = 0;
      self->scrolling = FALSE;
      return FALSE;
    }

  g_array_set_size (self->paints, MIN (self->paints->len, self->active_frames));
  g_array_set_size (self->costs, MIN (self->costs->len, self->active_frames));
  for (guint i = 1; i < self->paints->len; i++)
    {
      double interval = g_array_index (self->paints, double, i) -
                        g_array_index (self->paints, double, i - 1);

      g_array_append_val (intervals, interval);
      if (interval > SLOW_FRAME_MS)
        n_slow++;
    }
  seconds = self->paints->len > 1
            ? (g_array_index (self->paints, double, self->paints->len - 1) -
               g_array_index (self->paints, double, 0)) / 1000
            : 0;
  step_ms = self->n_steps > 0 ? 1000 * seconds / self->n_steps : 0;
  p50 = bench_percentile (intervals, 50);
  p99 = bench_percentile (intervals, 99);
  max = bench_max (intervals);
  rows = count_rows (GTK_WIDGET (self->scroller));
  upper = gtk_adjustment_get_upper (adjustment);
  /* Scrolling up, the rows made above count as the way still to go. */
  covered = direction == SCROLL_UP
            ? (double)rows / self->n_messages
            : gtk_adjustment_get_value (adjustment) / MAX (1, upper - page);

  set_scroll_result (self, name, "steps", self->n_steps);
  set_scroll_result (self, name, "seconds", seconds);
  set_scroll_result (self, name, "step", step_ms);
  set_scroll_result (self, name, "p50", p50);
  set_scroll_result (self, name, "p99", p99);
  set_scroll_result (self, name, "max", max);
  set_scroll_result (self, name, "slow", n_slow);
  set_scroll_result (self, name, "cost-p50", bench_percentile (self->costs, 50));
  set_scroll_result (self, name, "cost-p99", bench_percentile (self->costs, 99));
  set_scroll_result (self, name, "cost-first", mean_cost (self->costs, 0, 0.1));
  set_scroll_result (self, name, "cost-last", mean_cost (self->costs, 0.9, 1));
  set_scroll_result (self, name, "rows", rows);
  set_scroll_result (self, name, "covered", 100 * covered);
  set_scroll_result (self, name, "ended", self->reached_end);

  g_print ("history: run %u: scroll %s by %.2f page (%.0f px) a frame: %s after %u steps in "
           "%.1f s (%.1f ms a step); %u rows before, %u after, %.0f px high\n",
           self->run, name, self->step_pages, self->step_pages * page,
           self->reached_end ? "reached the end" : "stopped by the time budget",
           self->n_steps, seconds, step_ms, rows_before, rows, upper);
  g_print ("history: run %u: scroll %s: frame interval p50 %.1f / p99 %.1f / max %.1f ms, %u of "
           "%u over %d ms; frame cost p50 %.1f / p99 %.1f ms, mean %.1f ms in the first 10%% "
           "of the frames, %.1f ms in the last 10%%; %.0f%% of the way %s\n",
           self->run, name, p50, p99, max, n_slow, intervals->len, SLOW_FRAME_MS,
           bench_percentile (self->costs, 50), bench_percentile (self->costs, 99),
           mean_cost (self->costs, 0, 0.1), mean_cost (self->costs, 0.9, 1), 100 * covered,
           direction == SCROLL_UP ? "(messages with a row)" : "(of the height)");

  return TRUE;
}

/* Running */

static gboolean
measure_start_up (Run *self)
{
  if (!bench_wait_until (has_started, self, DEADLINE_SECONDS))
    {
      g_printerr ("history: run %u: start-up did not end within %u s: %s painted, the sidebar "
                  "lists %u of %u conversations\n", self->run, DEADLINE_SECONDS,
                  self->first_paint != 0 ? "a frame was" : "nothing was",
                  g_list_model_get_n_items (confab_sidebar_get_items (self->sidebar)),
                  self->n_conversations);
      return FALSE;
    }

  set_result (self, "start-frame", ms_between (self->app_created, self->first_paint));
  set_result (self, "start-window-frame", ms_between (self->activated, self->first_paint));
  set_result (self, "start-sidebar", ms_between (self->app_created, self->sidebar_filled));
  set_result (self, "start-sidebar-frame", ms_between (self->app_created, self->sidebar_painted));
  g_print ("history: run %u: start-up: first frame %.0f ms (%.0f ms after activate), sidebar "
           "lists %u conversations at %.0f ms, painted at %.0f ms\n",
           self->run, ms_between (self->app_created, self->first_paint),
           ms_between (self->activated, self->first_paint), self->n_conversations,
           ms_between (self->app_created, self->sidebar_filled),
           ms_between (self->app_created, self->sidebar_painted));

  /* Its scrolled window shows the latest conversation already. */
  self->scroller = bench_find_scroller (self->window);
  if (self->scroller == NULL)
    {
      g_printerr ("history: run %u: the conversation's scrolled window was not found\n",
                  self->run);
      return FALSE;
    }

  /* What start-up still animates is not counted as opening. */
  bench_wait_until (is_quiet, self, 10);

  return TRUE;
}

static gboolean
measure_open (Run *self)
{
  double rss_before;
  double rss_open;
  double rss;
  double peak;
  guint rows;

  bench_read_memory (&rss_before, &peak);
  self->upper_changed = 0;
  self->open_id = self->long_id;
  self->open_called = g_get_monotonic_time ();
  confab_window_open_conversation (CONFAB_WINDOW (self->window), self->long_id);

  if (!bench_wait_until (has_painted_open, self, DEADLINE_SECONDS))
    {
      g_printerr ("history: run %u: the long conversation was %s within %u s\n", self->run,
                  self->open_shown != 0 ? "shown but not painted" : "not shown",
                  DEADLINE_SECONDS);
      return FALSE;
    }
  bench_read_memory (&rss_open, &peak);

  /* Text laid out in idles can grow the view for a while. */
  if (!bench_wait_until (has_settled, self, DEADLINE_SECONDS))
    g_print ("history: run %u: the height of the conversation still changes after %u s\n",
             self->run, DEADLINE_SECONDS);
  bench_read_memory (&rss, &peak);
  rows = count_rows (GTK_WIDGET (self->scroller));

  set_result (self, "open-shown", ms_between (self->open_called, self->open_shown));
  set_result (self, "open-frame", ms_between (self->open_called, self->open_painted));
  set_result (self, "open-frame-cost", self->open_cost / 1000.0);
  set_result (self, "open-settled",
              ms_between (self->open_called, MAX (self->upper_changed, self->open_painted)));
  set_result (self, "open-rows", rows);
  set_result (self, "rss-before", rss_before);
  set_result (self, "rss-open", rss_open);
  set_result (self, "rss-settled", rss);
  set_result (self, "peak-settled", peak);
  g_print ("history: run %u: open: shown after %.0f ms, first frame after %.0f ms (that frame "
           "took %.0f ms), height settled after %.0f ms; %u rows\n",
           self->run, ms_between (self->open_called, self->open_shown),
           ms_between (self->open_called, self->open_painted), self->open_cost / 1000.0,
           ms_between (self->open_called, MAX (self->upper_changed, self->open_painted)), rows);
  g_print ("history: run %u: memory: RSS %.0f MB before opening, %.0f MB at the first frame, "
           "%.0f MB settled; peak %.0f MB\n", self->run, rss_before, rss_open, rss, peak);

  return check_conversation (self);
}

/* Opens the short conversations in turn, twice, each until its first
 * frame is painted; RSS after each round tells whether they leave
 * memory behind. */
static gboolean
cycle (Run *self)
{
  double rss[2];
  double peak;
  double ms[2];

  for (guint round = 0; round < 2; round++)
    {
      gint64 started = g_get_monotonic_time ();

      for (gsize i = 0; i < self->n_cycled; i++)
        {
          self->open_id = self->cycled_ids[i];
          self->open_shown = self->open_painted = 0;
          self->open_called = g_get_monotonic_time ();
          confab_window_open_conversation (CONFAB_WINDOW (self->window), self->open_id);
          if (!bench_wait_until (has_painted_open, self, DEADLINE_SECONDS))
            {
              g_printerr ("history: run %u: conversation %" G_GINT64_FORMAT " was not painted "
                          "within %u s\n", self->run, self->open_id, DEADLINE_SECONDS);
              return FALSE;
            }
        }
      ms[round] = ms_between (started, g_get_monotonic_time ()) / MAX (self->n_cycled, 1);
      bench_wait_until (is_quiet, self, 10);
      bench_read_memory (&rss[round], &peak);
    }

  set_result (self, "cycle-open", ms[1]);
  set_result (self, "rss-cycled", rss[0]);
  set_result (self, "rss-cycled-again", rss[1]);
  set_result (self, "cycle-growth", (rss[1] - rss[0]) * 1024 / MAX (self->n_cycled, 1));
  g_print ("history: run %u: %zu conversations opened in turn, twice: %.0f / %.0f ms each to "
           "the first frame; RSS %.1f MB after the first round, %.1f MB after the second "
           "(%+.1f KB a conversation)\n", self->run, self->n_cycled, ms[0], ms[1], rss[0],
           rss[1], (rss[1] - rss[0]) * 1024 / MAX (self->n_cycled, 1));

  return TRUE;
}

static gboolean
run_cb (gpointer user_data)
{
  Run *self = user_data;
  GListModel *items = confab_sidebar_get_items (self->sidebar);
  double rss;
  double peak;

  /* From the bottom, where the conversation opens, first: a window that
   * creates rows lazily has them all once it reaches the top. */
  if (measure_start_up (self) && measure_open (self) && scroll (self, SCROLL_UP, "up") &&
      scroll (self, SCROLL_DOWN, "down"))
    {
      bench_read_memory (&rss, &peak);
      set_result (self, "rss-scrolled", rss);
      set_result (self, "peak-scrolled", peak);
      g_print ("history: run %u: memory: RSS %.0f MB after scrolling; peak %.0f MB\n", self->run,
               rss, peak);
      if (!cycle (self))
        self->failed = TRUE;
    }
  else
    {
      self->failed = TRUE;
    }

  g_signal_handlers_disconnect_by_data (items, self);
  g_signal_handlers_disconnect_by_data (self->window, self);
  g_clear_pointer (&self->frames, bench_frame_probe_free);
  gtk_window_destroy (GTK_WINDOW (self->window));
  self->window = NULL;

  return G_SOURCE_REMOVE;
}

static void
activated_cb (GApplication *app,
              Run          *self)
{
  if (self->window == NULL)
    g_error ("history: the application has no window");

  g_idle_add (run_cb, self);
}

static int
run_main (const char *fixture_path,
          const char *results_path,
          double      step_pages,
          double      budget_seconds,
          guint       run)
{
  g_autoptr(ConfabApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  Run self = { 0 };
  int status;

  self.fixture = g_key_file_new ();
  if (!g_key_file_load_from_file (self.fixture, fixture_path, G_KEY_FILE_NONE, &error))
    g_error ("history: cannot read %s: %s", fixture_path, error->message);
  self.long_id = g_key_file_get_int64 (self.fixture, "fixture", "long-id", NULL);
  self.cycled_ids = g_key_file_get_integer_list (self.fixture, "fixture", "cycled-ids",
                                                 &self.n_cycled, NULL);
  self.n_conversations = g_key_file_get_integer (self.fixture, "fixture", "conversations", NULL);
  self.n_messages = g_key_file_get_integer (self.fixture, "fixture", "long-messages", NULL);
  self.results = g_key_file_new ();
  self.paints = g_array_new (FALSE, FALSE, sizeof (double));
  self.costs = g_array_new (FALSE, FALSE, sizeof (double));
  self.step_pages = step_pages;
  self.budget_seconds = budget_seconds;
  self.run = run;

  self.app_created = g_get_monotonic_time ();
  app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &self);
  g_signal_connect_after (app, "activate", G_CALLBACK (activated_cb), &self);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), &self);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_clear_object (&app);

  if (status == 0 && !self.failed &&
      !g_key_file_save_to_file (self.results, results_path, &error))
    g_error ("history: cannot write %s: %s", results_path, error->message);

  g_clear_pointer (&self.frames, bench_frame_probe_free);
  g_key_file_unref (self.fixture);
  g_key_file_unref (self.results);
  g_free (self.cycled_ids);
  g_array_unref (self.paints);
  g_array_unref (self.costs);

  return status != 0 ? status : self.failed ? 1 : 0;
}

/* The runs, from the parent */

typedef struct
{
  const char *key;
  const char *label;
} Figure;

static const Figure figures[] = {
  { "start-frame", "start-up: first frame (ms)" },
  { "start-window-frame", "start-up: activate to first frame (ms)" },
  { "start-sidebar", "start-up: sidebar filled (ms)" },
  { "start-sidebar-frame", "start-up: sidebar filled, painted (ms)" },
  { "open-shown", "open: conversation shown (ms)" },
  { "open-frame", "open: first frame (ms)" },
  { "open-frame-cost", "open: cost of that frame (ms)" },
  { "open-settled", "open: height settled (ms)" },
  { "open-rows", "open: rows" },
  { "rss-before", "memory: RSS before opening (MB)" },
  { "rss-open", "memory: RSS at the first frame (MB)" },
  { "rss-settled", "memory: RSS settled (MB)" },
  { "peak-settled", "memory: peak RSS after opening (MB)" },
  { "rss-scrolled", "memory: RSS after scrolling (MB)" },
  { "peak-scrolled", "memory: peak RSS after scrolling (MB)" },
  { "up-ended", "scroll up: reached the top (1 = yes)" },
  { "up-covered", "scroll up: % of the way covered" },
  { "up-steps", "scroll up: steps" },
  { "up-step", "scroll up: time a step (ms)" },
  { "up-p50", "scroll up: frame interval p50 (ms)" },
  { "up-p99", "scroll up: frame interval p99 (ms)" },
  { "up-max", "scroll up: frame interval max (ms)" },
  { "up-slow", "scroll up: frames over 33 ms" },
  { "up-cost-p50", "scroll up: frame cost p50 (ms)" },
  { "up-cost-p99", "scroll up: frame cost p99 (ms)" },
  { "up-cost-first", "scroll up: mean cost, first 10% (ms)" },
  { "up-cost-last", "scroll up: mean cost, last 10% (ms)" },
  { "up-rows", "scroll up: rows at the end" },
  { "down-ended", "scroll down: reached the bottom (1 = yes)" },
  { "down-covered", "scroll down: % of the way covered" },
  { "down-steps", "scroll down: steps" },
  { "down-step", "scroll down: time a step (ms)" },
  { "down-p50", "scroll down: frame interval p50 (ms)" },
  { "down-p99", "scroll down: frame interval p99 (ms)" },
  { "down-max", "scroll down: frame interval max (ms)" },
  { "down-slow", "scroll down: frames over 33 ms" },
  { "down-cost-p50", "scroll down: frame cost p50 (ms)" },
  { "down-cost-p99", "scroll down: frame cost p99 (ms)" },
  { "down-cost-first", "scroll down: mean cost, first 10% (ms)" },
  { "down-cost-last", "scroll down: mean cost, last 10% (ms)" },
  { "down-rows", "scroll down: rows at the end" },
  { "cycle-open", "100 opened in turn: ms each" },
  { "rss-cycled", "100 opened in turn: RSS (MB)" },
  { "rss-cycled-again", "the same 100 again: RSS (MB)" },
  { "cycle-growth", "growth a conversation, 2nd round (KB)" },
};

/* "--name=value", the value as the C locale writes it */
static char *
double_arg (const char *name,
            double      value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf ("--%s=%s", name, g_ascii_dtostr (buf, sizeof buf, value));
}

/* Runs one child; its figures go to @values, one array per figure. */
static gboolean
spawn_run (const char *exe,
           const char *root,
           const char *fixture_path,
           double      step_pages,
           double      budget_seconds,
           guint       run,
           GArray    **values)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) subprocess = NULL;
  g_autoptr(GKeyFile) results = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("run-%u.ini", run);
  g_autofree char *results_path = g_build_filename (root, name, NULL);
  g_autofree char *run_arg = g_strdup_printf ("--run=%u", run);
  g_autofree char *fixture_arg = g_strconcat ("--child=", fixture_path, NULL);
  g_autofree char *results_arg = g_strconcat ("--results=", results_path, NULL);
  g_autofree char *step_arg = double_arg ("step", step_pages);
  g_autofree char *budget_arg = double_arg ("budget", budget_seconds);
  g_autofree char *cache_name = g_strdup_printf ("cache-%u", run);
  g_autofree char *cache = bench_make_dir (root, cache_name);

  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", cache, TRUE);
  /* The child writes to the same stdout. */
  fflush (stdout);
  subprocess = g_subprocess_launcher_spawn (launcher, &error, exe, fixture_arg, results_arg,
                                            step_arg, budget_arg, run_arg, NULL);
  if (subprocess == NULL || !g_subprocess_wait (subprocess, NULL, &error))
    {
      g_printerr ("history: run %u could not be started: %s\n", run, error->message);
      return FALSE;
    }
  if (!g_subprocess_get_successful (subprocess))
    {
      g_printerr ("history: run %u failed\n", run);
      return FALSE;
    }

  if (!g_key_file_load_from_file (results, results_path, G_KEY_FILE_NONE, &error))
    {
      g_printerr ("history: run %u left no figures: %s\n", run, error->message);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      g_autoptr(GError) missing = NULL;
      double value = g_key_file_get_double (results, "run", figures[i].key, &missing);

      if (missing == NULL)
        g_array_append_val (values[i], value);
    }

  return TRUE;
}

static void
print_summary (GArray **values,
               guint    n_runs,
               double   step_pages,
               double   budget_seconds)
{
  g_print ("\nhistory summary (GTK %u.%u.%u, GSK_RENDERER=%s; %u runs, a new process each; "
           "scrolling %.2f page a frame for at most %.0f s each way)\n",
           gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
           g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "default",
           n_runs, step_pages, budget_seconds);
  g_print ("  %-40s %9s %9s %9s\n", "figure", "median", "min", "max");
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    {
      if (values[i]->len == 0)
        continue;

      g_print ("  %-40s %9.1f %9.1f %9.1f\n", figures[i].label,
               bench_percentile (values[i], 50), bench_min (values[i]),
               bench_max (values[i]));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GKeyFile) fixture = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *child = NULL;
  g_autofree char *results = NULL;
  g_autofree char *root = NULL;
  g_autofree char *store_path = NULL;
  g_autofree char *fixture_path = NULL;
  g_autofree char *exe = NULL;
  GArray *values[G_N_ELEMENTS (figures)];
  double step_pages = DEFAULT_STEP_PAGES;
  double budget_seconds = DEFAULT_BUDGET_SECONDS;
  int n_runs = N_RUNS;
  int run = 0;
  guint n_ok = 0;
  gboolean failed = FALSE;
  const GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "How many runs (5)", "N" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &step_pages, "Scroll this much a frame (1/3)",
      "PAGES" },
    { "budget", 0, 0, G_OPTION_ARG_DOUBLE, &budget_seconds,
      "Scroll each way for at most this long, 0 for no limit (10)", "SECONDS" },
    { "child", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &child, NULL, NULL },
    { "results", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &results, NULL, NULL },
    { "run", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &run, NULL, NULL },
    { NULL },
  };

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("history: %s", error->message);
  if (n_runs < 1 || step_pages <= 0 || budget_seconds < 0)
    g_error ("history: --runs and --step must be positive, --budget not negative");

  if (child != NULL)
    return run_main (child, results, step_pages, budget_seconds, run);

  root = bench_isolate_dirs ();
  /* No run may reach a server. */
  g_setenv ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", TRUE);
  g_setenv ("OPENAI_DEFAULT_MODEL", "m", TRUE);
  g_unsetenv ("OPENAI_API_KEY");

  /* Where the application will look for it. */
  store_path = confab_store_dup_default_path ();
  fixture = g_key_file_new ();
  write_fixture (store_path, fixture);
  fixture_path = g_build_filename (root, "fixture.ini", NULL);
  if (!g_key_file_save_to_file (fixture, fixture_path, &error))
    g_error ("history: cannot write %s: %s", fixture_path, error->message);

  exe = g_file_read_link ("/proc/self/exe", &error);
  if (exe == NULL)
    g_error ("history: cannot find this program: %s", error->message);

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    values[i] = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 1; i <= n_runs; i++)
    {
      if (spawn_run (exe, root, fixture_path, step_pages, budget_seconds, i, values))
        n_ok++;
      else
        failed = TRUE;
    }

  if (n_ok > 0)
    print_summary (values, n_ok, step_pages, budget_seconds);

  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    g_array_unref (values[i]);
  bench_remove_tree (root);

  return failed ? 1 : 0;
}
