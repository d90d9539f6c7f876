/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include "confab-window.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-compat.h"
#include "confab-composer.h"
#include "confab-message-row.h"
#include "confab-model-picker.h"
#include "confab-scroll.h"
#include "confab-sidebar.h"
#include "confab-store.h"
#include "confab-toast.h"
#include "confab-translate-view.h"
#include "confab-transfer.h"

/* Rows made at a time when a conversation opens or a search shows a
 * message: enough to fill a tall window, and few enough to make in a
 * frame. */
#define ROW_BATCH 30
/* While the user scrolls, rows are made one at a time, in as many frames
 * as it takes, for up to this long a frame (µs): each frame also lays
 * out what it made and paints. 15 rows made in one frame, as soon as the
 * view came within a page of the rows made, cost 40–60 ms in that frame
 * and its layout (bench-history, scrolling up: p99 66 ms, 82 frames over
 * 33 ms). With 3 ms a frame, frames cost 14–20 ms and went over 33 ms
 * 3–6 times as often as with 1.5 ms. */
#define FRAME_BUDGET_US 1500
/* Rows are made while the view is closer than this to either end of the
 * rows made, in pages: at a third of a page a frame, the scrolling of
 * bench-history, that leaves a few frames to make them. */
#define AHEAD_PAGES 2
/* The most rows kept: each one costs in every layout of the box, so a
 * long scroll drops the rows far behind it (bench-history). */
#define MAX_ROWS 120
/* For how many layouts the view holds on to a message a search found. */
#define FOUND_FRAMES 6

struct _ConfabWindow
{
  AdwApplicationWindow parent_instance;

  /* template children */
  AdwToastOverlay   *toast_overlay;
  AdwFlap           *flap;
  ConfabSidebar     *sidebar;
  AdwHeaderBar      *content_header_bar;
  GtkRevealer       *edit_revealer;
  GtkLabel          *window_title;
  ConfabModelPicker *model_picker;
  AdwViewStack      *view_stack;
  AdwSqueezer       *switcher_squeezer;
  GtkWidget         *header_switcher;
  AdwViewSwitcherBar *switcher_bar;
  AdwBin            *translate_bin;
  GtkStack          *stack;
  GtkLabel          *suggestion_label;
  GtkScrolledWindow *scroller;
  GtkWidget         *message_box;
  ConfabComposer    *composer;

  /* owned */
  ConfabConversation *conversation;
  GCancellable       *cancellable;
  GCancellable       *open_cancellable;
  /* owned: conversations left while a save failed, kept until they are
   * saved so that nothing in them is lost; opening one shows it again */
  GPtrArray          *unsaved;
  /* owned: profile id → GStrv, the models each provider listed */
  GHashTable         *models;

  /* owned: the first row, while rows are added above it */
  GtkWidget *anchor;
  /* owned: the user's message being edited in the composer */
  ConfabMessage *editing;
  /* owned: a row a search found, to bring into view after the layout */
  GtkWidget *found;
  /* not owned: GTK keeps its toplevels; cleared when it is destroyed */
  GtkWindow *shortcuts;
  /* not owned: translate_bin's child, made when the view is first shown
   * (building it at start cost 8 ms of the first frame) */
  ConfabTranslateView *translate_view;

  /* makes rows while the view is near either end of the rows made */
  guint  rows_tick_id;

  /* the message a search found, shown once its conversation is */
  gint64 found_id;
  guint  found_timeout_id;
  guint  found_frames;

  /* plain state */
  /* whether the view follows the end of the conversation */
  gboolean stick_to_bottom;
  /* the model positions of the messages with a row: [first_row,
   * last_row); the rows are a window on a long conversation */
  guint    first_row;
  guint    last_row;
  /* where the anchor was in the box before rows came above it */
  double   anchor_y;
  /* replies are shown as Markdown (the render-markdown setting) */
  gboolean render_markdown;
};

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The founding example: Korean in, Japanese out. Not translated: it is a
 * prompt for the model, not a label. */
static const char suggestion[] =
  "다음을 일본어로 번역하세요: 안녕하세요? 오늘 날씨가 참 좋군요!";

static void
update_actions (ConfabWindow *self)
{
  gboolean streaming = confab_conversation_get_is_streaming (self->conversation);
  ConfabMessage *last = confab_conversation_get_last_reply (self->conversation);
  gboolean has_reply = last != NULL && confab_message_get_content_length (last) > 0;
  gboolean stored = confab_conversation_get_id (self->conversation) > 0;
  GListModel *messages = confab_conversation_get_messages (self->conversation);
  guint n_items = g_list_model_get_n_items (messages);
  g_autoptr(ConfabMessage) tail = NULL;
  gboolean last_is_reply;
  guint variant = last != NULL ? confab_message_get_variant_index (last) : 0;
  guint n_variants = last != NULL ? confab_message_get_n_variants (last) : 0;

  if (n_items > 0)
    tail = g_list_model_get_item (messages, n_items - 1);
  last_is_reply = tail != NULL && tail == last;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", streaming);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.retry", !streaming && last != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.regenerate",
                                 !streaming && last_is_reply);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.continue",
                                 confab_conversation_can_continue (self->conversation));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.previous-variant",
                                 !streaming && last_is_reply && variant > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.next-variant",
                                 !streaming && last_is_reply && variant + 1 < n_variants);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.cancel-edit", self->editing != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.export-current-markdown", stored);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.export-current-json", stored);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.copy-last", has_reply);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.rename", stored);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.delete", stored);
  confab_composer_set_streaming (self->composer, streaming);
}

/* Keeps the end in view in the frame that grew the content. GtkViewport
 * configures its adjustment inside its allocation with notifications
 * frozen, so "changed" arrives after the child is placed, and the
 * re-allocation a new value queues from there is dropped: the frame shows
 * the old position. After the window's layout, a new value queues a fresh
 * layout, which the frame clock runs before it paints.
 *
 * Rows added above the view move what the user reads down by their
 * height: here, before the frame is painted, the view follows it. */
static void
frame_layout_cb (ConfabWindow  *self,
                 GdkFrameClock *frame_clock)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  double bottom = gtk_adjustment_get_upper (adjustment) -
                  gtk_adjustment_get_page_size (adjustment);

  /* The rows made to show a message a search found settle their heights
   * over a few frames (message rows measure again after they are mapped):
   * the view stays on the message until they have. */
  if (self->found != NULL)
    {
      graphene_point_t point = GRAPHENE_POINT_INIT (0, 0);

      g_clear_object (&self->anchor);
      if (gtk_widget_get_parent (self->found) == self->message_box &&
          gtk_widget_compute_point (self->found, self->message_box, &point, &point))
        {
          self->stick_to_bottom = FALSE;
          gtk_adjustment_set_value (adjustment, MAX (0, point.y - 12));
        }
      if (--self->found_frames == 0)
        g_clear_object (&self->found);
      return;
    }

  if (self->anchor != NULL)
    {
      graphene_point_t point = GRAPHENE_POINT_INIT (0, 0);
      g_autoptr(GtkWidget) anchor = g_steal_pointer (&self->anchor);

      if (gtk_widget_get_parent (anchor) == self->message_box &&
          gtk_widget_compute_point (anchor, self->message_box, &point, &point))
        gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) +
                                              point.y - self->anchor_y);
      return;
    }

  if (self->stick_to_bottom && gtk_adjustment_get_value (adjustment) < bottom)
    gtk_adjustment_set_value (adjustment, bottom);
}

static gboolean wants_rows (ConfabWindow *self);
static gboolean make_rows_tick_cb (GtkWidget     *widget,
                                   GdkFrameClock *frame_clock,
                                   gpointer       user_data);

