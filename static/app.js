// Small progressive enhancements: copy buttons, unsaved-changes warning, confirmations.

// One polite live region so screen readers hear "Copied" (a changing button label is not announced).
const announce = (message) => {
  let region = document.getElementById("announcer");
  if (!region) {
    region = document.createElement("p");
    region.id = "announcer";
    region.className = "visually-hidden";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  region.textContent = "";
  setTimeout(() => { region.textContent = message; }, 50);
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  const legacyCopy = () => { source.select(); return document.execCommand("copy"); };
  const show = (ok) => {
    button.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
    announce(ok ? "Copied to the clipboard" : "Could not copy: the address is selected, press Ctrl+C");
    if (!ok) source.select();
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => { button.textContent = label; }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(() => show(true), () => show(legacyCopy()));
  } else {
    show(legacyCopy());
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

(() => {
  // A form the server showed again after "Add a step" or a problem is not saved yet either.
  let dirty = Boolean(document.querySelector("form[data-warn-unsaved][data-unsaved]"));
  document.addEventListener("input", (event) => {
    if (event.target.closest("form[data-warn-unsaved]")) dirty = true;
  });
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[data-warn-unsaved]")) dirty = false;
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();

// Show only the inputs a choice needs (auth preset, delay mode, formatter operation, operators
// that compare with nothing). Without this script every input stays visible and still works.
const applyShownBy = () => {
  document.querySelectorAll("[data-shown-by]").forEach((element) => {
    // A select (by id) or a radio group (by name: the checked radio's value counts).
    const control = document.getElementById(element.dataset.shownBy)
      || document.querySelector(`input[type=radio][name="${element.dataset.shownBy}"]:checked`);
    if (!control) return;
    const listed = (names) => (names || "").split(" ").includes(control.value);
    let show = true;
    if (element.dataset.shownFor !== undefined) show = listed(element.dataset.shownFor);
    if (element.dataset.hiddenFor !== undefined) show = !listed(element.dataset.hiddenFor);
    element.hidden = !show;
  });
};
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-controls], input[type=radio][data-controls]")) applyShownBy();
});
document.addEventListener("htmx:afterSettle", applyShownBy);
applyShownBy();
