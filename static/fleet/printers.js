// Printers page (templates/fleet/printers/list.html): "Select all N matching printers". When every printer of
// the page is ticked, the choice appears; when chosen, the toolbar's action forms (fleet/printers/_actions.html)
// also send select_all=1 and the listing's filters (query), so the action covers every matching printer.
(function () {
  "use strict";
  var bar = document.querySelector("[data-select-matching]");
  if (!bar) return;
  var all = bar.querySelector("input[name=select_all]");
  var query = bar.querySelector("[data-select-query]");

  function pageBoxes() {
    return document.querySelectorAll('table.printers input[type=checkbox][name="printer"]');
  }
  function sync() {
    var boxes = pageBoxes();
    var every = boxes.length > 0 && Array.prototype.every.call(boxes, function (box) { return box.checked; });
    bar.hidden = !every;
    if (!every) all.checked = false;
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "printer" || event.target.hasAttribute("data-select-all")) setTimeout(sync);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-printer-action]");
    if (!form) return;
    form.querySelectorAll("input[data-select-matching-field]").forEach(function (input) { input.remove(); });
    if (!all.checked) return;
    [["select_all", "1"], ["query", query.value]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = pair[0]; input.value = pair[1];
      input.setAttribute("data-select-matching-field", "");
      form.appendChild(input);
    });
  });
  sync();
})();