static void
adjustment_value_changed_cb (ConfabWindow  *self,
                             GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  double bottom = gtk_adjustment_get_upper (adjustment) - page;
  guint n_items = 0;

  if (self->conversation != NULL)
    n_items = g_list_model_get_n_items (confab_conversation_get_messages (self->conversation));

  /* The user scrolled away: stop following until they come back. A
   * smaller upper also lands here, clamped to the new bottom. */
  self->stick_to_bottom = value >= bottom - 4 && self->last_row == n_items;

  /* Near either end of the rows made, the next ones come in before they
   * are reached, a few in each frame. */
  if (self->rows_tick_id == 0 && wants_rows (self))
    self->rows_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), make_rows_tick_cb,
                                                       NULL, NULL);
}

/* The row of the message at @position in the model, or NULL when its row
 * is not made yet. */
static GtkWidget *
row_at (ConfabWindow *self,
        guint         position)
{
  GtkWidget *child;

  if (position < self->first_row || position >= self->last_row)
    return NULL;

  child = gtk_widget_get_first_child (self->message_box);
  for (guint i = self->first_row; child != NULL && i < position; i++)
    child = gtk_widget_get_next_sibling (child);

  return child;
}

static void edit_requested_cb (ConfabWindow     *self,
                               ConfabMessageRow *row);

static void
add_rows (ConfabWindow *self,
          GListModel   *model,
          guint         position,
          guint         n)
{
  GtkWidget *sibling = NULL;

  /* Rows go in at the model position: after the row before it. */
  if (position > self->first_row)
    sibling = position - 1 < self->last_row ? row_at (self, position - 1)
                                            : gtk_widget_get_last_child (self->message_box);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (model, position + i);
      GtkWidget *row = g_object_new (CONFAB_TYPE_MESSAGE_ROW,
                                     "message", message,
                                     "render-markdown", self->render_markdown,
                                     NULL);

      g_signal_connect_object (row, "edit-requested", G_CALLBACK (edit_requested_cb), self,
                               G_CONNECT_SWAPPED);
      gtk_box_insert_child_after (GTK_BOX (self->message_box), row, sibling);
      sibling = row;
    }
}

/* Only the last row offers what only the last reply can do. */
static void
mark_last_row (ConfabWindow *self)
{
  GListModel *model = confab_conversation_get_messages (self->conversation);
  GtkWidget *last = NULL;

  if (self->last_row == g_list_model_get_n_items (model))
    last = gtk_widget_get_last_child (self->message_box);

  for (GtkWidget *child = gtk_widget_get_first_child (self->message_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    confab_message_row_set_last (CONFAB_MESSAGE_ROW (child), child == last);
}

static void
remove_all_rows (ConfabWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->message_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->message_box), child);
  g_clear_object (&self->anchor);
  self->first_row = self->last_row = 0;
}

/* Keeps @row where it is on screen through the change about to be made
 * around it. */
static void
hold_in_place (ConfabWindow *self,
               GtkWidget    *row)
{
  graphene_point_t point = GRAPHENE_POINT_INIT (0, 0);

  if (row != NULL && gtk_widget_compute_point (row, self->message_box, &point, &point))
    {
      g_set_object (&self->anchor, row);
      self->anchor_y = point.y;
    }
}

/* Drops the rows beyond MAX_ROWS from the end away from the view, so a
 * long scroll keeps a bounded number of rows: each one costs in every
 * layout of the box. */
static void
trim_rows (ConfabWindow *self,
           gboolean      from_top)
{
  while (self->last_row - self->first_row > MAX_ROWS)
    {
      if (from_top)
        {
          gtk_box_remove (GTK_BOX (self->message_box),
                          gtk_widget_get_first_child (self->message_box));
          self->first_row++;
        }
      else
        {
          gtk_box_remove (GTK_BOX (self->message_box),
                          gtk_widget_get_last_child (self->message_box));
          self->last_row--;
        }
    }
}

static void
cancel_edit (ConfabWindow *self)
{
  if (self->editing == NULL)
    return;

  g_clear_object (&self->editing);
  gtk_revealer_set_reveal_child (self->edit_revealer, FALSE);
  confab_composer_set_text (self->composer, NULL);
  update_actions (self);
}

/* The message goes into the composer; sending it replaces it and what
 * came after it. */
static void
edit_requested_cb (ConfabWindow     *self,
                   ConfabMessageRow *row)
{
  ConfabMessage *message = confab_message_row_get_message (row);

  if (confab_conversation_get_is_streaming (self->conversation))
    return;

  g_set_object (&self->editing, message);
  confab_composer_set_text (self->composer, confab_message_get_content (message));
  gtk_revealer_set_reveal_child (self->edit_revealer, TRUE);
  confab_composer_grab_focus (self->composer);
  update_actions (self);
}

/* Whether the view is near the first row made, with messages before
 * it; or else near the last, with messages after it. */
static gboolean
wants_earlier_rows (ConfabWindow *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  return self->first_row > 0 &&
         gtk_adjustment_get_value (adjustment) <
         AHEAD_PAGES * gtk_adjustment_get_page_size (adjustment);
}

static gboolean
wants_later_rows (ConfabWindow *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  GListModel *model = confab_conversation_get_messages (self->conversation);
  double page = gtk_adjustment_get_page_size (adjustment);

  return self->last_row < g_list_model_get_n_items (model) &&
         gtk_adjustment_get_value (adjustment) >
         gtk_adjustment_get_upper (adjustment) - page - AHEAD_PAGES * page;
}

static gboolean
wants_rows (ConfabWindow *self)
{
  return self->conversation != NULL && (wants_earlier_rows (self) || wants_later_rows (self));
}

/* The first row that reaches into the view: it stays in its place while
 * rows come and go around it, whatever their heights. */
static GtkWidget *
row_in_view (ConfabWindow *self)
{
  double value = gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (self->scroller));

  for (GtkWidget *child = gtk_widget_get_first_child (self->message_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      graphene_point_t point = GRAPHENE_POINT_INIT (0, gtk_widget_get_height (child));

      if (gtk_widget_compute_point (child, self->message_box, &point, &point) &&
          point.y > value)
        return child;
    }

  return gtk_widget_get_last_child (self->message_box);
}

/* Makes rows before the first one shown, or after the last, for at most
 * FRAME_BUDGET_US, and drops as many at the other end beyond MAX_ROWS,
 * keeping what the user reads in its place. The next frame makes more if
 * the view still needs them: the heights of the rows made are known only
 * after the layout. */
static gboolean
make_rows_tick_cb (GtkWidget     *widget,
                   GdkFrameClock *frame_clock,
                   gpointer       user_data)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  GListModel *model;
  gboolean earlier;
  gint64 deadline;

  if (!wants_rows (self))
    {
      self->rows_tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  model = confab_conversation_get_messages (self->conversation);
  earlier = wants_earlier_rows (self);
  if (self->anchor == NULL)
    hold_in_place (self, row_in_view (self));

  deadline = g_get_monotonic_time () + FRAME_BUDGET_US;
  do
    {
      if (earlier)
        {
          add_rows (self, model, self->first_row - 1, 1);
          self->first_row--;
          trim_rows (self, FALSE);
        }
      else
        {
          add_rows (self, model, self->last_row, 1);
          self->last_row++;
          trim_rows (self, TRUE);
        }
    }
  while (g_get_monotonic_time () < deadline &&
         (earlier ? self->first_row > 0
                  : self->last_row < g_list_model_get_n_items (model)));

  mark_last_row (self);

  return G_SOURCE_CONTINUE;
}

static void
show_tail (ConfabWindow *self,
           GListModel   *model)
{
  guint n_items = g_list_model_get_n_items (model);

  remove_all_rows (self);
  self->first_row = self->last_row = n_items > ROW_BATCH ? n_items - ROW_BATCH : 0;
  add_rows (self, model, self->first_row, n_items - self->first_row);
  self->last_row = n_items;
}

