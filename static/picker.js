// The editor's field picker: clicking a field's button inserts its {{ … }} expression at the
// cursor of the template field (an input or textarea marked data-template-field) that had
// focus last, in the same step when possible. Also: Close buttons, and showing the server's
// 4xx answers (bad sample JSON, a step that cannot be tested) in tool panels marked
// data-swap-errors, since htmx leaves error answers out by default.

(() => {
  let lastField = null;
  let lastSelection = null;

  const remember = (field) => {
    lastField = field;
    lastSelection = [field.selectionStart ?? field.value.length, field.selectionEnd ?? field.value.length];
  };

  document.addEventListener("focusin", (event) => {
    const field = event.target.closest?.("[data-template-field]");
    if (field) remember(field);
  });
  // Keep the caret position fresh while typing or clicking inside the field, and as it
  // was when the field lost focus (to the picker's buttons).
  for (const type of ["keyup", "mouseup", "select", "input", "focusout"]) {
    document.addEventListener(type, (event) => {
      if (event.target === lastField) remember(lastField);
    });
  }

  const stepCard = (element) => element.closest(".step-tools")?.parentElement
    || element.closest("fieldset, .step");

  // The field to insert into: the last focused one if it is in the picker's step, else the
  // first template field of that step, else the last focused anywhere.
  const targetFor = (button) => {
    const card = stepCard(button);
    if (lastField && document.contains(lastField) && (!card || card.contains(lastField))) return lastField;
    return card?.querySelector("[data-template-field]") || (document.contains(lastField) ? lastField : null);
  };

  const say = (message) => {
    let region = document.getElementById("picker-announcer");
    if (!region) {
      region = document.createElement("p");
      region.id = "picker-announcer";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      document.body.append(region);
    }
    region.textContent = message;
  };

  const insert = (field, text) => {
    const [start, end] = field === lastField && lastSelection
      ? lastSelection : [field.value.length, field.value.length];
    field.focus();
    field.setRangeText(text, start, end, "end");
    remember(field);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  };

  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-picker-close]");
    if (close) {
      const slot = close.closest(".field-picker-slot");
      const opener = slot?.parentElement?.querySelector(".pick-fields");
      if (slot) slot.replaceChildren();
      opener?.focus();
      return;
    }
    const button = event.target.closest("button[data-insert]");
    if (!button) return;
    event.preventDefault();
    const field = targetFor(button);
    if (!field) {
      say("Click in a field of the step first, then pick a value.");
      return;
    }
    insert(field, button.dataset.insert);
    const label = field.labels?.[0]?.textContent?.trim() || "the field";
    say(`Inserted ${button.dataset.insert} into ${label}`);
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && event.detail.elt.closest?.("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
