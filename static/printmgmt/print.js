// Print Management: the Upload File drop zone (drag files onto it; the file input is the fallback and what posts),
// and dialogs the server re-opens after a refused form.
(function () {
  "use strict";

  // Dialogs ([data-dialog-open], [data-dialog-close]) are opened and closed by static/lexcloud/app.js.
  function listFiles(zone, files) {
    var list = zone.querySelector("[data-dropzone-files]");
    if (!list) return;
    list.innerHTML = "";
    Array.prototype.forEach.call(files, function (file) {
      var item = document.createElement("li");
      item.textContent = file.name;
      list.appendChild(item);
    });
  }
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    input.addEventListener("change", function () { listFiles(zone, input.files); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      var transfer = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (file) { transfer.items.add(file); });
      Array.prototype.forEach.call(event.dataTransfer.files, function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      listFiles(zone, input.files);
    });
  });
  document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
    if (typeof dialog.showModal === "function") dialog.showModal();
  });
})();