/* A long conversation opens with its last rows made; the others come in as
 * the user scrolls up, so opening costs the same for 10 and 10,000. */
static ConfabApplication *get_app (ConfabWindow *self);

/* The chat, the empty chat's suggestion, or, with no provider at all, the
 * welcome page that leads to adding one. */
static void
update_page (ConfabWindow *self)
{
  GListModel *messages = confab_conversation_get_messages (self->conversation);
  ConfabApplication *app = get_app (self);
  ConfabProfiles *profiles = app != NULL ? confab_application_get_profiles (app) : NULL;

  gboolean welcomed = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "welcome") == 0;

  if (g_list_model_get_n_items (messages) > 0)
    gtk_stack_set_visible_child_name (self->stack, "chat");
  else if (profiles != NULL && g_list_model_get_n_items (G_LIST_MODEL (profiles)) == 0)
    gtk_stack_set_visible_child_name (self->stack, "welcome");
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");

  /* The welcome page had the focus: with a provider, the user types. */
  if (welcomed && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "welcome") != 0)
    confab_composer_grab_focus (self->composer);
}

static void
items_changed_cb (ConfabWindow *self,
                  guint         position,
                  guint         removed,
                  guint         added,
                  GListModel   *model)
{
  guint n_items = g_list_model_get_n_items (model);
  guint old_n_items = n_items - added + removed;

  if (position < self->first_row || self->last_row < old_n_items ||
      position + removed > self->last_row)
    {
      /* A change outside a window of rows that does not reach the end:
       * the tail is made again, where a change brings the view. */
      show_tail (self, model);
    }
  else
    {
      for (guint i = 0; i < removed; i++)
        {
          gtk_box_remove (GTK_BOX (self->message_box), row_at (self, position));
          self->last_row--;
        }
      add_rows (self, model, position, added);
      self->last_row += added;
    }

  /* A new message brings the view back to the end. */
  if (added > 0)
    self->stick_to_bottom = TRUE;

  /* An edited message that is gone is edited no more. */
  if (self->editing != NULL && removed > 0)
    {
      guint found;

      if (!g_list_store_find (G_LIST_STORE (model), self->editing, &found))
        cancel_edit (self);
    }

  mark_last_row (self);
  update_page (self);
  update_actions (self);
}

static void
announce_reply (ConfabWindow  *self,
                ConfabMessage *reply)
{
  switch (confab_message_get_state (reply))
    {
    case CONFAB_MESSAGE_STATE_COMPLETE:
      confab_compat_announce (GTK_WIDGET (self), _("The reply is complete."));
      break;
    case CONFAB_MESSAGE_STATE_STOPPED:
      confab_compat_announce (GTK_WIDGET (self), _("The reply was stopped."));
      break;
    case CONFAB_MESSAGE_STATE_FAILED:
    case CONFAB_MESSAGE_STATE_INTERRUPTED:
      confab_compat_announce (GTK_WIDGET (self), _("The reply failed."));
      break;
    case CONFAB_MESSAGE_STATE_PENDING:
    case CONFAB_MESSAGE_STATE_STREAMING:
    default:
      break;
    }
}

static void
reply_finished_cb (ConfabWindow       *self,
                   ConfabMessage      *reply,
                   ConfabConversation *conversation)
{
  update_actions (self);
  announce_reply (self, reply);
  /* Its time moved it to the top. */
  confab_sidebar_reload (self->sidebar);
}

/* The header shows the chat's title; the window keeps the app's name,
 * which the window list and the shell show. */
static void
show_title (ConfabWindow *self,
            const char   *title)
{
  gtk_label_set_label (self->window_title,
                       title != NULL && *title != '\0' ? title : _("Confab"));
}

static void
title_cb (ConfabWindow *self)
{
  show_title (self, confab_conversation_get_title (self->conversation));
  confab_sidebar_reload (self->sidebar);
}

static void
conversation_id_cb (ConfabWindow *self)
{
  confab_sidebar_set_current (self->sidebar, confab_conversation_get_id (self->conversation));
  confab_sidebar_reload (self->sidebar);
  update_actions (self);
}

static void
show_model (ConfabWindow *self)
{
  confab_model_picker_set_model (self->model_picker,
                                 confab_conversation_get_model (self->conversation));
}

/* The user chose a model in the header bar: the chat asks it from now on,
 * and keeps it. */
static void
model_chosen_cb (ConfabWindow      *self,
                 GParamSpec        *pspec,
                 ConfabModelPicker *picker)
{
  const char *model = confab_model_picker_get_model (picker);

  if (self->conversation != NULL && model != NULL &&
      g_strcmp0 (model, confab_conversation_get_model (self->conversation)) != 0)
    confab_conversation_set_model (self->conversation, model);
}

static const char *
active_profile_id (ConfabWindow *self);

/* A models request, and the provider it asked. */
typedef struct
{
  ConfabWindow *self;
  char         *profile_id;
} ModelsWanted;

static void
models_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ModelsWanted *wanted = user_data;
  g_autoptr(ConfabWindow) self = wanted->self;
  g_autofree char *profile_id = wanted->profile_id;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;

  g_free (wanted);

  models = confab_client_list_models_finish (CONFAB_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Another provider was chosen meanwhile: this list is not its. */
  if (g_strcmp0 (profile_id, active_profile_id (self)) != 0)
    return;

  if (models == NULL)
    {
      confab_model_picker_set_problem (self->model_picker, error->message);
      return;
    }

  g_ptr_array_add (models, NULL);
  confab_model_picker_set_models (self->model_picker, (const char * const *)models->pdata);
  if (profile_id != NULL)
    g_hash_table_replace (self->models, g_strdup (profile_id),
                          g_strdupv ((char **)models->pdata));
}

static void
model_picker_done_cb (ConfabWindow      *self,
                      ConfabModelPicker *picker)
{
  confab_composer_grab_focus (self->composer);
}

static const char *
active_profile_id (ConfabWindow *self)
{
  ConfabProfiles *profiles = confab_application_get_profiles (get_app (self));
  ConfabProfile *profile = profiles != NULL ? confab_profiles_get_active (profiles) : NULL;

  return profile != NULL ? confab_profile_get_id (profile) : NULL;
}

static void
models_wanted_cb (ConfabWindow      *self,
                  ConfabModelPicker *picker)
{
  ConfabApplication *app = get_app (self);
  ModelsWanted *wanted = g_new0 (ModelsWanted, 1);

  wanted->self = g_object_ref (self);
  wanted->profile_id = g_strdup (active_profile_id (self));
  confab_model_picker_set_loading (picker, TRUE);
  confab_client_list_models_async (confab_application_get_client (app), self->cancellable,
                                   models_listed_cb, wanted);
}

/* Each provider has its own models: those it listed this session, or
 * none until the picker asks. */
static void
active_profile_cb (ConfabWindow *self)
{
  const char *id = active_profile_id (self);
  const char * const *models = id != NULL ? g_hash_table_lookup (self->models, id) : NULL;

  if (models != NULL)
    confab_model_picker_set_models (self->model_picker, models);
  else
    confab_model_picker_forget_models (self->model_picker);
}

static void
toast (ConfabWindow *self,
       const char   *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Said once for a run of failures: the conversation tries again by
 * itself, and says when it has saved everything. */
static void
save_failed_cb (ConfabWindow       *self,
                const GError       *error,
                ConfabConversation *conversation)
{
  g_autofree char *text = NULL;

  /* The store's message carries SQLite's own words, too long for a toast
   * when the cause is plain. */
  if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_FULL))
    text = g_strdup (_("The disk is full. This chat stays here and is saved once there is space."));
  else if (g_error_matches (error, CONFAB_STORE_ERROR, CONFAB_STORE_ERROR_READ_ONLY))
    text = g_strdup (_("The history is read-only. This chat stays here and is saved once it can be."));
  else
    text = g_strdup_printf (/* Translators: %s says why */
                            _("This chat could not be saved, and is tried again: %s"),
                            error->message);
  toast (self, text);
}

