/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-model-picker"

#include "config.h"

#include "confab-model-picker.h"

#include <glib/gi18n.h>
#include <string.h>

struct _ConfabModelPicker
{
  GtkWidget parent_instance;

  /* template children */
  GtkMenuButton *button;
  GtkLabel      *button_label;
  GtkPopover    *popover;
  GtkEntry      *entry;
  GtkStack      *stack;
  GtkListBox    *list;
  GtkLabel      *problem_label;

  /* owned */
  char  *model;
  GStrv  models;
  /* why there is no list, or NULL */
  char  *problem;

  /* plain state */
  gboolean loading;
  /* the server was asked once: opening again does not ask again */
  gboolean asked;
};

G_DEFINE_FINAL_TYPE (ConfabModelPicker, confab_model_picker, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REFRESH,
  DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_button (ConfabModelPicker *self)
{
  g_autofree char *description = NULL;
  const char *model = self->model != NULL && *self->model != '\0' ? self->model
                                                                   : _("No model");

  gtk_label_set_label (self->button_label, model);
  /* Translators: the accessible name of the header bar's model button */
  description = g_strdup_printf (_("Model: %s"), model);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  description, -1);
}

/* The models whose name holds what the entry says, or all of them. */
static void
fill_list (ConfabModelPicker *self)
{
  const char *filter = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autofree char *needle = g_utf8_casefold (filter, -1);
  GtkWidget *child;
  guint n = 0;

  /* The entry shows the current model at first: that is no filter. */
  if (g_strcmp0 (filter, self->model) == 0)
    g_clear_pointer (&needle, g_free);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);

  for (guint i = 0; self->models != NULL && self->models[i] != NULL; i++)
    {
      g_autofree char *name = g_utf8_casefold (self->models[i], -1);
      GtkWidget *label;
      GtkWidget *row;

      if (needle != NULL && strstr (name, needle) == NULL)
        continue;

      label = g_object_new (GTK_TYPE_LABEL,
                            "label", self->models[i],
                            "xalign", 0.0f,
                            "ellipsize", PANGO_ELLIPSIZE_MIDDLE,
                            NULL);
      row = gtk_list_box_row_new ();
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);
      g_object_set_data_full (G_OBJECT (row), "confab-model", g_strdup (self->models[i]), g_free);
      if (g_strcmp0 (self->models[i], self->model) == 0)
        gtk_widget_add_css_class (row, "current");
      gtk_list_box_append (self->list, row);
      n++;
    }

  if (self->loading)
    gtk_stack_set_visible_child_name (self->stack, "loading");
  else if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else
    {
      if (self->problem != NULL)
        gtk_label_set_label (self->problem_label, self->problem);
      else if (self->models != NULL && self->models[0] != NULL)
        gtk_label_set_label (self->problem_label,
                             _("No model has that name here. Press Enter to use it anyway."));
      else
        gtk_label_set_label (self->problem_label,
                             _("The server lists no models. Type the model’s name above."));
      gtk_stack_set_visible_child_name (self->stack, "problem");
    }
}

static void
choose (ConfabModelPicker *self,
        const char        *model)
{
  g_autofree char *stripped = g_strstrip (g_strdup (model));

  gtk_popover_popdown (self->popover);
  if (*stripped == '\0')
    return;

  confab_model_picker_set_model (self, stripped);
}

