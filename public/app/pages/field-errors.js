// The hub names the field of a refused body (`strategies[0].constraints[1].value`,
// `grants.channels[2]` — docs/rest.md). Forms mark their inputs with the same names in
// `data-field`; an error is shown beside the input it names, or beside the nearest enclosing
// field that has one (`strategies[0].constraints[1]`, then `strategies[0]`, …, then `""`, the
// form as a whole).

/** Removes the errors a previous `showFieldError` put into `form`. */
export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll(".field-error[data-generated]")) el.remove();
  for (const el of form.querySelectorAll(".field-error[data-field]")) el.textContent = "";
  for (const el of form.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

/** The field one level up: `a[1].b` → `a[1]` → `a` → `""`; `""` stays `""`. */
export function parentField(field) {
  const up = field.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  return up === field ? "" : up;
}

/**
 * Shows `error` (an ApiError or any Error) beside the element of `form` whose `data-field` is
 * the error's field or its nearest parent. Returns false when the form has no place for it.
 */
export function showFieldError(form, error) {
  clearFieldErrors(form);
  const text = error.field ? `${error.field}: ${error.message}` : error.message;
  let key = error.field ?? "";
  for (;;) {
    const el = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (el?.classList.contains("field-error")) {
      el.textContent = text;
      return true;
    }
    if (el) {
      el.classList.add("invalid");
      const note = Object.assign(document.createElement("span"), { className: "field-error", textContent: text });
      note.dataset.generated = "";
      el.after(note);
      return true;
    }
    if (key === "") return false;
    key = parentField(key);
  }
}