static void
save_failing_cb (ConfabWindow       *self,
                 GParamSpec         *pspec,
                 ConfabConversation *conversation)
{
  if (!confab_conversation_get_save_failing (conversation))
    toast (self, _("This chat is saved again."));
}

static void
unsaved_saved_cb (ConfabWindow       *self,
                  GParamSpec         *pspec,
                  ConfabConversation *conversation)
{
  if (confab_conversation_get_save_failing (conversation))
    return;

  g_signal_handlers_disconnect_by_func (conversation, unsaved_saved_cb, self);
  g_ptr_array_remove (self->unsaved, conversation);
}

/* A conversation left with something unsaved stays alive, trying again,
 * until all of it is saved. */
static void
keep_if_unsaved (ConfabWindow       *self,
                 ConfabConversation *conversation)
{
  if (!confab_conversation_get_save_failing (conversation))
    return;

  g_ptr_array_add (self->unsaved, g_object_ref (conversation));
  g_signal_connect_object (conversation, "notify::save-failing", G_CALLBACK (unsaved_saved_cb),
                           self, G_CONNECT_SWAPPED);
}

static ConfabConversation *
take_unsaved (ConfabWindow *self,
              gint64        conversation_id)
{
  for (guint i = 0; i < self->unsaved->len; i++)
    {
      ConfabConversation *conversation = g_ptr_array_index (self->unsaved, i);

      if (confab_conversation_get_id (conversation) == conversation_id)
        {
          g_signal_handlers_disconnect_by_func (conversation, unsaved_saved_cb, self);
          return g_ptr_array_steal_index (self->unsaved, i);
        }
    }

  return NULL;
}