static void
entry_activate_cb (ConfabModelPicker *self,
                   GtkEntry          *entry)
{
  choose (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
entry_changed_cb (ConfabModelPicker *self,
                  GtkEntry          *entry)
{
  fill_list (self);
}

static void
row_activated_cb (ConfabModelPicker *self,
                  GtkListBoxRow     *row,
                  GtkListBox        *list)
{
  choose (self, g_object_get_data (G_OBJECT (row), "confab-model"));
}

static void
refresh_clicked_cb (ConfabModelPicker *self,
                    GtkButton         *button)
{
  self->asked = TRUE;
  g_signal_emit (self, signals[REFRESH], 0);
}

static void
popover_shown_cb (ConfabModelPicker *self,
                  GtkPopover        *popover)
{
  gtk_editable_set_text (GTK_EDITABLE (self->entry), self->model != NULL ? self->model : "");
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  fill_list (self);

  if (!self->asked)
    {
      self->asked = TRUE;
      g_signal_emit (self, signals[REFRESH], 0);
    }
}

static void
popover_closed_cb (ConfabModelPicker *self,
                   GtkPopover        *popover)
{
  g_signal_emit (self, signals[DONE], 0);
}

static void
confab_model_picker_dispose (GObject *object)
{
  ConfabModelPicker *self = CONFAB_MODEL_PICKER (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_MODEL_PICKER);

  G_OBJECT_CLASS (confab_model_picker_parent_class)->dispose (object);
}

static void
confab_model_picker_finalize (GObject *object)
{
  ConfabModelPicker *self = CONFAB_MODEL_PICKER (object);

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->models, g_strfreev);
  g_clear_pointer (&self->problem, g_free);

  G_OBJECT_CLASS (confab_model_picker_parent_class)->finalize (object);
}

static void
confab_model_picker_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabModelPicker *self = CONFAB_MODEL_PICKER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_model_picker_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabModelPicker *self = CONFAB_MODEL_PICKER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      confab_model_picker_set_model (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_model_picker_class_init (ConfabModelPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_model_picker_dispose;
  object_class->finalize = confab_model_picker_finalize;
  object_class->get_property = confab_model_picker_get_property;
  object_class->set_property = confab_model_picker_set_property;

  /**
   * ConfabModelPicker:model:
   *
   * The model shown, and the one the user chose.
   */
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabModelPicker::refresh:
   * @self: the picker
   *
   * The list of models is wanted: the first time the popover opens, and
   * when the user asks again. Answer with
   * confab_model_picker_set_models() or confab_model_picker_set_problem().
   */
  signals[REFRESH] =
    g_signal_new ("refresh",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  /**
   * ConfabModelPicker::done:
   * @self: the picker
   *
   * The popover closed, with a model chosen or not: the keyboard can go
   * back to where the user types.
   */
  signals[DONE] =
    g_signal_new ("done",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-model-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, button);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, button_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, list);
  gtk_widget_class_bind_template_child (widget_class, ConfabModelPicker, problem_label);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, refresh_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, popover_shown_cb);
  gtk_widget_class_bind_template_callback (widget_class, popover_closed_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "confab-model-picker");
}

static void
confab_model_picker_init (ConfabModelPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update_button (self);
}

GtkWidget *
confab_model_picker_new (void)
{
  return g_object_new (CONFAB_TYPE_MODEL_PICKER, NULL);
}

const char *
confab_model_picker_get_model (ConfabModelPicker *self)
{
  g_return_val_if_fail (CONFAB_IS_MODEL_PICKER (self), NULL);

  return self->model;
}

/**
 * confab_model_picker_set_model:
 * @self: a #ConfabModelPicker
 * @model: (nullable): the model to show
 */
void
confab_model_picker_set_model (ConfabModelPicker *self,
                               const char        *model)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  if (g_strcmp0 (self->model, model) == 0)
    return;

  g_free (self->model);
  self->model = g_strdup (model);
  update_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

/**
 * confab_model_picker_set_models:
 * @self: a #ConfabModelPicker
 * @models: (array zero-terminated=1) (nullable): the models the server lists
 *
 * Shows @models, and ends the loading.
 */
void
confab_model_picker_set_models (ConfabModelPicker  *self,
                                const char * const *models)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  g_strfreev (self->models);
  self->models = g_strdupv ((char **)models);
  self->loading = FALSE;
  self->asked = TRUE;
  g_clear_pointer (&self->problem, g_free);
  fill_list (self);
}

/**
 * confab_model_picker_set_loading:
 * @self: a #ConfabModelPicker
 * @loading: whether the server is being asked
 */
void
confab_model_picker_set_loading (ConfabModelPicker *self,
                                 gboolean           loading)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  self->loading = loading;
  fill_list (self);
}

/**
 * confab_model_picker_set_problem:
 * @self: a #ConfabModelPicker
 * @problem: why there is no list, in a sentence
 *
 * Ends the loading with @problem shown instead of the list; the user can
 * still type a model's name.
 */
void
confab_model_picker_set_problem (ConfabModelPicker *self,
                                 const char        *problem)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  g_clear_pointer (&self->models, g_strfreev);
  g_free (self->problem);
  self->problem = g_strdup (problem);
  self->loading = FALSE;
  fill_list (self);
}

/**
 * confab_model_picker_popup:
 * @self: a #ConfabModelPicker
 *
 * Opens the popover, as Ctrl+M does.
 */
void
confab_model_picker_popup (ConfabModelPicker *self)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  gtk_menu_button_popup (self->button);
}

/**
 * confab_model_picker_forget_models:
 * @self: a #ConfabModelPicker
 *
 * Drops the list, as when another provider is used: the next opening
 * asks for it again.
 */
void
confab_model_picker_forget_models (ConfabModelPicker *self)
{
  g_return_if_fail (CONFAB_IS_MODEL_PICKER (self));

  g_clear_pointer (&self->models, g_strfreev);
  g_clear_pointer (&self->problem, g_free);
  self->loading = FALSE;
  self->asked = FALSE;
  fill_list (self);
}
