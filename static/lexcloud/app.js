// lexcloud UI behaviours: small, dependency-free, progressive enhancement only.
(function () {
  "use strict";

  // Dialogs: <a href="#dialog-id" data-dialog-open> (or data-dialog-open="dialog-id") opens that <dialog> as a
  // modal, closing the menu it sits in; [data-dialog-close] closes it. Without JavaScript the dialog opens as the
  // link's #target (see app.css). A page that prepares its dialog listens for "lexcloud:dialog-open" on it.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog-open]");
    if (opener) {
      var id = (opener.getAttribute("href") || "").replace("#", "") || opener.getAttribute("data-dialog-open");
      var dialog = document.getElementById(id);
      if (!dialog || typeof dialog.showModal !== "function") return;
      event.preventDefault();
      var menu = opener.closest("details.menu");
      if (menu) menu.removeAttribute("open");
      dialog.dispatchEvent(new CustomEvent("lexcloud:dialog-open", {bubbles: true}));
      dialog.showModal();
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });

  // Close other dropdown menus when one opens, and all of them on an outside click.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // "Select all" checkbox: <input type=checkbox data-select-all="name"> toggles the enabled inputs named
  // name (within its own table when it sits in one).
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute("data-select-all");
    if (!name) return;
    var scope = event.target.closest("table") || document;
    scope.querySelectorAll('input[type=checkbox][name="' + name + '"]:not(:disabled)').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // Live "n of N selected": <section data-role-table> ... <span data-count> counts its checked boxes.
  document.addEventListener("change", function (event) {
    var section = event.target.closest("[data-role-table]");
    if (!section) return;
    section.querySelector("[data-count]").textContent =
      section.querySelectorAll("tbody input[type=checkbox]:checked").length;
  });

  // Buttons that ask first: <button data-confirm="Delete the selected users?">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });

  // Copy to clipboard: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    event.preventDefault();
    var text = button.getAttribute("data-copy");
    var done = function () { var old = button.textContent; button.textContent = "Copied"; setTimeout(function () { button.textContent = old; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done); }
    else { var area = document.createElement("textarea"); area.value = text; document.body.appendChild(area); area.select();
      document.execCommand("copy"); area.remove(); done(); }
  });

  // Show/hide password: <input type=checkbox data-reveal="id-of-input">.
  document.addEventListener("change", function (event) {
    var id = event.target.getAttribute("data-reveal");
    if (id) document.getElementById(id).type = event.target.checked ? "text" : "password";
  });

  // Conditional fields: <div data-show-when="name=value"> shows only while input name=value is checked
  // (without JavaScript every field shows).
  function syncConditional() {
    document.querySelectorAll("[data-show-when]").forEach(function (el) {
      var parts = el.getAttribute("data-show-when").split("=");
      var input = document.querySelector('input[name="' + parts[0] + '"][value="' + parts[1] + '"]');
      el.hidden = !(input && input.checked);
    });
  }
  document.addEventListener("change", syncConditional);
  syncConditional();

  // Auto refresh: <div data-refresh-url="..." data-refresh-seconds="300"> reloads its inner HTML, and a
  // link <a data-refresh-now="id-of-that-div"> reloads it at once (its href is the no-JavaScript fallback).
  function reload(el) {
    return fetch(el.getAttribute("data-refresh-url"), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { el.innerHTML = html; })
      .catch(function () {});
  }
  function schedule(el) {
    var seconds = parseInt(el.getAttribute("data-refresh-seconds") || "300", 10);
    clearTimeout(el._refreshTimer);
    el._refreshTimer = setTimeout(function () {
      reload(el).finally(function () { schedule(el); });
    }, seconds * 1000);
  }
  document.querySelectorAll("[data-refresh-url]").forEach(schedule);
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-refresh-now]");
    var el = link && document.getElementById(link.getAttribute("data-refresh-now"));
    if (!el) return;
    event.preventDefault();
    reload(el).finally(function () { schedule(el); });
  });
})();

// Forms that go on by themselves (the SAML response posted again from our own page), with a button without JS.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) { form.submit(); });