static void
set_conversation (ConfabWindow       *self,
                  ConfabConversation *conversation)
{
  GListModel *messages;

  if (self->conversation != NULL)
    {
      GListModel *old = confab_conversation_get_messages (self->conversation);

      confab_conversation_stop (self->conversation);
      g_signal_handlers_disconnect_by_data (self->conversation, self);
      g_signal_handlers_disconnect_by_data (old, self);
      keep_if_unsaved (self, self->conversation);
    }
  g_set_object (&self->conversation, conversation);

  messages = confab_conversation_get_messages (conversation);
  g_signal_connect_object (messages, "items-changed", G_CALLBACK (items_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::is-streaming", G_CALLBACK (update_actions),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "reply-finished", G_CALLBACK (reply_finished_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::model", G_CALLBACK (show_model),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "save-failed", G_CALLBACK (save_failed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::save-failing", G_CALLBACK (save_failing_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::id", G_CALLBACK (conversation_id_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "notify::title", G_CALLBACK (title_cb),
                           self, G_CONNECT_SWAPPED);
  cancel_edit (self);
  show_tail (self, messages);
  mark_last_row (self);
  self->stick_to_bottom = TRUE;
  update_page (self);
  update_actions (self);
  show_model (self);
  show_title (self, confab_conversation_get_title (conversation));
  confab_sidebar_set_current (self->sidebar, confab_conversation_get_id (conversation));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

static ConfabApplication *
get_app (ConfabWindow *self)
{
  return CONFAB_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
new_conversation (ConfabWindow *self)
{
  ConfabApplication *app = get_app (self);
  g_autoptr(ConfabConversation) conversation = NULL;

  conversation = confab_conversation_new_with_store (confab_application_get_client (app),
                                                     confab_application_get_store (app),
                                                     confab_application_get_model (app));
  if (confab_application_get_system_prompt (app) != NULL)
    confab_conversation_set_system_prompt (conversation,
                                           confab_application_get_system_prompt (app));
  set_conversation (self, conversation);
}

static void
latest_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(ConfabConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = confab_conversation_load_latest_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error != NULL)
    {
      g_autofree char *text =
        g_strdup_printf (/* Translators: %s says why */
                         _("The last conversation could not be read: %s"), error->message);

      toast (self, text);
    }

  /* Whatever the user began meanwhile stays. */
  if (g_list_model_get_n_items (confab_conversation_get_messages (self->conversation)) > 0)
    return;

  if (conversation != NULL)
    set_conversation (self, conversation);
  else
    new_conversation (self);
}

/* Opens the latest conversation once the history is open. */
static void
store_ready_cb (ConfabWindow *self)
{
  ConfabApplication *app = get_app (self);
  ConfabStore *store;

  if (app == NULL || !confab_application_get_store_ready (app))
    return;

  g_signal_handlers_disconnect_by_func (app, store_ready_cb, self);

  if (confab_application_get_store_problem (app) != NULL)
    toast (self, confab_application_get_store_problem (app));

  store = confab_application_get_store (app);
  if (store == NULL)
    return;

  confab_sidebar_set_store (self->sidebar, store);
  if (self->translate_view != NULL)
    confab_translate_view_set_store (self->translate_view, store);
  confab_conversation_load_latest_async (confab_application_get_client (app), store,
                                         self->cancellable, latest_loaded_cb,
                                         g_object_ref (self));
}

static gboolean
unmark_found_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->found_timeout_id = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (self->message_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_remove_css_class (child, "found");

  return G_SOURCE_REMOVE;
}

/* Brings the message a search found into view and marks it for a moment. */
static void
reveal_found (ConfabWindow *self)
{
  GListModel *model = confab_conversation_get_messages (self->conversation);
  gint64 id = self->found_id;
  GtkWidget *row;
  guint position;

  self->found_id = 0;
  if (id == 0 || !confab_conversation_find_message (self->conversation, id, &position))
    return;

  /* Out of the rows made, the rows are made again around it. */
  if (position < self->first_row || position >= self->last_row)
    {
      guint n_items = g_list_model_get_n_items (model);
      guint first = position > 2 ? position - 2 : 0;
      guint n = MIN (n_items - first, ROW_BATCH);

      remove_all_rows (self);
      self->first_row = self->last_row = first;
      add_rows (self, model, first, n);
      self->last_row = first + n;
      mark_last_row (self);
    }

  row = row_at (self, position);
  if (row == NULL)
    return;

  g_set_object (&self->found, row);
  self->found_frames = FOUND_FRAMES;
  unmark_found_cb (self);
  gtk_widget_add_css_class (row, "found");
  g_clear_handle_id (&self->found_timeout_id, g_source_remove);
  self->found_timeout_id = g_timeout_add_seconds (3, unmark_found_cb, self);
  gtk_widget_queue_resize (self->message_box);
}

static void
conversation_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(ConfabConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = confab_conversation_load_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (conversation == NULL)
    {
      g_autofree char *text =
        g_strdup_printf (/* Translators: %s says why */
                         _("The chat could not be opened: %s"), error->message);

      toast (self, text);
      return;
    }

  set_conversation (self, conversation);
  reveal_found (self);
}

/**
 * confab_window_open_conversation:
 * @self: a #ConfabWindow
 * @conversation_id: a stored conversation
 *
 * Reads the conversation from the history and shows it; "notify::conversation"
 * tells when it is shown.
 */
void
confab_window_open_conversation (ConfabWindow *self,
                                 gint64        conversation_id)
{
  ConfabApplication *app = get_app (self);
  ConfabStore *store = confab_application_get_store (app);
  g_autoptr(ConfabConversation) unsaved = NULL;

  g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);

  if (store == NULL || conversation_id == confab_conversation_get_id (self->conversation))
    return;

  /* The store has not all of it: the one in memory is the whole. */
  unsaved = take_unsaved (self, conversation_id);
  if (unsaved != NULL)
    {
      set_conversation (self, unsaved);
      reveal_found (self);
      return;
    }

  self->open_cancellable = g_cancellable_new ();
  confab_conversation_load_async (confab_application_get_client (app), store, conversation_id,
                                  self->open_cancellable, conversation_loaded_cb,
                                  g_object_ref (self));
}

static void
sidebar_activated_cb (ConfabWindow  *self,
                      gint64         conversation_id,
                      gint64         message_id,
                      gboolean       done,
                      ConfabSidebar *sidebar)
{
  /* A search result: its message is shown once the chat is open. */
  self->found_id = message_id;
  if (conversation_id == confab_conversation_get_id (self->conversation))
    reveal_found (self);
  else
    confab_window_open_conversation (self, conversation_id);

  /* Folded, the list covers the chat: the choice made, it gives way. */
  if (adw_flap_get_folded (self->flap) && done)
    adw_flap_set_reveal_flap (self->flap, FALSE);
  if (done)
    confab_composer_grab_focus (self->composer);
}

static void
sidebar_deleted_cb (ConfabWindow  *self,
                    gint64         conversation_id,
                    ConfabSidebar *sidebar)
{
  g_autoptr(ConfabConversation) unsaved = NULL;

  if (conversation_id == confab_conversation_get_id (self->conversation))
    new_conversation (self);

  /* Deleted, it has nothing left to save. */
  unsaved = take_unsaved (self, conversation_id);
}

static void
sidebar_renamed_cb (ConfabWindow  *self,
                    gint64         conversation_id,
                    const char    *title,
                    ConfabSidebar *sidebar)
{
  if (conversation_id == confab_conversation_get_id (self->conversation))
    show_title (self, title);
}

static void
folded_cb (ConfabWindow *self)
{
  gboolean folded = adw_flap_get_folded (self->flap);

  adw_header_bar_set_show_start_title_buttons (self->content_header_bar, folded);
  confab_sidebar_set_show_start_buttons (self->sidebar, !folded);
}

/* The header bar had no room for the view switcher: it shows at the
 * bottom instead. */
static void
squeezed_cb (ConfabWindow *self)
{
  GtkWidget *shown = adw_squeezer_get_visible_child (self->switcher_squeezer);

  adw_view_switcher_bar_set_reveal (self->switcher_bar, shown != self->header_switcher);
}

static void
resend (ConfabWindow *self,
        const char   *text)
{
  g_autoptr(ConfabMessage) message = g_object_ref (self->editing);

  if (confab_conversation_edit_and_resend (self->conversation, message, text))
    {
      cancel_edit (self);
      self->stick_to_bottom = TRUE;
    }
}

static void
replace_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     ConfabWindow     *self)
{
  const char *text = g_object_get_data (G_OBJECT (dialog), "confab-text");

  if (g_str_equal (response, "replace") && self->editing != NULL)
    resend (self, text);
}

static void
composer_send_cb (ConfabWindow   *self,
                  const char     *text,
                  ConfabComposer *composer)
{
  AdwMessageDialog *dialog;

  if (self->editing == NULL)
    {
      if (confab_conversation_send (self->conversation, text))
        confab_composer_set_text (composer, NULL);
      return;
    }

  if (confab_conversation_get_is_streaming (self->conversation))
    return;

  /* The replies after the message are lost: asked first. */
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Replace the Later Messages?"),
                                                       _("The messages after the one you "
                                                         "edited are deleted, and a new "
                                                         "reply is written.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "replace", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "replace", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "replace");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "confab-text", g_strdup (text), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (replace_response_cb), self, 0);
  confab_compat_fix_accessible_names (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
suggestion_clicked_cb (ConfabWindow *self,
                       GtkButton    *button)
{
  confab_conversation_send (self->conversation, suggestion);
  confab_composer_grab_focus (self->composer);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  confab_conversation_stop (CONFAB_WINDOW (widget)->conversation);
}

static void
cancel_edit_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  cancel_edit (self);
  confab_composer_grab_focus (self->composer);
}

/* Escape stops a reply, or else an edit. */
static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (confab_conversation_get_is_streaming (self->conversation))
    confab_conversation_stop (self->conversation);
  else if (self->editing != NULL)
    cancel_edit_action (widget, NULL, NULL);
  else
    return FALSE;

  return TRUE;
}

static void
last_reply_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabMessage *last = confab_conversation_get_last_reply (self->conversation);

  if (last == NULL)
    return;

  if (g_str_equal (action_name, "chat.regenerate"))
    {
      self->stick_to_bottom = TRUE;
      confab_conversation_regenerate (self->conversation);
    }
  else if (g_str_equal (action_name, "chat.continue"))
    {
      self->stick_to_bottom = TRUE;
      confab_conversation_continue (self->conversation);
    }
  else if (g_str_equal (action_name, "chat.previous-variant"))
    {
      confab_conversation_select_variant (self->conversation, last,
                                          confab_message_get_variant_index (last) - 1);
    }
  else if (g_str_equal (action_name, "chat.next-variant"))
    {
      confab_conversation_select_variant (self->conversation, last,
                                          confab_message_get_variant_index (last) + 1);
    }
  update_actions (self);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  self->stick_to_bottom = TRUE;
  confab_conversation_retry (self->conversation);
}

static void
trust_response_cb (ConfabWindow   *self,
                   const char     *response,
                   AdwMessageDialog *dialog)
{
  ConfabApplication *app = get_app (self);
  ConfabProfiles *profiles = confab_application_get_profiles (app);
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "confab-fingerprint");
  ConfabProfile *profile = profiles != NULL ? confab_profiles_get_active (profiles) : NULL;

  if (g_strcmp0 (response, "trust") != 0 || profile == NULL)
    return;

  /* The profile's change reaches the client at once. */
  confab_profile_set_pinned_certificate (profile, fingerprint);
  self->stick_to_bottom = TRUE;
  confab_conversation_retry (self->conversation);
}

/* Shows the fingerprint of the certificate that could not be verified,
 * and trusts it, and no other, for the provider in use if asked to. */
static void
trust_certificate_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabApplication *app = get_app (self);
  ConfabClient *client = confab_application_get_client (app);
  const char *fingerprint = confab_client_get_last_certificate_fingerprint (client);
  ConfabProfiles *profiles = confab_application_get_profiles (app);
  ConfabProfile *profile = profiles != NULL ? confab_profiles_get_active (profiles) : NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (fingerprint == NULL || profile == NULL)
    return;

  body = g_strdup_printf (/* Translators: %1$s is a URL, %2$s a fingerprint, %3$s a name */
                          _("The certificate of %1$s could not be verified. Its SHA-256 "
                            "fingerprint is\n\n%2$s\n\nTrust it only if it is the one your "
                            "server shows. Confab will then accept this certificate, and no "
                            "other, for the provider “%3$s”."),
                          confab_client_get_base_url (client), fingerprint,
                          confab_profile_get_name (profile));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Trust This Certificate?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "trust", _("_Trust"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "trust", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "confab-fingerprint", g_strdup (fingerprint),
                          g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (trust_response_cb), self,
                           G_CONNECT_SWAPPED);
  confab_compat_fix_accessible_names (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
copy_last_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabMessage *last = confab_conversation_get_last_reply (self->conversation);

  if (last != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), confab_message_get_content (last));
}

/* The shortcuts window is built when asked for and destroyed when it
 * closes, not kept hidden as GtkApplication's automatic help overlay is.
 * GTK 4.8 answers an accessibility client that asks for a toplevel past
 * the visible ones (as Orca or a test may, between a window closing and
 * its next look) with the last window of its list; a hidden one there has
 * no object path, and GTK crashes building the answer. */
