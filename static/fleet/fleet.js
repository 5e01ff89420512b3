// Fleet Management page behaviours (printer details page, Printers page toolbar, tags pages). Progressive:
// without JavaScript, <dialog class="modal"> opens as the link's #target (see app.css) and forms still post.
(function () {
  "use strict";

  // Dialogs open through static/lexcloud/app.js; the action dialogs show the current selection.
  document.addEventListener("lexcloud:dialog-open", function () { syncSelection(); });

  // The printers selected on the page (the listing's checkboxes named "printer", outside the action forms).
  function selectedPrinters() {
    return Array.prototype.filter.call(document.querySelectorAll('input[type=checkbox][name="printer"]:checked'),
      function (box) { return !box.closest("form[data-printer-action]"); }).map(function (box) { return box.value; });
  }

  // Elements that need a selection: [data-needs-selection] are disabled while nothing is selected;
  // [data-selected-count] show how many printers are selected.
  function syncSelection() {
    var count = selectedPrinters().length;
    document.querySelectorAll("[data-needs-selection]").forEach(function (el) { el.disabled = count === 0; });
    document.querySelectorAll("[data-selected-count]").forEach(function (el) { el.textContent = count; });
    document.querySelectorAll("[data-selection-empty]").forEach(function (el) { el.hidden = count !== 0; });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "printer" || event.target.hasAttribute("data-select-all")) setTimeout(syncSelection);
  });
  syncSelection();

  // Action forms of the toolbar: the selected printers travel as repeated "printer" values.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-printer-action]");
    if (!form) return;
    form.querySelectorAll("input[data-selected-printer]").forEach(function (input) { input.remove(); });
    var ids = selectedPrinters();
    if (!ids.length) { event.preventDefault(); syncSelection(); return; }
    ids.forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "printer"; input.value = id; input.setAttribute("data-selected-printer", "");
      form.appendChild(input);
    });
    // Tags > Apply: tags that were on the selected printers and are now cleared are removed from them.
    form.querySelectorAll("input[data-tag-state]").forEach(function (box) {
      var was = box.getAttribute("data-tag-state");
      if ((was === "all" || was === "some") && !box.checked && !box.indeterminate) {
        var untag = document.createElement("input");
        untag.type = "hidden"; untag.name = "untag"; untag.value = box.value; untag.setAttribute("data-selected-printer", "");
        form.appendChild(untag);
      }
    });
  });

  // Tags menu: when it opens, tick the tags every selected printer has (indeterminate: some of them).
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details[data-tags-menu]") || !menu.open) return;
    var ids = selectedPrinters();
    var boxes = menu.querySelectorAll("input[data-tag-state]");
    boxes.forEach(function (box) { box.checked = false; box.indeterminate = false; box.setAttribute("data-tag-state", "none"); });
    syncSelection();
    if (!ids.length || !menu.getAttribute("data-tags-url")) return;
    var query = ids.map(function (id) { return "printer=" + encodeURIComponent(id); }).join("&");
    fetch(menu.getAttribute("data-tags-url") + "?" + query, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) {
        var tags = Array.isArray(body) ? body : (body.results || []);
        tags.forEach(function (tag) {
          var box = menu.querySelector('input[data-tag-state][value="' + tag.id + '"]');
          if (!box || !tag.selected) return;
          var state = tag.selected >= ids.length ? "all" : "some";
          box.setAttribute("data-tag-state", state);
          box.checked = state === "all";
          box.indeterminate = state === "some";
        });
      })
      .catch(function () {});
  }, true);

  // Search box over a list of choices: <input data-filter-list="id-of-list"> hides the labels that do not match.
  document.addEventListener("input", function (event) {
    var id = event.target.getAttribute("data-filter-list");
    if (!id) return;
    var needle = event.target.value.trim().toLowerCase();
    document.querySelectorAll("#" + id + " label").forEach(function (label) {
      label.hidden = needle !== "" && label.textContent.toLowerCase().indexOf(needle) === -1;
    });
  });

  // A dialog the server opened (a result summary) becomes modal.
  document.querySelectorAll("dialog[data-show-modal][open]").forEach(function (dialog) {
    if (typeof dialog.showModal !== "function") return;
    dialog.close();
    dialog.showModal();
  });

  // Update agent access credentials: only the fields of the chosen authentication type.
  function syncAuthFields() {
    document.querySelectorAll("[data-auth-fields]").forEach(function (form) {
      var chosen = form.querySelector("select[name=auth_type]");
      form.querySelectorAll("[data-auth-field]").forEach(function (field) {
        var show = chosen && field.getAttribute("data-auth-field").split(" ").indexOf(chosen.value) !== -1;
        field.hidden = !show;
        field.querySelectorAll("input").forEach(function (input) { input.disabled = !show; });
      });
    });
  }
  document.addEventListener("change", function (event) { if (event.target.name === "auth_type") syncAuthFields(); });
  syncAuthFields();
})();