static void
show_help_overlay_activated (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  ConfabWindow *self = CONFAB_WINDOW (user_data);

  if (self->shortcuts == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/io/github/confab/Confab/ui/confab-shortcuts.ui");

      self->shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
      gtk_window_set_transient_for (self->shortcuts, GTK_WINDOW (self));
      g_object_add_weak_pointer (G_OBJECT (self->shortcuts), (gpointer *)&self->shortcuts);
    }
  gtk_window_present (self->shortcuts);
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  new_conversation (self);
  if (adw_flap_get_folded (self->flap))
    adw_flap_set_reveal_flap (self->flap, FALSE);
  confab_composer_grab_focus (self->composer);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, TRUE);
  confab_sidebar_start_search (self->sidebar);
}

static void
toggle_sidebar_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
}

static void
current_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  gint64 id = confab_conversation_get_id (self->conversation);

  if (id <= 0)
    return;

  if (g_str_equal (action_name, "chat.rename"))
    confab_sidebar_rename (self->sidebar, id);
  else if (g_str_equal (action_name, "chat.delete"))
    confab_sidebar_delete (self->sidebar, id);
}

static void
undo_delete_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  confab_sidebar_undo_delete (CONFAB_WINDOW (widget)->sidebar, g_variant_get_int64 (parameter));
}

/* The model and the system prompt of the chat shown */

static void
settings_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      ConfabWindow     *self)
{
  GtkEditable *model = g_object_get_data (G_OBJECT (dialog), "confab-model");
  GtkTextBuffer *prompt = g_object_get_data (G_OBJECT (dialog), "confab-prompt");
  g_autofree char *model_text = NULL;
  g_autofree char *prompt_text = NULL;
  GtkTextIter start, end;

  confab_composer_grab_focus (self->composer);
  if (!g_str_equal (response, "save"))
    return;

  model_text = g_strstrip (g_strdup (gtk_editable_get_text (model)));
  gtk_text_buffer_get_bounds (prompt, &start, &end);
  prompt_text = gtk_text_buffer_get_text (prompt, &start, &end, FALSE);
  g_strstrip (prompt_text);

  if (*model_text != '\0')
    confab_conversation_set_model (self->conversation, model_text);
  confab_conversation_set_system_prompt (self->conversation,
                                         *prompt_text != '\0' ? prompt_text : NULL);
}

static void
settings_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  const char *model = confab_conversation_get_model (self->conversation);
  const char *prompt = confab_conversation_get_system_prompt (self->conversation);
  GtkWidget *dialog;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *model_label = gtk_label_new_with_mnemonic (_("_Model"));
  GtkWidget *model_entry = gtk_entry_new ();
  GtkWidget *prompt_label = gtk_label_new_with_mnemonic (_("_System prompt"));
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *prompt_view = gtk_text_view_new ();

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Chat Settings"),
                                   _("They apply to this chat only."));

  gtk_label_set_xalign (GTK_LABEL (model_label), 0);
  /* The mnemonic label names the field for screen readers too, once
   * confab_compat_fix_accessible_names () has undone GTK 4.8's double. */
  gtk_label_set_mnemonic_widget (GTK_LABEL (model_label), model_entry);
  gtk_editable_set_text (GTK_EDITABLE (model_entry), model != NULL ? model : "");
  gtk_box_append (GTK_BOX (box), model_label);
  gtk_box_append (GTK_BOX (box), model_entry);

  gtk_label_set_xalign (GTK_LABEL (prompt_label), 0);
  gtk_label_set_mnemonic_widget (GTK_LABEL (prompt_label), prompt_view);
  gtk_widget_set_margin_top (prompt_label, 6);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (prompt_view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (prompt_view), FALSE);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (prompt_view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (prompt_view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (prompt_view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (prompt_view), 6);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (prompt_view)),
                            prompt != NULL ? prompt : "", -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), prompt_view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 120);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_widget_add_css_class (scroller, "card");
  gtk_box_append (GTK_BOX (box), prompt_label);
  gtk_box_append (GTK_BOX (box), scroller);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_entry_set_activates_default (GTK_ENTRY (model_entry), TRUE);
  g_object_set_data (G_OBJECT (dialog), "confab-model", model_entry);
  g_object_set_data (G_OBJECT (dialog), "confab-prompt",
                     gtk_text_view_get_buffer (GTK_TEXT_VIEW (prompt_view)));
  g_signal_connect_object (dialog, "response", G_CALLBACK (settings_response_cb), self, 0);
  confab_compat_fix_accessible_names (GTK_WIDGET (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (model_entry);
}

/* Export and import */

typedef struct
{
  ConfabWindow             *self;
  ConfabStoredConversation *conversation;
  GPtrArray                *messages;
  GtkNativeDialog          *dialog;
  GFile                    *file;
  char                     *text;
  gint64                    id;
  gboolean                  json;
} Transfer;

/* The file chooser goes as soon as it has answered: a hidden window left
 * among the toplevels can crash GTK 4.8's accessibility (see
 * show_help_overlay_activated()). */
static void
transfer_close_dialog (Transfer *transfer)
{
  if (transfer->dialog != NULL)
    gtk_native_dialog_destroy (transfer->dialog);
  g_clear_object (&transfer->dialog);
}

static void
transfer_free (Transfer *transfer)
{
  g_clear_object (&transfer->self);
  g_clear_pointer (&transfer->conversation, confab_stored_conversation_free);
  g_clear_pointer (&transfer->messages, g_ptr_array_unref);
  transfer_close_dialog (transfer);
  g_clear_object (&transfer->file);
  g_clear_pointer (&transfer->text, g_free);
  g_free (transfer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Transfer, transfer_free)

static Transfer *
transfer_new (ConfabWindow *self)
{
  Transfer *transfer = g_new0 (Transfer, 1);

  transfer->self = g_object_ref (self);

  return transfer;
}

/* A file name from the title: no folders, no control characters, not too
 * long. */
static char *
file_name_for (const char *title,
               const char *extension)
{
  g_autoptr(GString) name = g_string_new (NULL);

  for (const char *p = title != NULL ? title : ""; *p != '\0' && name->len < 80;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\' || c == ':' || g_unichar_iscntrl (c))
        g_string_append_c (name, '-');
      else
        g_string_append_unichar (name, c);
    }
  g_strstrip (name->str);
  name->len = strlen (name->str);
  if (name->len == 0 || name->str[0] == '.')
    g_string_prepend (name, _("Chat"));

  g_string_append (name, extension);
  return g_string_free (g_steal_pointer (&name), FALSE);
}

static void
export_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (object));

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: the file name, then why */
                          _("“%s” could not be written: %s"), name, error->message);
      return;
    }

  {
    /* Translators: %s is a file name */
    g_autofree char *text = g_strdup_printf (_("Exported to “%s”"), name);

    toast (transfer->self, text);
  }
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    Transfer        *transfer)
{
  g_autoptr(GFile) file = NULL;
  char *text;

  if (response != GTK_RESPONSE_ACCEPT)
    {
      transfer_free (transfer);
      return;
    }

  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  transfer_close_dialog (transfer);
  text = transfer->text;
  g_file_replace_contents_async (file, text, strlen (text), NULL, FALSE,
                                 G_FILE_CREATE_REPLACE_DESTINATION, NULL, export_written_cb,
                                 transfer);
}

static void
export_messages_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(GError) error = NULL;
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;

  transfer->messages = confab_store_list_messages_finish (CONFAB_STORE (object), result, &error);
  if (transfer->messages == NULL)
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: %s says why */
                          _("The chat could not be read: %s"), error->message);
      return;
    }

  if (transfer->json)
    transfer->text = confab_transfer_to_json (transfer->conversation, transfer->messages);
  else
    transfer->text = confab_transfer_to_markdown (transfer->conversation, transfer->messages);

  chooser = gtk_file_chooser_native_new (transfer->json ? _("Export as JSON")
                                                        : _("Export as Markdown"),
                                         GTK_WINDOW (transfer->self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), NULL);
  name = file_name_for (transfer->conversation->title, transfer->json ? ".json" : ".md");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  transfer->dialog = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), transfer);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
  g_steal_pointer (&transfer);
}

static void
export_conversation_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  transfer->conversation = confab_store_get_conversation_finish (CONFAB_STORE (object), result,
                                                                  &error);
  if (transfer->conversation == NULL)
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: %s says why */
                          _("The chat could not be read: %s"), error->message);
      return;
    }

  id = transfer->id;
  confab_store_list_messages_async (CONFAB_STORE (object), id, 0, G_MAXUINT, NULL,
                                    export_messages_cb, g_steal_pointer (&transfer));
}

static void
export_conversation (ConfabWindow *self,
                     gint64        conversation_id,
                     gboolean      json)
{
  ConfabStore *store = confab_application_get_store (get_app (self));
  Transfer *transfer;

  if (store == NULL || conversation_id <= 0)
    return;

  transfer = transfer_new (self);
  transfer->id = conversation_id;
  transfer->json = json;
  confab_store_get_conversation_async (store, conversation_id, NULL, export_conversation_cb,
                                       transfer);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  gint64 id = parameter != NULL ? g_variant_get_int64 (parameter)
                                : confab_conversation_get_id (self->conversation);

  export_conversation (self, id, strstr (action_name, "json") != NULL);
}

static void
imported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(ConfabStoredConversation) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (transfer->file);

  stored = confab_store_import_conversation_finish (CONFAB_STORE (object), result, &error);
  if (stored == NULL)
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: the file name, then why */
                          _("“%s” could not be imported: %s"), name, error->message);
      return;
    }

  confab_sidebar_reload (transfer->self->sidebar);
  confab_window_open_conversation (transfer->self, stored->id);
  {
    /* Translators: %s is the title of a chat */
    g_autofree char *text = g_strdup_printf (_("Imported “%s”"), stored->title);

    toast (transfer->self, text);
  }
}

static void
parse_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  ConfabStoredConversation *conversation = NULL;
  GPtrArray *messages = NULL;
  GError *error = NULL;

  if (!confab_transfer_parse_json (data, len, &conversation, &messages, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_set_task_data (task, conversation, (GDestroyNotify)confab_stored_conversation_free);
  g_task_return_pointer (task, messages, (GDestroyNotify)g_ptr_array_unref);
}

static void
parsed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (transfer->file);
  ConfabStore *store = confab_application_get_store (get_app (transfer->self));

  transfer->messages = g_task_propagate_pointer (G_TASK (result), &error);
  if (transfer->messages == NULL)
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: the file name, then why */
                          _("“%s” could not be imported: %s"), name, error->message);
      return;
    }
  transfer->conversation = confab_stored_conversation_copy (g_task_get_task_data (G_TASK (result)));

  if (store == NULL)
    return;

  /* The store copies what it needs before the call returns. */
  confab_store_import_conversation_async (store, transfer->conversation, transfer->messages, NULL,
                                          imported_cb, transfer);
  g_steal_pointer (&transfer);
}

static void
import_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Transfer) transfer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (object));
  char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      confab_toast_error (GTK_WIDGET (transfer->self->toast_overlay), error,
                          /* Translators: the file name, then why */
                          _("“%s” could not be read: %s"), name, error->message);
      return;
    }

  /* A big file is parsed off the main loop. */
  task = g_task_new (NULL, NULL, parsed_cb, g_steal_pointer (&transfer));
  g_task_set_task_data (task, g_bytes_new_take (contents, length), (GDestroyNotify)g_bytes_unref);
  g_task_run_in_thread (task, parse_thread);
}

static void
import_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    Transfer        *transfer)
{
  if (response != GTK_RESPONSE_ACCEPT)
    {
      transfer_free (transfer);
      return;
    }

  transfer->file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  transfer_close_dialog (transfer);
  g_file_load_contents_async (transfer->file, NULL, import_loaded_cb, transfer);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  Transfer *transfer = transfer_new (self);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) json = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Import Chat"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), NULL);
  gtk_file_filter_set_name (json, _("Chats in JSON"));
  gtk_file_filter_add_mime_type (json, "application/json");
  gtk_file_filter_add_suffix (json, "json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), json);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  transfer->dialog = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (import_response_cb), transfer);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
confab_window_realize (GtkWidget *widget)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  GTK_WIDGET_CLASS (confab_window_parent_class)->realize (widget);

  /* After GTK's own layout handler, which was connected first. */
  g_signal_connect_object (gtk_widget_get_frame_clock (widget), "layout",
                           G_CALLBACK (frame_layout_cb), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

static void
confab_window_unrealize (GtkWidget *widget)
{
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (widget),
                                        frame_layout_cb, widget);

  GTK_WIDGET_CLASS (confab_window_parent_class)->unrealize (widget);
}

/* A provider chosen on the welcome page: its page opens in the
 * preferences, to check the address or give the key. */
static void
add_provider_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  const char *preset = g_variant_get_string (parameter, NULL);

  confab_application_show_preferences (get_app (CONFAB_WINDOW (widget)),
                                       *preset != '\0' ? preset : NULL);
}

/* The profile in use changed its model: an empty chat follows it. */
static void
app_model_cb (ConfabWindow *self)
{
  GListModel *messages = confab_conversation_get_messages (self->conversation);

  if (g_list_model_get_n_items (messages) == 0)
    confab_conversation_set_model (self->conversation, confab_application_get_model (get_app (self)));
}

/* Makes the Translate view the first time it is shown; the store, if
 * it opens later, is given to it by store_ready_cb(). */
static void
ensure_translate_view (ConfabWindow *self)
{
  ConfabApplication *app = get_app (self);

  if (self->translate_view != NULL)
    return;

  self->translate_view = g_object_new (CONFAB_TYPE_TRANSLATE_VIEW, NULL);
  adw_bin_set_child (self->translate_bin, GTK_WIDGET (self->translate_view));
  confab_translate_view_set_settings (self->translate_view, confab_application_get_settings (app));
  if (confab_application_get_store (app) != NULL)
    confab_translate_view_set_store (self->translate_view, confab_application_get_store (app));
}

/* The Translate view asks the model of the chat shown, through the same
 * client: the model button serves both. */
static void
view_changed_cb (ConfabWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (name, "translate") == 0)
    {
      ensure_translate_view (self);
      confab_translate_view_set_client (self->translate_view,
                                        confab_application_get_client (get_app (self)));
      confab_translate_view_set_model (self->translate_view,
                                       confab_conversation_get_model (self->conversation));
      confab_translate_view_focus_source (self->translate_view);
    }
  else
    confab_composer_grab_focus (self->composer);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack,
                                         g_variant_get_string (parameter, NULL));
}

static void
choose_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  confab_model_picker_popup (CONFAB_WINDOW (widget)->model_picker);
}

static void
confab_window_dispose (GObject *object)
{
  ConfabWindow *self = (ConfabWindow *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->open_cancellable);
  g_clear_object (&self->open_cancellable);
  if (gtk_window_get_application (GTK_WINDOW (self)) != NULL)
    g_signal_handlers_disconnect_by_func (gtk_window_get_application (GTK_WINDOW (self)),
                                          store_ready_cb, self);

  g_clear_object (&self->anchor);
  g_clear_object (&self->editing);
  g_clear_object (&self->found);
  if (self->shortcuts != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->shortcuts), (gpointer *)&self->shortcuts);
      gtk_window_destroy (g_steal_pointer (&self->shortcuts));
    }
  g_clear_handle_id (&self->found_timeout_id, g_source_remove);
  if (self->rows_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->rows_tick_id);
      self->rows_tick_id = 0;
    }

  /* Closing the window stops its request. */
  if (self->conversation != NULL)
    confab_conversation_stop (self->conversation);
  g_clear_object (&self->conversation);
  if (self->unsaved != NULL)
    {
      for (guint i = 0; i < self->unsaved->len; i++)
        g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->unsaved, i), self);
      g_clear_pointer (&self->unsaved, g_ptr_array_unref);
    }
  g_clear_pointer (&self->models, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_WINDOW);

  G_OBJECT_CLASS (confab_window_parent_class)->dispose (object);
}

static void
confab_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_class_init (ConfabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_window_dispose;
  object_class->get_property = confab_window_get_property;

  /**
   * ConfabWindow:conversation:
   *
   * The conversation shown.
   */
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, CONFAB_TYPE_CONVERSATION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  widget_class->realize = confab_window_realize;
  widget_class->unrealize = confab_window_unrealize;

  g_type_ensure (CONFAB_TYPE_COMPOSER);
  g_type_ensure (CONFAB_TYPE_SIDEBAR);
  g_type_ensure (CONFAB_TYPE_MODEL_PICKER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, flap);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_header_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, edit_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, model_picker);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, switcher_squeezer);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, header_switcher);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, translate_bin);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, suggestion_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, message_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, composer);
  gtk_widget_class_bind_template_callback (widget_class, composer_send_cb);
  gtk_widget_class_bind_template_callback (widget_class, suggestion_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_deleted_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_renamed_cb);
  gtk_widget_class_bind_template_callback (widget_class, folded_cb);
  gtk_widget_class_bind_template_callback (widget_class, squeezed_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_chosen_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_wanted_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_picker_done_cb);
  gtk_widget_class_bind_template_callback (widget_class, view_changed_cb);

  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "chat.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "chat.trust-certificate", NULL,
                                   trust_certificate_action);
  gtk_widget_class_install_action (widget_class, "chat.copy-last", NULL, copy_last_action);
  gtk_widget_class_install_action (widget_class, "chat.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "chat.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "chat.toggle-sidebar", NULL,
                                   toggle_sidebar_action);
  gtk_widget_class_install_action (widget_class, "chat.rename", NULL, current_action);
  gtk_widget_class_install_action (widget_class, "chat.delete", NULL, current_action);
  gtk_widget_class_install_action (widget_class, "chat.undo-delete", "x", undo_delete_action);
  gtk_widget_class_install_action (widget_class, "chat.regenerate", NULL, last_reply_action);
  gtk_widget_class_install_action (widget_class, "chat.continue", NULL, last_reply_action);
  gtk_widget_class_install_action (widget_class, "chat.previous-variant", NULL,
                                   last_reply_action);
  gtk_widget_class_install_action (widget_class, "chat.next-variant", NULL, last_reply_action);
  gtk_widget_class_install_action (widget_class, "chat.cancel-edit", NULL, cancel_edit_action);
  gtk_widget_class_install_action (widget_class, "chat.export-markdown", "x", export_action);
  gtk_widget_class_install_action (widget_class, "chat.export-json", "x", export_action);
  gtk_widget_class_install_action (widget_class, "chat.export-current-markdown", NULL,
                                   export_action);
  gtk_widget_class_install_action (widget_class, "chat.export-current-json", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "chat.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "chat.settings", NULL, settings_action);
  gtk_widget_class_install_action (widget_class, "chat.choose-model", NULL, choose_model_action);
  gtk_widget_class_install_action (widget_class, "chat.add-provider", "s", add_provider_action);
  gtk_widget_class_install_action (widget_class, "chat.show-view", "s", show_view_action);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK,
                                       "chat.regenerate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK,
                                       "chat.choose-model", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK,
                                       "chat.show-view", "s", "chat");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK,
                                       "chat.show-view", "s", "translate");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.copy-last", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "chat.new", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "chat.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F9, 0, "chat.toggle-sidebar", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "chat.rename", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "chat.import",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK,
                                       "chat.export-current-markdown", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "chat.export-current-json", NULL);
}

/* The setting changed: the rows made show their replies again. */
static void
render_markdown_cb (ConfabWindow *self,
                    const char   *key,
                    GSettings    *settings)
{
  self->render_markdown = g_settings_get_boolean (settings, "render-markdown");
  for (GtkWidget *child = gtk_widget_get_first_child (self->message_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    confab_message_row_set_render_markdown (CONFAB_MESSAGE_ROW (child), self->render_markdown);
}

static void
confab_window_init (ConfabWindow *self)
{
  GtkAdjustment *adjustment;

  static const GActionEntry actions[] = {
    { .name = "show-help-overlay", .activate = show_help_overlay_activated },
  };

  gtk_widget_init_template (GTK_WIDGET (self));
  folded_cb (self);
  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);

  self->stick_to_bottom = TRUE;
  self->render_markdown = TRUE;
  self->cancellable = g_cancellable_new ();
  self->unsaved = g_ptr_array_new_with_free_func (g_object_unref);
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_strfreev);
  gtk_label_set_label (self->suggestion_label, suggestion);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (adjustment_value_changed_cb),
                           self, G_CONNECT_SWAPPED);
  confab_scroll_follow_focus (self->scroller);
}

/**
 * confab_window_new:
 * @application: the application
 *
 * Returns: (transfer full): a new window with an empty conversation
 */
ConfabWindow *
confab_window_new (ConfabApplication *application)
{
  ConfabWindow *self;

  g_return_val_if_fail (CONFAB_IS_APPLICATION (application), NULL);

  self = g_object_new (CONFAB_TYPE_WINDOW, "application", application, NULL);
  if (confab_application_get_settings (application) != NULL)
    {
      g_signal_connect_object (confab_application_get_settings (application),
                               "changed::render-markdown", G_CALLBACK (render_markdown_cb),
                               self, G_CONNECT_SWAPPED);
      render_markdown_cb (self, "render-markdown", confab_application_get_settings (application));
    }
  /* Not in constructed (): GObject sets "application", which is not a
   * construct property, only after that. */
  new_conversation (self);
  confab_composer_grab_focus (self->composer);

  g_signal_connect_object (application, "notify::store-ready", G_CALLBACK (store_ready_cb),
                           self, G_CONNECT_SWAPPED);
  store_ready_cb (self);

  g_signal_connect_object (application, "notify::model", G_CALLBACK (app_model_cb),
                           self, G_CONNECT_SWAPPED);
  if (confab_application_get_profiles (application) != NULL)
    {
      g_signal_connect_object (confab_application_get_profiles (application), "items-changed",
                               G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (confab_application_get_profiles (application), "notify::active",
                               G_CALLBACK (active_profile_cb), self, G_CONNECT_SWAPPED);
    }
  update_page (self);

  return self;
}

/**
 * confab_window_get_conversation:
 * @self: a #ConfabWindow
 *
 * Returns: (transfer none): the conversation shown
 */
ConfabConversation *
confab_window_get_conversation (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->conversation;
}

/**
 * confab_window_translate:
 * @self: a #ConfabWindow
 * @text: (nullable): the text to translate, or %NULL for the clipboard's
 * @from: (nullable): the source language's tag, "auto" to detect it, or
 *   %NULL to keep the one chosen
 * @to: (nullable): the target language's tag, or %NULL to keep the one
 *   chosen
 *
 * Shows the Translate view and translates @text there, as the command
 * line and the application's actions ask.
 */
void
confab_window_translate (ConfabWindow *self,
                         const char   *text,
                         const char   *from,
                         const char   *to)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  adw_view_stack_set_visible_child_name (self->view_stack, "translate");
  /* Already shown, the view has not been told the client yet when the
   * window is new. */
  view_changed_cb (self);
  confab_translate_view_set_languages (self->translate_view, from, to);
  if (text != NULL)
    {
      confab_translate_view_set_source (self->translate_view, text);
      confab_translate_view_translate (self->translate_view);
    }
  else
    confab_translate_view_paste_and_translate (self->translate_view);
}
